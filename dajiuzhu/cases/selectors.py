"""Reads of cases, always starting from what the actor may see.

A case is visible to the accepting window's region AND to the household's residence region
(``scope(..., fields=("region_code", "accepted_region_code"))``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from dajiuzhu.core.scoping import get_scoped, scope

from .models import (
    OPEN_CASE_STATUSES,
    Case,
    CaseEvent,
    CaseItem,
    CaseStatus,
    ItemStatus,
    PublicNotice,
    WorklistEntry,
)

CASE_FIELDS = ("region_code", "accepted_region_code")


def active_benefits(*, on: dt.date, region_prefix: str = "") -> QuerySet[CaseItem]:
    """Items approved and in force on ``on`` (under ``region_prefix`` of the household's residence)."""
    qs = CaseItem.objects.filter(status=ItemStatus.APPROVED, effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )
    if region_prefix:
        qs = qs.filter(region_code__startswith=region_prefix)
    return qs


def household_benefits(*, household_id: int, on: dt.date | None = None) -> QuerySet[CaseItem]:
    """What a household receives now or has pending (for the duplicate check and the workbench)."""
    on = on or timezone.localdate()
    return CaseItem.objects.filter(household_id=household_id).filter(
        Q(status=ItemStatus.PENDING)
        | (Q(status=ItemStatus.APPROVED) & (Q(effective_to__isnull=True) | Q(effective_to__gte=on)))
    ).select_related("item", "case")


@dataclasses.dataclass
class CaseFilters:
    status: str = ""
    mine: bool = False
    q: str = ""  # a case number


def case_list(*, actor, filters: CaseFilters | None = None) -> QuerySet[Case]:
    filters = filters or CaseFilters()
    qs = scope(Case.objects.all(), actor, perm="cases.view", fields=CASE_FIELDS)
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_CASE_STATUSES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.mine:
        qs = qs.filter(Q(created_by=actor) | Q(events__actor=actor)).distinct()
    if filters.q:
        qs = qs.filter(number__startswith=filters.q.strip())
    return qs.select_related("household", "applicant").order_by("-created_at", "-id")


def case_get(*, actor, pk: int, perm: str = "cases.view", for_update: bool = False) -> Case:
    """404 for a case outside the actor's jurisdiction."""
    qs = Case.objects.select_related("household", "applicant", "created_by")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    return get_scoped(qs, actor, perm=perm, fields=CASE_FIELDS, pk=pk)


def case_item_get(*, actor, pk: int, perm: str = "cases.view", for_update: bool = False) -> CaseItem:
    qs = CaseItem.objects.select_related("case", "item", "household")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    return get_scoped(qs, actor, perm=perm, fields=("case__region_code", "case__accepted_region_code"), pk=pk)


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("case_item__item").order_by("at", "id")


def approver_queue(*, actor) -> QuerySet[Case]:
    """Cases awaiting a decision this approver's level may take (never their own)."""
    from .workflow import required_level_filter

    qs = scope(Case.objects.filter(status=CaseStatus.AWAITING_DECISION), actor, perm="cases.approve",
               fields=("region_code",))
    qs = qs.filter(required_level_filter(actor)).exclude(created_by=actor).exclude(events__actor=actor)
    return qs.select_related("household", "applicant").distinct().order_by("created_at", "id")


def due_reviews(*, actor, on: dt.date | None = None, within_days: int = 30) -> QuerySet[CaseItem]:
    """Approved items whose review falls due within ``within_days`` (overdue ones first)."""
    on = on or timezone.localdate()
    qs = scope(CaseItem.objects.filter(status=ItemStatus.APPROVED, review_due__lte=on + dt.timedelta(days=within_days)),
               actor, perm="cases.view", fields=("region_code",))
    return qs.select_related("item", "household", "household__head", "case").order_by("review_due", "id")


def notices_in_force(*, village_code: str, on: dt.date | None = None) -> QuerySet[PublicNotice]:
    """The public notices of one village in force on ``on`` (the public page: no login)."""
    on = on or timezone.localdate()
    return PublicNotice.objects.filter(
        region_code=village_code, status=PublicNotice.Status.IN_FORCE, starts_on__lte=on, ends_on__gte=on
    ).order_by("starts_on", "id")


def worklist(*, actor, job_id=None) -> QuerySet[WorklistEntry]:
    """Findings of the latest (or the given) county-wide check, for the actor's townships."""
    if job_id is None:
        job_id = (WorklistEntry.objects.order_by("-created_at").values_list("job_id", flat=True).first())
    qs = WorklistEntry.objects.filter(job_id=job_id)
    return scope(qs, actor, perm="cases.view", fields=("region_code",)).select_related(
        "household", "person").order_by("township_code", "kind", "id")


def case_applicant_id(*, case_id: int) -> int | None:
    """The applicant of a case the caller has already fetched in scope (e.g. through its report)."""
    return Case.objects.filter(pk=case_id).values_list("applicant_id", flat=True).first()
# --------------------------------------------------------------------------- for the supervision app
# Set-based reads of handlers' work (time limits and evaluation): one grouped query each, no per-case loop.


def _in_region(prefix: str) -> Q:
    return (Q(region_code__startswith=prefix) | Q(accepted_region_code__startswith=prefix)) if prefix else Q()


def step_timeline(*, region_prefix: str = "", open_only: bool = False, since: dt.datetime | None = None,
                  until: dt.datetime | None = None, case_ids=None) -> QuerySet:
    """One row (a dict) per check-first case with the moments its steps began and ended, from its events:
    ``created_at`` (acceptance), ``reviewed_at``/``reviewer_id`` (township opinion), ``notice_from``/``notice_to``,
    ``awaiting_from`` (notice closed, the decision due), ``decided_at``/``decider_id``, ``notified_at``,
    ``withdrawn_at``. ``open_only``: cases not yet notified or withdrawn. ``since``/``until``: cases with an
    event in that window (for a month's evaluation)."""
    from django.db.models import Exists, Max, Min, OuterRef

    from .models import Path

    check_first = CaseItem.objects.filter(case=OuterRef("pk"), path=Path.CHECK_FIRST)
    qs = Case.objects.filter(Exists(check_first)).filter(_in_region(region_prefix))
    if open_only:
        qs = qs.filter(status__in=[*OPEN_CASE_STATUSES, CaseStatus.DECIDED])
    if case_ids is not None:
        qs = qs.filter(pk__in=case_ids)
    if since is not None or until is not None:
        window = CaseEvent.objects.filter(case=OuterRef("pk"))
        if since is not None:
            window = window.filter(at__gte=since)
        if until is not None:
            window = window.filter(at__lt=until)
        qs = qs.filter(Exists(window))

    def at(aggregate, **lookup):
        return aggregate("events__at", filter=Q(**{f"events__{k}": v for k, v in lookup.items()}))

    return qs.values("id", "number", "region_code", "accepted_region_code", "created_by_id", "status",
                     "created_at", "decided_at").annotate(
        reviewed_at=at(Min, to_status=CaseStatus.TOWNSHIP_REVIEWED),
        reviewer_id=Max("events__actor_id", filter=Q(events__to_status=CaseStatus.TOWNSHIP_REVIEWED)),
        notice_from=at(Max, to_status=CaseStatus.PUBLIC_NOTICE),
        notice_to=at(Max, from_status=CaseStatus.PUBLIC_NOTICE),
        awaiting_from=at(Max, to_status=CaseStatus.AWAITING_DECISION),
        decider_id=Max("events__actor_id", filter=Q(events__action="decide")),
        notified_at=at(Max, to_status=CaseStatus.NOTIFIED),
        withdrawn_at=at(Max, to_status=CaseStatus.WITHDRAWN),
    ).order_by("id")


def check_first_items(*, case_ids) -> QuerySet:
    """(case id, item id) of the check-first items of these cases (a list or a subquery)."""
    from .models import Path

    return CaseItem.objects.filter(case_id__in=case_ids, path=Path.CHECK_FIRST).values_list("case_id", "item_id")


def _township(field: str):
    from django.db.models.functions import Substr

    return Substr(field, 1, 9)


def applications_by_handler(*, region_prefix: str, since: dt.datetime, until: dt.datetime) -> QuerySet:
    """Applications accepted in [since, until) per accepting user and accepting township."""
    from django.db.models import Count

    return (Case.objects.filter(created_at__gte=since, created_at__lt=until).filter(_in_region(region_prefix))
            .values(handler=models_F("created_by_id"), township=_township("accepted_region_code"))
            .annotate(n=Count("id")).order_by())


def trust_first_outcomes(*, region_prefix: str, since: dt.datetime, until: dt.datetime, excused_revocations=None
                         ) -> QuerySet:
    """Trust-first items decided in [since, until), per accepting user and township: how many, and how many
    verification and review later confirmed, adjusted or revoked (a standing revocation; those in
    ``excused_revocations`` — ids, or a subquery — are 容错免责 and counted apart as ``excused``)."""
    from django.db.models import Count, Exists, OuterRef

    from .models import Path, Review, Revocation

    standing = Revocation.objects.filter(case_item=OuterRef("pk"), cancelled_at__isnull=True)
    excused = standing.filter(pk__in=excused_revocations) if excused_revocations is not None else standing.none()
    counted = standing.exclude(pk__in=excused_revocations) if excused_revocations is not None else standing
    adjusted = Review.objects.filter(case_item=OuterRef("pk"), outcome=Review.Outcome.ADJUSTED)
    confirmed = Review.objects.filter(case_item=OuterRef("pk"), outcome=Review.Outcome.CONFIRMED)
    any_revoked = Q(Exists(standing))
    return (CaseItem.objects.filter(path=Path.TRUST_FIRST, decided_at__gte=since, decided_at__lt=until)
            .exclude(status=ItemStatus.PENDING)
            .filter(Q(region_code__startswith=region_prefix) | Q(case__accepted_region_code__startswith=region_prefix))
            .values(handler=models_F("case__created_by_id"), township=_township("case__accepted_region_code"))
            .annotate(decided=Count("id"),
                      revoked=Count("id", filter=Q(Exists(counted))),
                      excused=Count("id", filter=Q(Exists(excused))),
                      adjusted=Count("id", filter=Q(Exists(adjusted)) & ~any_revoked),
                      confirmed=Count("id", filter=Q(Exists(confirmed)) & ~Q(Exists(adjusted)) & ~any_revoked))
            .order_by())


def appeals_upheld(*, region_prefix: str, since: dt.datetime, until: dt.datetime) -> QuerySet:
    """Appeals upheld in [since, until) against a handler's decision (the decider, else the accepting user)."""
    from django.db.models import Count
    from django.db.models.functions import Coalesce

    from .models import Appeal

    return (Appeal.objects.filter(status=Appeal.Status.UPHELD, decided_at__gte=since, decided_at__lt=until,
                                  region_code__startswith=region_prefix)
            .values(handler=Coalesce("case_item__decided_by_id", "case_item__case__created_by_id"),
                    township=_township("case_item__case__accepted_region_code"))
            .annotate(n=Count("id")).order_by())


def decided_cases(*, region_prefix: str, since: dt.datetime, until: dt.datetime) -> QuerySet:
    """Cases decided in [since, until) under ``region_prefix`` (residence), for the monthly spot-check draw:
    id, number, residence region, accepting user, decider, and the code of the first decided item."""
    from django.db.models import Max, Min

    return (Case.objects.filter(decided_at__gte=since, decided_at__lt=until, region_code__startswith=region_prefix)
            .exclude(status=CaseStatus.WITHDRAWN)
            .values("id", "number", "region_code", "created_by_id")
            .annotate(item_code=Min("items__item__code"),
                      decider_id=Max("events__actor_id", filter=Q(events__action__in=("decide", "decide_item"))))
            .order_by("id"))


def case_actor_ids(*, case_id: int) -> set[int]:
    """Everyone who created, took a step of, or decided this case."""
    ids = set(CaseEvent.objects.filter(case_id=case_id, actor__isnull=False).values_list("actor_id", flat=True))
    ids |= set(CaseItem.objects.filter(case_id=case_id, decided_by__isnull=False).values_list("decided_by_id",
                                                                                              flat=True))
    created = Case.objects.filter(pk=case_id).values_list("created_by_id", flat=True).first()
    if created:
        ids.add(created)
    return ids


def models_F(name: str):  # noqa: N802 - a thin alias so the grouped reads above stay one line each
    from django.db.models import F

    return F(name)

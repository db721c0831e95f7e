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

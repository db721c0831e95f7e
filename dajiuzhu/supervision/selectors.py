"""Reads of the supervision app, always scoped to the actor's jurisdiction (``core.scoping``).

City and province accounts (``supervision.regional``) read the same lists and figures for their counties,
which carry case numbers, steps, townships and staff names — never a resident's name or ID number.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dajiuzhu.core import regioncodes
from dajiuzhu.core.scoping import actor_prefix, get_scoped, scope

from .models import Complaint, OverdueStep, SpotCheck, SpotCheckDraw
from .timelimits import open_steps

PERM = "supervision.view"


def region_for(*, actor, code: str, perm: str = PERM):
    """The region if it lies in the actor's jurisdiction, else 404 (a city user asking for another city's
    county gets the same answer as for a county that does not exist)."""
    from dajiuzhu.regions.models import Region

    prefix = actor_prefix(actor, perm)
    region = Region.objects.filter(code=code).select_related("parent").first() if regioncodes.is_code(code) else None
    if prefix is None or region is None or not region.prefix.startswith(prefix):
        raise Http404("No such region.")
    return region


def overdue_list(*, actor, region_prefix: str = "", open_only: bool = True) -> QuerySet[OverdueStep]:
    qs = scope(OverdueStep.objects.select_related("handler"), actor, perm=PERM,
               fields=("region_code", "township_code"))
    if region_prefix:
        qs = qs.filter(Q(region_code__startswith=region_prefix) | Q(township_code__startswith=region_prefix))
    if open_only:
        qs = qs.filter(closed_at__isnull=True)
    return qs.order_by("due_on", "id")


def my_overdue(*, actor) -> QuerySet[OverdueStep]:
    return overdue_list(actor=actor).filter(handler=actor)


def warnings_for(*, actor) -> QuerySet[OverdueStep]:
    """Overdue steps whose warning went to the actor's level (the county for a township's step)."""
    prefix = actor_prefix(actor, PERM)
    if prefix is None:
        return OverdueStep.objects.none()
    return overdue_list(actor=actor).filter(warned_prefix=prefix) if prefix else overdue_list(actor=actor)


def open_steps_for(*, actor, on: dt.date | None = None, case_ids=None):
    """Open steps of the cases the actor may see (the handler's list)."""
    prefix = actor_prefix(actor, "cases.view")
    if prefix is None:
        return []
    return open_steps(region_prefix=prefix, on=on, case_ids=case_ids)


def case_open_steps(*, actor, case_id: int):
    """Open steps of one case the actor may see (for the case page's panel)."""
    if not actor.has_perm_code("cases.view"):
        return []
    return open_steps(case_ids=[case_id])


def complaint_list(*, actor, status: str = "") -> QuerySet[Complaint]:
    qs = scope(Complaint.objects.select_related("assignee", "subject_handler"), actor, perm=PERM)
    return qs.filter(status=status) if status else qs


def complaint_get(*, actor, pk: int, perm: str = PERM) -> Complaint:
    return get_scoped(Complaint.objects.select_related("assignee", "subject_handler", "case"), actor, perm=perm, pk=pk)


def complaint_groups(*, actor) -> list[dict]:
    """Cases or handlers complained about more than once."""
    return list(complaint_list(actor=actor).exclude(group_key="").values("group_key")
                .annotate(n=Count("id")).filter(n__gt=1).order_by("-n", "group_key"))


def spot_checks(*, actor) -> QuerySet[SpotCheck]:
    return scope(SpotCheck.objects.select_related("draw", "checker", "handler"), actor, perm=PERM)


def spot_check_get(*, actor, pk: int, perm: str = PERM) -> SpotCheck:
    return get_scoped(SpotCheck.objects.select_related("draw", "checker", "handler"), actor, perm=perm, pk=pk)


def draws(*, actor) -> QuerySet[SpotCheckDraw]:
    return scope(SpotCheckDraw.objects.all(), actor, perm=PERM, fields=("county_code",))


def compare_children(*, actor, code: str, on: dt.date | None = None) -> list[dict]:
    """For the region's children (the city's counties, a county's townships, …): open overdue steps,
    complaints this month (open / all), spot checks recorded this month and those that found a difference."""
    from dajiuzhu.regions.models import Region

    region = region_for(actor=actor, code=code)
    on = on or timezone.localdate()
    month = on.replace(day=1)
    kids = list(Region.objects.filter(parent=region).order_by("code").values_list("code", "name", "prefix"))
    rows = []
    for kid_code, name, prefix in kids:
        overdue = OverdueStep.objects.filter(closed_at__isnull=True, region_code__startswith=prefix).count()
        complaints = Complaint.objects.filter(region_code__startswith=prefix, lodged_at__date__gte=month)
        checks = SpotCheck.objects.filter(region_code__startswith=prefix, recorded_at__date__gte=month)
        rows.append({"code": kid_code, "name": name, "overdue": overdue,
                     "complaints": complaints.count(),
                     "complaints_open": complaints.filter(status=Complaint.Status.OPEN).count(),
                     "checks": checks.count(), "differences": checks.filter(outcome=SpotCheck.Outcome.DIFFERS).count()})
    return rows

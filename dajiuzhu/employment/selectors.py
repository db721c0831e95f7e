"""Reads of jobs and training, scoped to the actor's jurisdiction; candidates proposed from the roster."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dajiuzhu.cases.selectors import active_benefits
from dajiuzhu.core.scoping import get_scoped, scope
from dajiuzhu.indices.selectors import RosterFilters, roster
from dajiuzhu.registry.selectors import members_of_households

from .models import Course, Enrolment, Job, Placement, Wage
from .services import EMPLOYED, WORKING_AGE, age_on

MONITORED_TIERS = ("unstable_escaped", "edge_at_risk", "sudden_hardship")
WHY_WORDS = {"dibao": _("低保"), "tekun": _("特困"), "monitored": _("monitored (防返贫监测)")}


def job_list(*, actor) -> QuerySet[Job]:
    return scope(Job.objects.all(), actor, perm="employment.view").select_related("department").annotate(
        filled=Count("placements", filter=Q(placements__status=Placement.Status.ACTIVE)))


def job_get(*, actor, pk: int) -> Job:
    return get_scoped(Job.objects.select_related("department"), actor, perm="employment.view", pk=pk)


def placement_list(*, actor) -> QuerySet[Placement]:
    return scope(Placement.objects.all(), actor, perm="employment.view").select_related("job", "person")


def placement_get(*, actor, pk: int) -> Placement:
    return get_scoped(Placement.objects.select_related("job", "person", "household"), actor,
                      perm="employment.view", pk=pk)


def course_list(*, actor) -> QuerySet[Course]:
    return scope(Course.objects.all(), actor, perm="employment.view").annotate(
        enrolled=Count("enrolments"), completed=Count("enrolments", filter=Q(enrolments__completed_on__isnull=False)))


def course_get(*, actor, pk: int) -> Course:
    return get_scoped(Course.objects.all(), actor, perm="employment.view", pk=pk)


def enrolment_get(*, actor, pk: int) -> Enrolment:
    return get_scoped(Enrolment.objects.select_related("course", "person"), actor, perm="employment.view", pk=pk)


def candidates(*, actor, region: str = "", on: dt.date | None = None, limit: int = 200) -> list[dict]:
    """Working-age members with labour capacity, not employed and in no post, of households receiving
    低保/特困 or monitored against falling back into poverty (防返贫监测), inside the actor's jurisdiction."""
    on = on or timezone.localdate()
    prefix = actor.jurisdiction_prefix if actor.has_perm_code("employment.manage") else None
    if prefix is None:
        return []
    if region and region.startswith(prefix):
        prefix = region
    why: dict[int, set[str]] = {}
    for household_id, tier in (active_benefits(on=on, region_prefix=prefix).filter(item__tier__in=("dibao", "tekun"))
                               .values_list("household_id", "item__tier")):
        why.setdefault(household_id, set()).add(tier)
    for entry in roster(actor=actor, filters=RosterFilters(region=prefix)).filter(tier__in=MONITORED_TIERS):
        why.setdefault(entry.household_id, set()).add("monitored")
    placed = set(Placement.objects.filter(status=Placement.Status.ACTIVE, household_id__in=why)
                 .values_list("person_id", flat=True))
    out = []
    for person in members_of_households(household_ids=list(why), on=on):
        age = age_on(person.birth_date, on)
        latest = next(iter(person.facts.all()), None)
        if not WORKING_AGE[0] <= age < WORKING_AGE[1] or latest is None or person.pk in placed:
            continue
        if latest.labour == "none" or latest.employment in EMPLOYED or latest.employment == "student":
            continue
        out.append({"person": person, "age": age, "labour": latest.get_labour_display(),
                    "employment": latest.get_employment_display(), "household": person.household,
                    "why": [str(WHY_WORDS[w]) for w in sorted(why[person.household_id])],
                    "why_codes": sorted(why[person.household_id])})
        if len(out) >= limit:
            break
    return out


def figures(*, actor) -> dict:
    """People in public-welfare posts, wages paid, trained, completed and employed after training."""
    placements = placement_list(actor=actor)
    enrolments = scope(Enrolment.objects.all(), actor, perm="employment.view")
    wages = scope(Wage.objects.all(), actor, perm="employment.view", fields=("placement__region_code",))
    return {"in_post": placements.filter(status=Placement.Status.ACTIVE).count(),
            "left": placements.filter(status=Placement.Status.ENDED).count(),
            "wages_paid": wages.aggregate(s=Sum("amount"))["s"] or 0,
            "enrolled": enrolments.count(), "completed": enrolments.filter(completed_on__isnull=False).count(),
            "followed_up": enrolments.filter(followed_up_on__isnull=False).count(),
            "employed_after": enrolments.filter(employed=True).count()}


def household_employment(household) -> dict:
    """The household's posts and courses, for its page (outcomes)."""
    return {"placements": list(Placement.objects.filter(household=household).select_related("job", "person")),
            "enrolments": list(Enrolment.objects.filter(household=household).select_related("course", "person"))}

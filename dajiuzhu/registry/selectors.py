"""Reads of the registry, always starting from what the actor may see."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Prefetch, QuerySet

from dajiuzhu.core import crypto
from dajiuzhu.core.ids import InvalidIdNumber, normalise_id_number
from dajiuzhu.core.scoping import get_scoped, scope

from .models import Household, HouseholdEvent, HouseholdFacts, MemberFacts, Person, Supporter


@dataclasses.dataclass
class HouseholdFilters:
    q: str = ""  # a name, or a (full) ID number
    region: str = ""  # a code prefix inside the jurisdiction
    household_ids: list[int] | None = None


def household_list(*, actor, filters: HouseholdFilters | None = None) -> QuerySet[Household]:
    filters = filters or HouseholdFilters()
    qs = scope(Household.objects.all(), actor, perm="registry.view")
    if filters.region:
        qs = qs.filter(region_code__startswith=filters.region)
    if filters.household_ids is not None:
        qs = qs.filter(pk__in=filters.household_ids)
    if filters.q:
        q = filters.q.strip()
        number = normalise_id_number(q)
        if len(number) == 18:
            qs = qs.filter(members__id_hash=crypto.blind_index(number))
        else:
            qs = qs.filter(members__name__startswith=q).distinct()
    return qs.select_related("head").order_by("id")


def household_get(*, actor, pk: int) -> Household:
    """404 for a household outside the actor's jurisdiction."""
    return get_scoped(Household.objects.select_related("head"), actor, perm="registry.view", pk=pk)


def household_members(*, household: Household, on: dt.date | None = None) -> QuerySet[Person]:
    latest = MemberFacts.objects.order_by("-as_of")
    if on:
        latest = latest.filter(as_of__lte=on)
    return household.members.order_by("birth_date").prefetch_related(Prefetch("facts", queryset=latest))


def household_facts_history(*, household: Household) -> QuerySet[HouseholdFacts]:
    return household.facts.order_by("-as_of")


def household_facts_on(*, household: Household, on: dt.date) -> HouseholdFacts | None:
    return household.facts.filter(as_of__lte=on).order_by("-as_of").first()


def person_find_by_id_number(*, actor, id_number: str) -> Person | None:
    """Exact lookup by the blind index (within the actor's jurisdiction)."""
    try:
        number = normalise_id_number(id_number)
    except InvalidIdNumber:
        return None
    qs = scope(Person.objects.select_related("household"), actor, perm="registry.view")
    return qs.filter(id_hash=crypto.blind_index(number)).first()


def supporter_list(*, person: Person, on: dt.date | None = None) -> QuerySet[Supporter]:
    """The legal supporters of a person the caller already fetched in scope; with ``on``, those current then."""
    qs = Supporter.objects.filter(person=person).select_related("supporter_person")
    if on is not None:
        qs = qs.filter(recorded_on__lte=on).exclude(ended_on__lte=on)
    return qs.order_by("id")


def latest_events(*, household_ids, on: dt.date) -> dict[int, HouseholdEvent]:
    """The latest emergency event on or before ``on`` of each household that has one (events are few)."""
    out: dict[int, HouseholdEvent] = {}
    rows = HouseholdEvent.objects.filter(occurred_on__lte=on).order_by("household_id", "-occurred_on", "-id")
    if household_ids is not None:
        rows = rows.filter(household_id__in=list(household_ids))
    for event in rows:
        out.setdefault(event.household_id, event)
    return out
def member_status_on(*, person: Person, on: dt.date) -> MemberFacts | None:
    """The member's latest observation on or before ``on`` (labour capacity, employment, health)."""
    return MemberFacts.objects.filter(person=person, as_of__lte=on).order_by("-as_of").first()


def members_of_households(*, household_ids, on: dt.date) -> QuerySet[Person]:
    """The living members of these households with their observations up to ``on`` prefetched, latest first."""
    latest = MemberFacts.objects.filter(as_of__lte=on).order_by("-as_of")
    return (Person.objects.filter(household_id__in=household_ids, deceased_on__isnull=True)
            .select_related("household").prefetch_related(Prefetch("facts", queryset=latest))
            .order_by("region_code", "household_id", "birth_date"))

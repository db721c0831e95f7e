"""The frame read (``registry.facts.household_frame``) gives exactly what the row-by-row reference
read gives (``reference_facts``, the code before the set-based rewrite), on a synthetic county with
awkward cases added: moves, deaths (of a head too), households and members without observations,
net losses, a head missing, several dates and scopes. On PostgreSQL this checks the set-based
path (LATERAL lookups, packed columns); on SQLite the portable one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dajiuzhu.registry import facts as facts_mod
from dajiuzhu.registry.models import Household, HouseholdFacts, MemberFacts, Membership, Person
from dajiuzhu.registry.synthetic import load_county

from .reference_facts import reference_household_frame

TODAY = dt.date(2026, 11, 15)
pytestmark = pytest.mark.django_db


def assert_same_frame(fast, slow) -> None:
    assert fast.on == slow.on
    assert fast.household_ids.dtype == slow.household_ids.dtype
    assert np.array_equal(fast.household_ids, slow.household_ids)
    assert fast.region_codes.dtype == slow.region_codes.dtype
    assert np.array_equal(fast.region_codes, slow.region_codes)
    assert list(fast.columns) == list(slow.columns)
    for name, values in slow.columns.items():
        assert fast.columns[name].dtype == values.dtype, name
        assert np.array_equal(fast.columns[name], values), name


@pytest.fixture
def county():
    load_county(people=700, seed=17, today=TODAY)
    households = list(Household.objects.order_by("id"))
    a, b, c, d, e, f = households[:6]
    # A member moves from a to b in the middle of the history.
    mover = Person.objects.filter(household=a).exclude(pk=a.head_id).first() or Person.objects.get(pk=a.head_id)
    moved_on = TODAY - dt.timedelta(days=100)
    Membership.objects.filter(person=mover, end__isnull=True).update(end=moved_on)
    Membership.objects.create(person=mover, household=b, relation="other", start=moved_on)
    Person.objects.filter(pk=mover.pk).update(household=b, region_code=b.region_code)
    # c's head died; d has no head; e has no household observation at all.
    Person.objects.filter(pk=c.head_id).update(deceased_on=TODAY - dt.timedelta(days=40))
    Household.objects.filter(pk=d.pk).update(head=None)
    HouseholdFacts.objects.filter(household=e).delete()
    # f: a net loss, a dangerous house, no safe water, a vehicle for a disability, extra houses.
    HouseholdFacts.objects.filter(household=f).update(
        monthly_excluded_income=Decimal("99999.99"), housing="d_class", safe_water=False, vehicles=2,
        vehicles_for_disability=1, extra_houses=1, deposits=Decimal("12345.67"), securities=Decimal("0.01"))
    # Members of every kind: no observation, seriously ill, disabled, unable, unemployed, a student.
    people = list(Person.objects.filter(deceased_on__isnull=True).order_by("id")[10:16])
    MemberFacts.objects.filter(person=people[0]).delete()
    latest = TODAY - dt.timedelta(days=20)
    for person, values in zip(people[1:], [
        {"health": "serious", "disability_grade": 1, "adl_failed": 5, "labour": "none", "employment": "not_working"},
        {"health": "chronic", "disability_grade": 3, "adl_failed": 2, "labour": "partial", "employment": "unemployed"},
        {"health": "healthy", "disability_grade": None, "adl_failed": 0, "labour": "full", "employment": "student"},
        {"health": "chronic", "disability_grade": 2, "adl_failed": 6, "labour": "none", "employment": "retired"},
        {"health": "serious", "disability_grade": 4, "adl_failed": 0, "labour": "full", "employment": "unemployed"},
    ], strict=True):
        MemberFacts.objects.create(person=person, region_code=person.region_code, as_of=latest, **values)
    return households


def dates():
    first = HouseholdFacts.objects.order_by("as_of").values_list("as_of", flat=True).first()
    return [TODAY, TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=101), first,
            first - dt.timedelta(days=1), TODAY + dt.timedelta(days=400)]


def test_the_frame_equals_the_reference_read_for_every_scope_and_date(county):
    township = county[0].region_code[:9]
    village = county[1].region_code
    for on in dates():
        for prefix in ("", "371424", township, village, "371499"):
            assert_same_frame(facts_mod.household_frame(on=on, region_prefix=prefix),
                              reference_household_frame(on=on, region_prefix=prefix))
        ids = [h.pk for h in county[:8]] + [10**9]
        assert_same_frame(facts_mod.household_frame(on=on, household_ids=ids),
                          reference_household_frame(on=on, household_ids=ids))
        assert_same_frame(facts_mod.household_frame(on=on, household_ids=ids, region_prefix=township),
                          reference_household_frame(on=on, household_ids=ids, region_prefix=township))
        assert_same_frame(facts_mod.household_frame(on=on, household_ids=[]),
                          reference_household_frame(on=on, household_ids=[]))


def test_the_set_based_read_of_listed_households_equals_the_reference_too(county, monkeypatch):
    monkeypatch.setattr(facts_mod, "ROWS_PATH_MAX_HOUSEHOLDS", 0)  # listed households take the set-based path
    ids = [h.pk for h in county[:40]] + [10**9]
    for on in dates():
        assert_same_frame(facts_mod.household_frame(on=on, household_ids=ids),
                          reference_household_frame(on=on, household_ids=ids))


def test_the_county_has_the_awkward_cases(county):
    frame = facts_mod.household_frame(on=TODAY, region_prefix="371424")
    c = frame.columns
    at = {int(h): i for i, h in enumerate(frame.household_ids)}
    assert not c["has_facts"][at[county[4].pk]]
    assert c["monthly_income"][at[county[5].pk]] < 0 and c["per_capita_income"][at[county[5].pk]] == 0
    assert c["head_age"][at[county[2].pk]] == 0 and c["head_age"][at[county[3].pk]] == 0
    assert c["seriously_ill_members"].sum() and c["students"].sum() and c["unemployed_able_members"].sum()


def test_one_household_facts_take_three_queries_and_match_the_frame(county):
    frame = facts_mod.household_frame(on=TODAY, region_prefix="371424")
    for i in range(0, len(frame), max(1, len(frame) // 25)):
        with CaptureQueriesContext(connection) as queries:
            one = facts_mod.household_facts(int(frame.household_ids[i]), on=TODAY)
        assert len(queries) == 3
        assert one == frame.row(i)

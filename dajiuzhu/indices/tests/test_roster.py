"""Low-income roster tiers, dated entering/leaving events, aggregates by region."""

import datetime as dt
from decimal import Decimal

import pytest

from dajiuzhu.core.testing import (
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    XINGLONG_VILLAGE,
    _system_admin,
    make_household,
    make_user,
    member_input,
)
from dajiuzhu.indices.models import RosterEntry, RosterEvent
from dajiuzhu.indices.roster import roster_compute
from dajiuzhu.indices.selectors import RosterFilters, poverty_aggregates, roster, tier_counts
from dajiuzhu.indices.services import index_scores_compute
from dajiuzhu.registry.services import household_facts_record

pytestmark = pytest.mark.django_db

URBAN_COMMUNITY = "371424001023"  # 广场社区居民委员会 (core.testing's constant is not in the region table)
TODAY = dt.date.today()
EARLIER = TODAY - dt.timedelta(days=40)


def two(region, **facts):
    return make_household(region, as_of=EARLIER, facts={"monthly_wages": Decimal("0"), **facts},
                          members=[member_input("甲", age=50), member_input("乙", relation="spouse", sex="F", age=48)])


def tiers(household):
    return set(RosterEntry.objects.filter(household=household, until__isnull=True).values_list("tier", flat=True))


@pytest.fixture
def county():
    return {
        "near_poor": two(LINYI_VILLAGE, monthly_wages=Decimal("1600")),  # 800/person/month, rural
        "rigid": two(LINYI_VILLAGE_2, monthly_wages=Decimal("3000"), annual_medical_expense=Decimal("30000")),
        "well_off": two(XINGLONG_VILLAGE, monthly_wages=Decimal("9000"), deposits=Decimal("50000")),
        "urban": two(URBAN_COMMUNITY, monthly_wages=Decimal("2000")),
    }


def test_tiers_by_rule_and_a_household_may_be_in_several(county):
    roster_compute(on=TODAY, region_prefix="371424")
    assert tiers(county["near_poor"]) == {"near_poor"}  # 9,600 a year is over the 7,000 monitoring line
    assert tiers(county["rigid"]) == {"rigid"}
    assert tiers(county["well_off"]) == set()
    assert tiers(county["urban"]) == {"near_poor"}  # 1,000 < 1.5 × 900; no rural monitoring tiers
    rigid = RosterEntry.objects.get(household=county["rigid"], tier="rigid")
    assert rigid.valid_until == dt.date(TODAY.year + (TODAY.month == 12), TODAY.month % 12 + 1, 1) or \
        (rigid.valid_until - TODAY).days in range(360, 370)


def test_entering_and_leaving_are_dated_events_and_a_rerun_changes_nothing(county):
    roster_compute(on=EARLIER, region_prefix="371424")
    events = RosterEvent.objects.count()
    assert RosterEvent.objects.filter(household=county["rigid"], tier="rigid", kind="enter", on=EARLIER).exists()
    assert roster_compute(on=EARLIER, region_prefix="371424")  # runs
    assert RosterEvent.objects.count() == events
    household_facts_record(actor=_system_admin(LINYI_VILLAGE), household=county["rigid"], as_of=TODAY,
                           values={"monthly_wages": Decimal("3000"), "annual_medical_expense": Decimal("1000")})
    roster_compute(on=TODAY, region_prefix="371424")
    assert RosterEvent.objects.filter(household=county["rigid"], tier="rigid", kind="leave", on=TODAY).exists()
    entry = RosterEntry.objects.get(household=county["rigid"], tier="rigid")
    assert (entry.since, entry.until) == (EARLIER, TODAY)


def test_leaving_dibao_makes_a_recent_leaver(county):
    household = county["well_off"]
    RosterEntry.objects.create(household=household, region_code=household.region_code, tier="dibao", since=EARLIER)
    roster_compute(on=TODAY, region_prefix="371424")  # no benefit in force any more
    assert RosterEvent.objects.filter(household=household, tier="dibao", kind="leave", on=TODAY).exists()
    assert tiers(household) == {"recent_leaver"}


def test_roster_is_scoped_and_filtered(county):
    roster_compute(on=TODAY, region_prefix="371424")
    index_scores_compute(on=TODAY, region_prefix="371424")
    worker = make_user("village_worker", LINYI_VILLAGE)
    seen = {e.household_id for e in roster(actor=worker)}
    assert seen == {county["near_poor"].pk}
    admin = make_user("county_admin", "371424000000")
    assert {e.household_id for e in roster(actor=admin, filters=RosterFilters(tier="rigid"))} == {county["rigid"].pk}
    entry = roster(actor=admin, filters=RosterFilters(tier="rigid")).get()
    assert entry.hardship_band and entry.development_band
    by_town = tier_counts(actor=admin, level=9)
    assert {row["prefix"] for row in by_town} == {"371424100", "371424001"}


def test_aggregates_by_region_prefix(county):
    index_scores_compute(on=TODAY, region_prefix="371424")
    admin = make_user("county_admin", "371424000000")
    for level in (2, 4, 6, 9, 12):
        out = poverty_aggregates(actor=admin, level=level)
        assert all(len(row["prefix"]) == level for row in out["rows"])
        assert sum(row["n"] for row in out["rows"]) == out["total"]["n"] == 8  # people
        for row in out["rows"]:
            assert row["M0"] == pytest.approx(row["H"] * row["A"], abs=1e-5)
    worker = make_user("village_worker", XINGLONG_VILLAGE)
    assert poverty_aggregates(actor=worker, level=12)["total"]["n"] == 2

"""The faster frame read, score write, roster and warning scan give EXACTLY what the code before
the scale work gave (``tests/reference``: verbatim copies, with the row-by-row frame read of
``registry/tests/reference_facts.py``).

On a synthetic county with 低保 exits, income changes, a disaster, rigid-spending entries that
expire, re-runs of a date (the upsert of changed scores, signals already raised), each date is
first run through the reference code inside a savepoint that is rolled back, then through the
code in use; the stored scores, roster entries and events, alerts and signals, and the returned
counts must be identical. Runs on SQLite and on PostgreSQL (COPY and packed-column paths)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from dajiuzhu.alerts.models import Alert, AlertSignal, DisasterEvent
from dajiuzhu.alerts.scan import alerts_scan
from dajiuzhu.alerts.services import active_ruleset
from dajiuzhu.indices.models import IndexScore, RosterEntry, RosterEvent
from dajiuzhu.indices.roster import add_months, roster_compute
from dajiuzhu.indices.services import index_models_bootstrap, index_scores_compute
from dajiuzhu.registry.facts import household_frame
from dajiuzhu.registry.models import Household, HouseholdFacts
from dajiuzhu.registry.synthetic import load_county
from dajiuzhu.registry.tests.reference_facts import reference_household_frame

from .reference import roster as old_roster
from .reference import scan as old_scan
from .reference import services as old_services

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 15)
PREFIX = "371424"

SCORE_FIELDS = [f.attname for f in IndexScore._meta.concrete_fields if f.attname != "id"]
ENTRY_FIELDS = [f.attname for f in RosterEntry._meta.concrete_fields if f.attname != "id"]
EVENT_FIELDS = [f.attname for f in RosterEvent._meta.concrete_fields if f.attname != "id"]
ALERT_FIELDS = [f.attname for f in Alert._meta.concrete_fields if f.attname not in ("id", "created_at")]


def _rows(model, fields):
    return sorted(tuple(repr(v) for v in row) for row in model.objects.values_list(*fields))


def snapshot() -> dict:
    return {
        "scores": _rows(IndexScore, SCORE_FIELDS),
        "entries": _rows(RosterEntry, ENTRY_FIELDS),
        "events": _rows(RosterEvent, EVENT_FIELDS),
        "alerts": _rows(Alert, ALERT_FIELDS),
        "signals": sorted(AlertSignal.objects.values_list("household_id", "code", "key", "alert__household_id",
                                                          "alert__on")),
    }


def run_new(on):
    frame = household_frame(on=on, region_prefix=PREFIX)
    return (index_scores_compute(on=on, region_prefix=PREFIX, frame=frame),
            roster_compute(on=on, region_prefix=PREFIX, frame=frame),
            alerts_scan(on=on, region_prefix=PREFIX, frame=frame))


def run_reference(on):
    frame = reference_household_frame(on=on, region_prefix=PREFIX)
    return (old_services.index_scores_compute(on=on, region_prefix=PREFIX, frame=frame),
            old_roster.roster_compute(on=on, region_prefix=PREFIX, frame=frame),
            old_scan.alerts_scan(on=on, region_prefix=PREFIX, frame=frame))


def assert_same_run(on) -> dict:
    with transaction.atomic():
        expected = run_reference(on)
        expected_state = snapshot()
        transaction.set_rollback(True)
    got = run_new(on)
    state = snapshot()
    for name in expected_state:
        assert state[name] == expected_state[name], f"{name} differ on {on}"
    assert got == expected
    return state


def test_scores_roster_and_scan_equal_the_reference_over_several_dates():
    result = load_county(people=900, seed=23, today=TODAY)
    index_models_bootstrap()  # outside the rolled-back runs: both use the same model rows
    active_ruleset()
    households = list(Household.objects.order_by("id").values_list("id", "region_code"))
    # Fifteen households were on 低保 (no benefit in force now: they leave, some become former/recent leavers).
    RosterEntry.objects.bulk_create([RosterEntry(household_id=h, region_code=code, tier="dibao",
                                                 since=TODAY - dt.timedelta(days=400))
                                     for h, code in households[::60]])
    DisasterEvent.objects.create(region_code=result.planted["disaster"][0], kind="flood",
                                 occurred_on=TODAY - dt.timedelta(days=10))
    seen = assert_same_run(add_months(TODAY, -1))
    assert seen["entries"] and seen["events"] and seen["scores"]
    # Incomes change before today: some rise (leave tiers), some collapse (enter tiers, income-drop alerts).
    for i, (household_id, code) in enumerate(households[1::7]):
        HouseholdFacts.objects.update_or_create(
            household_id=household_id, as_of=TODAY - dt.timedelta(days=3),
            defaults={"region_code": code, "monthly_wages": Decimal("20000") if i % 2 else Decimal("0"),
                      "annual_medical_expense": Decimal("0") if i % 2 else Decimal("40000")})
    seen = assert_same_run(TODAY)
    assert any("'leave'" in row for row in seen["events"]) and seen["alerts"]
    assert any("disaster" in row for row in seen["signals"])
    # A re-run of the same date after a change of facts (scores upserted, signals already raised).
    for household_id, code in households[2::11]:
        HouseholdFacts.objects.update_or_create(
            household_id=household_id, as_of=TODAY - dt.timedelta(days=1),
            defaults={"region_code": code, "monthly_wages": Decimal("1"), "deposits": Decimal("0")})
    assert_same_run(TODAY)
    assert_same_run(TODAY)
    # Thirteen months on: rigid-spending entries expired (closed and opened again if still due).
    seen = assert_same_run(add_months(TODAY, 13))
    assert any("'expired'" in row for row in seen["events"])

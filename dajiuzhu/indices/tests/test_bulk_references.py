"""The monthly run's bulk writes skip PostgreSQL's per-row foreign-key triggers and check the keys set-based
(``indices.bulk.references_checked``): the rows stored must be exactly those of the trigger-checked path,
a dangling key must still fail the write, and the replica role must really have been used."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from dajiuzhu.alerts.services import active_ruleset
from dajiuzhu.core import fkchecks
from dajiuzhu.core.testing import run_rolled_back
from dajiuzhu.indices.bulk import Same, insert_columns
from dajiuzhu.indices.models import IndexScore, RosterEntry, RosterEvent
from dajiuzhu.indices.roster import add_months
from dajiuzhu.indices.services import index_models_bootstrap
from dajiuzhu.registry.models import Household, HouseholdFacts
from dajiuzhu.registry.synthetic import load_county

from .test_reference_equality import run_new, snapshot

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's triggers")]
TODAY = dt.date(2026, 11, 15)
PREFIX = "371424"


def _runs(monkeypatch, *, bulk: bool, households: list[tuple[int, str]]):
    """Two months and a re-run of the second after a change of facts (the upsert path); rolled back."""
    monkeypatch.setattr(fkchecks, "ENABLED", bulk)

    def work():
        counts = [run_new(add_months(TODAY, -1)), run_new(TODAY)]
        for household_id, code in households[::9]:
            HouseholdFacts.objects.update_or_create(
                household_id=household_id, as_of=TODAY - dt.timedelta(days=1),
                defaults={"region_code": code, "monthly_wages": Decimal("0"),
                          "annual_medical_expense": Decimal("60000")})
        counts.append(run_new(TODAY))
        return counts, snapshot()

    (counts, state), sql = run_rolled_back(work)
    return counts, state, sum("session_replication_role = replica" in q for q in sql)


def test_the_bulk_path_stores_exactly_the_rows_of_the_trigger_checked_path(monkeypatch):
    if not fkchecks.allowed(["indices_indexscore"]):
        pytest.skip("this database role may not set session_replication_role")
    load_county(people=700, seed=31, today=TODAY)
    index_models_bootstrap()
    active_ruleset()
    households = list(Household.objects.order_by("id").values_list("id", "region_code"))

    bulk_counts, bulk_state, bulk_replica = _runs(monkeypatch, bulk=True, households=households)
    row_counts, row_state, row_replica = _runs(monkeypatch, bulk=False, households=households)

    assert row_replica == 0
    assert bulk_replica >= 5  # scores copied (month 1), upserted (month 2, re-run), roster entries and events
    assert bulk_counts == row_counts
    for name in bulk_state:
        assert bulk_state[name] == row_state[name], name
    assert len(bulk_state["scores"]) == 2 * len(households)
    assert bulk_state["entries"] and bulk_state["events"] and bulk_state["alerts"]


@pytest.mark.parametrize("conflicts_possible", [False, True])
def test_a_dangling_household_key_fails_the_write_and_leaves_nothing(conflicts_possible):
    load_county(people=40, seed=5, today=TODAY)
    real = Household.objects.order_by("id").first()
    missing = Household.objects.order_by("-id").values_list("id", flat=True).first() + 5000
    before = (RosterEntry.objects.count(), RosterEvent.objects.count(), IndexScore.objects.count())
    columns = {"household_id": [real.pk, missing], "region_code": Same(real.region_code), "tier": Same("dibao"),
               "since": Same(TODAY), "reason": Same({})}
    with pytest.raises(IntegrityError, match=str(missing)), transaction.atomic():
        insert_columns(RosterEntry, columns, 2, conflicts_possible=conflicts_possible)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the trigger path fails here, at the latest
    assert (RosterEntry.objects.count(), RosterEvent.objects.count(), IndexScore.objects.count()) == before

"""The household-facts write is one ``INSERT … ON CONFLICT`` with no savepoint, and stores and returns what
``update_or_create`` stored and returned."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_TOWN, XINGLONG_VILLAGE, make_household, make_user
from dajiuzhu.registry.models import HouseholdFacts
from dajiuzhu.registry.services import _household_facts_write, household_facts_record
from dajiuzhu.registry.validation import parse_household_facts

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 1, 1)


def _stored(facts):
    return model_to_dict(HouseholdFacts.objects.get(pk=facts.pk)) | {"recorded_at": facts.recorded_at}


def test_a_new_observation_is_one_statement_and_the_returned_row_is_the_stored_one():
    household = make_household(XINGLONG_VILLAGE)
    admin = make_user("county_admin", "371424000000")
    values = parse_household_facts({"monthly_wages": "812.50", "deposits": "3000", "vehicles": "1",
                                    "housing": "d_class", "safe_water": "0"})
    with CaptureQueriesContext(connection) as ctx:
        facts = _household_facts_write(actor=admin, household=household, as_of=DAY, values=values, source="declared")
    assert len(ctx.captured_queries) == 1 and "ON CONFLICT" in ctx.captured_queries[0]["sql"]
    stored = HouseholdFacts.objects.get(pk=facts.pk)
    assert model_to_dict(facts) == model_to_dict(stored)
    assert facts.recorded_at == stored.recorded_at and facts.recorded_by_id == admin.pk
    assert facts.monthly_wages == Decimal("812.50") and isinstance(facts.monthly_wages, Decimal)
    assert facts.safe_water is False and facts.housing == "d_class" and facts.region_code == household.region_code
    assert not facts._state.adding


def test_a_second_observation_of_the_same_day_replaces_the_given_fields_and_keeps_the_others():
    household = make_household(XINGLONG_VILLAGE)
    admin = make_user("county_admin", "371424000000")
    first = household_facts_record(actor=admin, household=household, as_of=DAY,
                                   values={"monthly_wages": Decimal("100"), "deposits": Decimal("5000")})
    window = make_user("township_handler", LINYI_TOWN)  # another township's window, with an application
    second = household_facts_record(actor=window, household=household, as_of=DAY, source="verified",
                                    values={"monthly_wages": Decimal("900")}, for_application=True)
    assert second.pk == first.pk and household.facts.filter(as_of=DAY).count() == 1
    stored = HouseholdFacts.objects.get(pk=first.pk)
    assert model_to_dict(second) == model_to_dict(stored)
    # As update_or_create: the given fields, the source and who recorded replaced; the rest and the time kept.
    assert stored.monthly_wages == Decimal("900.00") and stored.deposits == Decimal("5000.00")
    assert stored.source == "verified" and stored.recorded_by_id == window.pk
    assert stored.recorded_at == first.recorded_at == second.recorded_at
    event = AuditEvent.objects.filter(action="household.facts", object_id=str(household.pk)).latest("id")
    assert event.old == {"monthly_wages": "100.00"} and event.new["monthly_wages"] == "900"


def test_without_the_audit_event_the_earlier_observation_is_not_read():
    household = make_household(XINGLONG_VILLAGE)
    admin = make_user("county_admin", "371424000000")
    assert admin.region.code  # the actor's region is read before (the policy check uses it)
    with CaptureQueriesContext(connection) as ctx:
        household_facts_record(actor=admin, household=household, as_of=DAY, values={"monthly_wages": Decimal("1")},
                               audit=False)
    statements = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1, statements

"""The comparison engine: exactly the false declarations, never an honest household."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.checks import compare
from dajiuzhu.checks.models import VerificationReport
from dajiuzhu.checks.services import verify_household
from dajiuzhu.core.errors import Forbidden
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import make_household, make_user, member_input

from .factories import deliver, row

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONTH = TODAY - dt.timedelta(days=30)


def _household(wages="600.00", **facts):
    return make_household(facts={"monthly_wages": Decimal(wages), **facts}, as_of=TODAY - dt.timedelta(days=60))


def test_honest_data_is_consistent_and_each_false_declaration_is_found():
    honest = _household()
    hidden_car = _household()
    hidden_wage = _household()
    hidden_house = _household()
    dead_member = _household()
    small_wage = _household(wages="800.00")  # the department knows less than declared: not a discrepancy
    deliver("hr_social_security", "wage", [
        row(honest.head, LAST_MONTH, monthly_wages="600"),
        row(hidden_wage.head, LAST_MONTH, monthly_wages="2600"),
        row(small_wage.head, LAST_MONTH, monthly_wages="300"),
    ])
    deliver("police", "vehicle", [row(hidden_car.head, LAST_MONTH, vehicles=1),
                                  row(honest.head, LAST_MONTH, vehicles=0)])
    deliver("property_registry", "house", [row(hidden_house.head, LAST_MONTH, houses=2),
                                           row(honest.head, LAST_MONTH, houses=1)])
    spouse = dead_member.members.exclude(pk=dead_member.head_id).get()
    deliver("civil_affairs", "cremation", [row(spouse, LAST_MONTH, death_date=(LAST_MONTH - dt.timedelta(days=5)))])
    ids = [h.pk for h in (honest, hidden_car, hidden_wage, hidden_house, dead_member, small_wage)]
    result = compare.compare(on=TODAY, household_ids=ids)
    flagged = {int(h) for h, bad in zip(result.household_ids, result.any_discrepancy, strict=True) if bad}
    assert flagged == {hidden_car.pk, hidden_wage.pk, hidden_house.pk, dead_member.pk}
    i = result.index_of(hidden_wage.pk)
    assert result.found["wages"][i] == 260000 and result.declared["wages"][i] == 60000
    assert result.discrepant["vehicles"][result.index_of(hidden_car.pk)]
    assert result.discrepant["houses"][result.index_of(hidden_house.pk)]
    assert result.discrepant["deaths"][result.index_of(dead_member.pk)]


def test_the_reference_date_and_the_look_back_window_are_respected():
    household = _household()
    deliver("police", "vehicle", [row(household.head, LAST_MONTH, vehicles=1)])
    before = compare.compare(on=LAST_MONTH - dt.timedelta(days=1), household_ids=[household.pk])
    assert not before.any_discrepancy.any()  # the car was not known yet on that day
    later = compare.compare(on=LAST_MONTH + dt.timedelta(days=compare.window_days() + 1), household_ids=[household.pk])
    assert not later.any_discrepancy.any()  # too old to describe that day


def test_a_different_disability_grade_is_a_discrepancy_of_that_member():
    household = make_household(members=[member_input("王五", disability_grade=2, disability_category="physical"),
                                        member_input("赵六", relation="spouse", sex="F")],
                               as_of=TODAY - dt.timedelta(days=60))
    head = household.head
    deliver("disabled_federation", "disability", [row(head, LAST_MONTH, grade=4, category="physical")])
    result = compare.compare(on=TODAY, household_ids=[household.pk])
    assert result.discrepant["disability"][0]
    assert result.grade_of[head.pk] == (4, 2)


def test_bulk_and_single_household_comparisons_agree():
    households = [_household() for _ in range(4)]
    deliver("banks", "deposit", [row(households[1].head, LAST_MONTH, amount="90000"),
                                 row(households[2].head, LAST_MONTH, amount="5")])
    bulk = compare.compare(on=TODAY, region_prefix="371424")
    for household in households:
        single = compare.compare(on=TODAY, household_ids=[household.pk])
        i = bulk.index_of(household.pk)
        for code in single.discrepant:
            assert bool(single.discrepant[code][0]) == bool(bulk.discrepant[code][i])
            assert int(single.found[code][0]) == int(bulk.found[code][i])


def test_no_query_runs_without_a_signed_authorisation():
    household = _household()
    approver = make_user("township_approver")
    with pytest.raises(Forbidden) as refused:
        verify_household(actor=approver, household=household, as_of=TODAY)
    assert not VerificationReport.objects.exists()
    event = AuditEvent.objects.get(action="checks.verify.refused")
    assert event.object_id == str(household.pk) and event.new["reason"] == refused.value.message


def test_department_values_gives_the_latest_value_per_person_and_type():
    from dajiuzhu.checks.selectors import department_values

    household = _household()
    deliver("banks", "deposit", [row(household.head, TODAY - dt.timedelta(days=90), amount="100")])
    deliver("banks", "deposit", [row(household.head, LAST_MONTH, amount="300")])
    deliver("police", "vehicle", [row(household.head, LAST_MONTH, vehicles=1)])
    values = list(department_values(on=TODAY, region_prefix="371424", data_types=["deposit"]))
    assert [(v.data_type, v.amount) for v in values] == [("deposit", 30000)]
    earlier = list(department_values(on=LAST_MONTH - dt.timedelta(days=1), data_types=["deposit"]))
    assert [v.amount for v in earlier] == [10000]
    assert {v.data_type for v in department_values(on=TODAY)} == {"deposit", "vehicle"}


def test_declared_facts_of_many_households_equal_the_single_household_path():
    from dajiuzhu.checks.batch import declared_facts_many
    from dajiuzhu.checks.services import declared_facts

    households = [_household(), _household(wages="1500.00", deposits=Decimal("3000"))]
    many = declared_facts_many(on=TODAY, household_ids=[h.pk for h in households])
    for household in households:
        assert many[household.pk] == declared_facts(household, None, TODAY)

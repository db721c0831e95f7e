import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404

from dajiuzhu.core.audit import audit_verify
from dajiuzhu.core.errors import Conflict, DomainError, Forbidden
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import (
    LINYI_TOWN,
    LINYI_VILLAGE,
    LINYI_VILLAGE_2,
    XINGLONG_TOWN,
    XINGLONG_VILLAGE,
    make_household,
    make_user,
    member_input,
)
from dajiuzhu.registry import facts as facts_mod
from dajiuzhu.registry.models import Household, Membership
from dajiuzhu.registry.selectors import household_get, household_list, person_find_by_id_number
from dajiuzhu.registry.services import household_facts_record, member_move, person_record_death

pytestmark = pytest.mark.django_db


def test_id_numbers_are_encrypted_at_rest_and_found_by_blind_index():
    household = make_household()
    head = household.head
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM registry_person WHERE id = %s", [head.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and head.id_number not in stored
    admin = make_user("county_admin", "371424000000")
    assert person_find_by_id_number(actor=admin, id_number=head.id_number.lower()) == head


def test_a_person_cannot_be_in_two_households():
    first = make_household()
    again = member_input("张三", id_number=first.head.id_number)
    with pytest.raises(Conflict, match="already in another household"):
        make_household(LINYI_VILLAGE_2, members=[again])
    assert Household.objects.count() == 1


def test_household_needs_exactly_one_head():
    with pytest.raises(DomainError, match="exactly one head"):
        make_household(members=[member_input("甲", relation="spouse")])


def test_moving_a_member_is_audited_and_keeps_history():
    home = make_household()
    other = make_household(LINYI_VILLAGE_2)
    spouse = home.members.exclude(pk=home.head_id).get()
    admin = make_user("county_admin", "371424000000")
    member_move(actor=admin, person=spouse, to_household=other, relation="other", on=dt.date.today())
    spouse.refresh_from_db()
    assert spouse.household == other and spouse.region_code == LINYI_VILLAGE_2
    history = list(Membership.objects.filter(person=spouse).order_by("start"))
    assert history[0].end == dt.date.today() and history[1].household == other
    assert AuditEvent.objects.filter(action="member.move", object_id=str(spouse.pk)).exists()
    assert audit_verify().ok


def test_township_user_cannot_see_or_change_another_townships_household():
    household = make_household(XINGLONG_VILLAGE)
    linyi = make_user("township_handler", LINYI_TOWN)
    xinglong = make_user("township_handler", XINGLONG_TOWN)
    assert household_get(actor=xinglong, pk=household.pk) == household
    with pytest.raises(Http404):
        household_get(actor=linyi, pk=household.pk)
    assert not household_list(actor=linyi).filter(pk=household.pk).exists()
    before = household.facts.count()
    with pytest.raises(Forbidden):
        household_facts_record(actor=linyi, household=household, as_of=dt.date(2026, 1, 1), values={})
    assert household.facts.count() == before


def test_department_user_sees_no_registry():
    make_household()
    dept = make_user("department", "371424000000")
    assert household_list(actor=dept).count() == 0


def test_facts_are_read_back_as_of_a_past_date():
    household = make_household(facts={"monthly_wages": Decimal("1200")}, as_of=dt.date(2025, 1, 1))
    admin = make_user("county_admin", "371424000000")
    household_facts_record(actor=admin, household=household, as_of=dt.date(2025, 7, 1),
                           values={"monthly_wages": Decimal("300")})
    early = facts_mod.household_facts(household.pk, on=dt.date(2025, 3, 1))
    late = facts_mod.household_facts(household.pk, on=dt.date(2025, 8, 1))
    assert early["monthly_income"] == Decimal("1200.00") and early["per_capita_income"] == Decimal("600.00")
    assert late["monthly_income"] == Decimal("300.00") and late["per_capita_income"] == Decimal("150.00")
    before = facts_mod.household_facts(household.pk, on=dt.date(2024, 12, 1))
    assert before["has_facts"] is False


def test_a_dead_member_no_longer_counts():
    household = make_household(facts={"monthly_wages": Decimal("900")}, as_of=dt.date(2025, 1, 1))
    admin = make_user("county_admin", "371424000000")
    spouse = household.members.exclude(pk=household.head_id).get()
    person_record_death(actor=admin, person=spouse, on=dt.date(2025, 6, 1))
    assert facts_mod.household_facts(household.pk, on=dt.date(2025, 5, 1))["household_size"] == 2
    after = facts_mod.household_facts(household.pk, on=dt.date(2025, 6, 2))
    assert after["household_size"] == 1 and after["per_capita_income"] == Decimal("900.00")


def test_frame_and_single_household_agree():
    make_household(facts={"monthly_wages": Decimal("1001")})
    make_household(LINYI_VILLAGE_2, members=[member_input("王五", age=70, health="serious", disability_grade=2,
                                                          disability_category="physical", adl_failed=4)])
    frame = facts_mod.household_frame(on=dt.date.today(), region_prefix="371424")
    assert len(frame) == 2
    for i, hid in enumerate(frame.household_ids):
        assert frame.row(i) == facts_mod.household_facts(int(hid), on=dt.date.today())
    row = frame.row(1)
    assert row["members_over_60"] == 1 and row["severely_disabled_members"] == 1 and row["max_adl_failed"] == 4
    assert frame.row(0)["per_capita_income"] == Decimal("500.50")


def test_a_window_of_another_township_may_record_declared_facts_only_with_an_application():
    """Apply anywhere: a township window of the same county records the facts a family declares with
    its application; without an application, and for any other role or county, the household stays its
    own township's."""
    household = make_household(XINGLONG_VILLAGE)
    window = make_user("township_handler", LINYI_TOWN)
    village = make_user("village_worker", LINYI_VILLAGE)
    other_county = make_user("township_handler", "371402001000")  # 新湖街道 of 德城区
    values = {"monthly_wages": Decimal("800.00")}
    before = household.facts.count()
    for actor in (village, other_county):
        with pytest.raises(Forbidden):
            household_facts_record(actor=actor, household=household, as_of=dt.date(2026, 1, 1), values=values,
                                   for_application=True)
    with pytest.raises(Forbidden):  # without an application: not this window's household
        household_facts_record(actor=window, household=household, as_of=dt.date(2026, 1, 1), values=values)
    with pytest.raises(Forbidden):  # not auditing never widens who may write
        household_facts_record(actor=window, household=household, as_of=dt.date(2026, 1, 1), values=values,
                               audit=False)
    assert household.facts.count() == before
    household_facts_record(actor=window, household=household, as_of=dt.date(2026, 1, 1), values=values,
                           for_application=True)
    assert household.facts.count() == before + 1
    event = AuditEvent.objects.filter(action="household.facts", object_id=str(household.pk)).latest("id")
    assert event.new["for"] == "application" and event.actor_id == window.pk


def test_a_resident_may_declare_facts_with_an_application_for_their_own_household_only():
    mine, theirs = make_household(XINGLONG_VILLAGE), make_household(XINGLONG_VILLAGE)
    resident = make_user("resident", XINGLONG_VILLAGE)
    resident.person_id_hash = mine.head.id_hash
    resident.save(update_fields=["person_id_hash"])
    values = {"monthly_wages": Decimal("500.00")}
    with pytest.raises(Forbidden):
        household_facts_record(actor=resident, household=theirs, as_of=dt.date(2026, 1, 1), values=values,
                               for_application=True)
    with pytest.raises(Forbidden):
        household_facts_record(actor=resident, household=mine, as_of=dt.date(2026, 1, 1), values=values)
    household_facts_record(actor=resident, household=mine, as_of=dt.date(2026, 1, 1), values=values,
                           for_application=True)
    assert mine.facts.filter(as_of=dt.date(2026, 1, 1)).exists()
    assert not theirs.facts.filter(as_of=dt.date(2026, 1, 1)).exists()

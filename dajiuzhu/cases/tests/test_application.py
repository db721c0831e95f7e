"""The application at the window and its instant decision (肯定式受理), with the bad inputs of the issue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404

from dajiuzhu.cases import hooks
from dajiuzhu.cases.dates import add_months
from dajiuzhu.cases.models import Case, CaseItem, CaseStatus, ItemStatus, Path, Signature
from dajiuzhu.cases.selectors import active_benefits, case_get, case_list
from dajiuzhu.cases.services import DuplicateApplication, application_submit
from dajiuzhu.cases.window import NewHousehold, household_lookup, window_submit
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import LINYI_TOWN, LINYI_VILLAGE, XINGLONG_VILLAGE, make_household, member_input
from dajiuzhu.registry.models import Household

from .conftest import family, next_month_start, today

pytestmark = pytest.mark.django_db


def submit_new_family(actor, *, items=("dibao",), village=XINGLONG_VILLAGE, promise=True, authorisation=True,
                      members=None, facts=None, **kw):
    default_members, default_facts = family(**kw)
    return window_submit(
        actor=actor, item_codes=list(items), facts=facts or default_facts, promise_signed=promise,
        authorisation_signed=authorisation, id_number=(members or default_members)[0]["id_number"],
        new_household=NewHousehold(region_code=village, members=members or default_members, address="兴隆村3号"),
    )


def item_of(case: Case, code: str) -> CaseItem:
    return case.items.select_related("item").get(item__code=code)


def test_linyi_window_registers_a_xinglong_family_and_gets_dibao_with_the_amount_in_one_request(
        catalogue, linyi_handler, xinglong_handler, deping_handler):
    # Rural 低保 standard 720; two adults, wages 600 a month: (720 − 300) × 2 = 840 a month.
    case = submit_new_family(linyi_handler)
    dibao = item_of(case, "dibao")
    assert dibao.status == ItemStatus.APPROVED
    assert dibao.amount == Decimal("840.00")
    assert dibao.path == Path.TRUST_FIRST
    assert dibao.effective_from == next_month_start()
    assert dibao.review_due == add_months(next_month_start(), 12)
    assert dibao.rule_version_id is not None
    assert any("840" in reason for reason in dibao.reasons)
    assert case.status == CaseStatus.DECIDED
    assert case.region_code == XINGLONG_VILLAGE and case.accepted_region_code == LINYI_TOWN
    assert dibao.covered.count() == 2
    # Visible to the accepting window and to the residence township, not to a third township.
    assert case_get(actor=linyi_handler, pk=case.pk) == case
    assert case_get(actor=xinglong_handler, pk=case.pk) == case
    with pytest.raises(Http404):
        case_get(actor=deping_handler, pk=case.pk)
    assert not case_list(actor=deping_handler).exists()
    assert active_benefits(on=next_month_start()).filter(pk=dibao.pk).exists()
    assert AuditEvent.objects.filter(action="case.submit", object_id=str(case.pk)).exists()


def test_one_application_is_sorted_into_every_tier_it_qualifies_for(catalogue, linyi_handler):
    # Per-capita income 800: over the 低保 standard (720), under 1.5 × 720 = 1080 → 低保边缘 (near-poor).
    case = submit_new_family(linyi_handler, wages="1600.00")
    dibao = item_of(case, "dibao")
    assert dibao.status == ItemStatus.REFUSED and dibao.reasons
    near_poor = item_of(case, "near_poor")
    assert near_poor.status == ItemStatus.APPROVED and not near_poor.requested
    assert case.status == CaseStatus.DECIDED


def test_irregular_income_brings_the_review_forward_to_six_months(catalogue, linyi_handler):
    case = submit_new_family(linyi_handler, wages="300.00", business="300.00")
    dibao = item_of(case, "dibao")
    assert dibao.status == ItemStatus.APPROVED
    assert dibao.review_due == add_months(next_month_start(), 6)
    assert case.irregular_income


def test_promise_and_authorisation_are_recorded_for_the_applicant_and_adult_members(catalogue, linyi_handler):
    members, facts = family()
    members.append({"name": "王小明", "id_number": member_input(age=8).id_number, "relation": "child"})
    case = submit_new_family(linyi_handler, members=members, facts=facts)
    assert case.signatures.filter(kind=Signature.Kind.PROMISE).count() == 1
    authorisations = case.signatures.filter(kind=Signature.Kind.AUTHORISATION)
    assert authorisations.count() == 2  # the two adults, not the child
    assert {s.text_version for s in case.signatures.all()} >= {"XY-2026.1", "SQ-2026.1"}


@pytest.mark.parametrize("promise,authorisation", [(False, True), (True, False)])
def test_an_application_without_both_signatures_is_refused_and_nothing_changes(
        catalogue, linyi_handler, promise, authorisation):
    households = Household.objects.count()
    with pytest.raises(DomainError) as caught:
        submit_new_family(linyi_handler, promise=promise, authorisation=authorisation)
    assert "信用承诺" in caught.value.message or "授权书" in caught.value.message
    assert Household.objects.count() == households
    assert not Case.objects.exists()


def test_an_item_the_household_already_receives_is_refused_with_the_reason(catalogue, linyi_handler):
    first = submit_new_family(linyi_handler)
    household = first.household
    with pytest.raises(DuplicateApplication) as caught:
        application_submit(actor=linyi_handler, household=household, item_codes=["dibao"], promise_signed=True,
                           authorisation_signed=True)
    assert "already receives" in caught.value.message and first.number in caught.value.message
    assert Case.objects.count() == 1


def test_a_person_receiving_an_item_through_another_household_is_refused(catalogue, linyi_handler):
    from dajiuzhu.registry.services import member_move

    first = submit_new_family(linyi_handler)
    spouse = first.household.members.get(relation="spouse")
    other = make_household(XINGLONG_VILLAGE, members=[member_input("赵六")])
    member_move(actor=linyi_handler.__class__.objects.get(username__startswith="factory-admin"), person=spouse,
                to_household=other, relation="spouse")
    with pytest.raises(DuplicateApplication) as caught:
        application_submit(actor=linyi_handler, household=other, item_codes=["dibao"], promise_signed=True,
                           authorisation_signed=True)
    assert "李*" in caught.value.message and first.household.number in caught.value.message
    assert Case.objects.count() == 1


def test_an_item_excluded_by_one_received_is_refused(catalogue, linyi_handler):
    first = submit_new_family(linyi_handler)
    with pytest.raises(DuplicateApplication) as caught:
        application_submit(actor=linyi_handler, household=first.household, item_codes=["tekun"],
                           promise_signed=True, authorisation_signed=True)
    assert "cannot be given together" in caught.value.message
    assert Case.objects.count() == 1


def test_two_items_that_exclude_each_other_cannot_be_asked_for_together(catalogue, linyi_handler):
    with pytest.raises(DomainError):
        submit_new_family(linyi_handler, items=("dibao", "near_poor"))
    assert not Case.objects.exists() and not Household.objects.exists()


def test_a_benefit_over_the_ceiling_is_refused_and_nothing_changes(catalogue, linyi_handler):
    from dajiuzhu.core.testing import make_user
    from dajiuzhu.programs.models import AssistanceItem
    from dajiuzhu.programs.services import item_update

    admin = make_user("county_admin", "371424000000")
    item_update(actor=admin, item=AssistanceItem.objects.get(code="dibao"),
                data={"household_ceiling": "500", "cap_at_ceiling": False}, note="test ceiling")
    with pytest.raises(DomainError) as caught:
        submit_new_family(linyi_handler)
    assert "ceiling" in caught.value.message
    assert not Case.objects.exists() and not Household.objects.exists()


def test_a_negative_benefit_is_refused_and_nothing_changes(catalogue, linyi_handler):
    from dajiuzhu.core.testing import make_user
    from dajiuzhu.programs.models import AssistanceItem
    from dajiuzhu.programs.services import item_update

    admin = make_user("county_admin", "371424000000")
    item_update(actor=admin, item=AssistanceItem.objects.get(code="dibao"),
                data={"benefit": "per_capita_income - std.dibao"}, note="a wrong formula")
    with pytest.raises(DomainError) as caught:
        submit_new_family(linyi_handler)
    assert "negative" in caught.value.message
    assert not Case.objects.exists()


def test_a_restriction_puts_every_item_on_the_check_first_path(catalogue, linyi_handler, monkeypatch):
    monkeypatch.setattr(hooks, "RESTRICTION_CHECKS", [lambda household: "失信记录 (dishonesty record)"])
    case = submit_new_family(linyi_handler)
    dibao = item_of(case, "dibao")
    assert dibao.status == ItemStatus.PENDING and dibao.path == Path.CHECK_FIRST
    assert case.status == CaseStatus.ACCEPTED
    assert "失信" in case.restriction


def test_a_check_first_item_waits_while_a_trust_first_one_is_decided_at_once(catalogue, linyi_handler):
    # An elderly man living alone with no income: 特困 (check first, county) is pending.
    members = [{"name": "孙老汉", "id_number": member_input(age=72).id_number, "relation": "head", "labour": "none"}]
    case = submit_new_family(linyi_handler, items=("tekun",), members=members, facts={"monthly_wages": "0"})
    tekun = item_of(case, "tekun")
    assert tekun.status == ItemStatus.PENDING and tekun.path == Path.CHECK_FIRST
    assert tekun.amount == Decimal("1016.00")  # 1.3 × 720 + 80 (self-care), proposed
    assert case.status == CaseStatus.ACCEPTED


def test_a_window_finds_a_household_of_another_township_only_by_the_full_id_number(catalogue, linyi_handler):
    household = make_household(XINGLONG_VILLAGE)
    head = household.head
    assert household_lookup(actor=linyi_handler, id_number=head.id_number) == household
    with pytest.raises(DomainError):
        household_lookup(actor=linyi_handler, id_number=head.id_number[:10])
    from dajiuzhu.registry.selectors import household_list

    assert not household_list(actor=linyi_handler).filter(pk=household.pk).exists()  # no browsing


def test_an_existing_household_of_another_township_applies_at_the_window(catalogue, linyi_handler):
    household = make_household(XINGLONG_VILLAGE)
    case = window_submit(actor=linyi_handler, item_codes=["dibao"], facts={"monthly_wages": "600"},
                         promise_signed=True, authorisation_signed=True, id_number=household.head.id_number)
    assert item_of(case, "dibao").amount == Decimal("840.00")
    assert AuditEvent.objects.filter(action="household.facts", object_id=str(household.pk)).exists()


def test_a_village_worker_applies_on_a_residents_behalf_in_their_village(catalogue):
    from dajiuzhu.core.testing import make_user

    worker = make_user("village_worker", LINYI_VILLAGE)
    household = make_household(LINYI_VILLAGE)
    case = application_submit(actor=worker, household=household, item_codes=["dibao"], channel="proxy",
                              promise_signed=True, authorisation_signed=True)
    assert item_of(case, "dibao").status == ItemStatus.APPROVED
    other = make_household(XINGLONG_VILLAGE)
    with pytest.raises(Http404):
        application_submit(actor=worker, household=other, item_codes=["dibao"], channel="proxy",
                           promise_signed=True, authorisation_signed=True)


def test_one_open_application_per_household_and_item_is_a_database_constraint(catalogue, linyi_handler):
    case = submit_new_family(linyi_handler)
    dibao = item_of(case, "dibao")
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseItem.objects.create(case=case, household=case.household, region_code=case.region_code, item=dibao.item,
                                status=ItemStatus.PENDING)
    # A refused item does not count as open.
    CaseItem.objects.create(case=case, household=case.household, region_code=case.region_code, item=dibao.item,
                            status=ItemStatus.REFUSED)


def test_the_decision_signal_is_sent_on_commit(catalogue, linyi_handler, django_capture_on_commit_callbacks):
    from dajiuzhu.cases.signals import case_item_decided

    received = []

    def listener(sender, case_item, outcome, **kwargs):
        received.append((case_item.item.code, outcome))

    case_item_decided.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            submit_new_family(linyi_handler)
    finally:
        case_item_decided.disconnect(listener)
    assert ("dibao", ItemStatus.APPROVED) in received


def test_today_is_used_for_the_declared_facts(catalogue, linyi_handler):
    case = submit_new_family(linyi_handler)
    assert case.household.facts.filter(as_of=today(), source="declared").exists()

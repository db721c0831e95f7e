"""The standard (check-first) path, step by step to the county's decision, and who may take each step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404

from dajiuzhu.cases import hooks
from dajiuzhu.cases.models import Case, CaseEvent, CaseStatus, ItemStatus, Objection, PublicNotice
from dajiuzhu.cases.selectors import approver_queue, notices_in_force
from dajiuzhu.cases.services import case_decide, case_transition
from dajiuzhu.cases.window import NewHousehold, window_submit
from dajiuzhu.core.errors import DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import XINGLONG_VILLAGE, member_input

from .conftest import today

pytestmark = pytest.mark.django_db


def tekun_case(actor) -> Case:
    """特困 (check first, decided by the county) for an elderly man living alone without income."""
    members = [{"name": "孙德顺", "id_number": member_input(age=72).id_number, "relation": "head", "labour": "none"}]
    return window_submit(actor=actor, item_codes=["tekun"], facts={"monthly_wages": "0"}, promise_signed=True,
                         authorisation_signed=True, id_number=members[0]["id_number"],
                         new_household=NewHousehold(region_code=XINGLONG_VILLAGE, members=members))


def walk_to_notice(case, handler, on):
    case_transition(actor=handler, case=case, step="investigate")
    case_transition(actor=handler, case=case, step="record_home_visit", opinion="入户核实：独居，无劳动能力")
    case_transition(actor=handler, case=case, step="record_deliberation", opinion="村民代表评议同意")
    case_transition(actor=handler, case=case, step="township_opinion", opinion="符合特困供养条件，报县审批")
    return case_transition(actor=handler, case=case, step="publish_notice", on=on)


def test_a_check_first_item_goes_through_every_step_to_the_county(
        catalogue, linyi_handler, xinglong_handler, xinglong_approver, county_approver, monkeypatch):
    verified = []
    monkeypatch.setattr(hooks, "VERIFIERS", [lambda case, actor: verified.append(case.pk) or "核对无异常"])
    case = tekun_case(linyi_handler)
    assert case.status == CaseStatus.ACCEPTED
    start = today() - dt.timedelta(days=10)
    walk_to_notice(case, xinglong_handler, start)
    assert verified == [case.pk]
    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLIC_NOTICE
    notice = case.notices.get()
    assert notice.ends_on - notice.starts_on == dt.timedelta(days=6)  # 7 days on the board
    # The notice cannot close before its 7 days have run.
    with pytest.raises(DomainError):
        case_transition(actor=xinglong_handler, case=case, step="close_notice", on=start + dt.timedelta(days=5))
    case_transition(actor=xinglong_handler, case=case, step="close_notice", on=start + dt.timedelta(days=7))
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_DECISION
    # 特困 is decided by the county: the township approver may not.
    with pytest.raises(Forbidden):
        case_decide(actor=xinglong_approver, case=case, outcome="approve", opinion="同意")
    assert case in approver_queue(actor=county_approver)
    assert case not in approver_queue(actor=xinglong_approver)
    case_decide(actor=county_approver, case=case, outcome="approve", opinion="同意纳入特困供养")
    case.refresh_from_db()
    assert case.status == CaseStatus.DECIDED
    item = case.items.get(item__code="tekun")
    assert item.status == ItemStatus.APPROVED
    assert item.amount == Decimal("1016.00")  # 1.3 × 720 + 80 self-care
    assert item.decided_by == county_approver
    case_transition(actor=xinglong_handler, case=case, step="issue_decision_notice")
    case.refresh_from_db()
    assert case.status == CaseStatus.NOTIFIED
    actions = list(case.events.values_list("action", flat=True))
    for step in ("submit", "investigate", "record_home_visit", "record_deliberation", "township_opinion",
                 "publish_notice", "close_notice", "decide_item", "decide", "issue_decision_notice"):
        assert step in actions
    assert AuditEvent.objects.filter(action="case.decide", object_id=str(case.pk)).exists()


def test_a_step_out_of_order_is_refused_and_changes_nothing(catalogue, linyi_handler):
    case = tekun_case(linyi_handler)
    events = CaseEvent.objects.count()
    with pytest.raises(InvalidTransition):
        case_transition(actor=linyi_handler, case=case, step="publish_notice")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and CaseEvent.objects.count() == events


def test_a_step_needing_an_opinion_is_refused_without_one(catalogue, linyi_handler):
    case = tekun_case(linyi_handler)
    case_transition(actor=linyi_handler, case=case, step="investigate")
    with pytest.raises(DomainError):
        case_transition(actor=linyi_handler, case=case, step="record_home_visit", opinion="  ")


def test_an_approver_cannot_approve_a_case_they_handled(catalogue, linyi_handler, xinglong_handler, county_approver):
    case = tekun_case(linyi_handler)
    case_transition(actor=county_approver, case=case, step="investigate")
    case_transition(actor=xinglong_handler, case=case, step="record_home_visit", opinion="入户")
    case_transition(actor=xinglong_handler, case=case, step="record_deliberation", opinion="评议")
    case_transition(actor=xinglong_handler, case=case, step="township_opinion", opinion="同意")
    case_transition(actor=xinglong_handler, case=case, step="publish_notice", on=today() - dt.timedelta(days=8))
    case_transition(actor=xinglong_handler, case=case, step="close_notice")
    with pytest.raises(Forbidden) as caught:
        case_decide(actor=county_approver, case=case, outcome="approve", opinion="同意")
    assert "another approver" in caught.value.message
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_DECISION
    assert case.items.get(item__code="tekun").status == ItemStatus.PENDING


def test_a_decision_outside_the_jurisdiction_is_a_404_and_changes_nothing(
        catalogue, linyi_handler, xinglong_handler, other_county_approver):
    case = tekun_case(linyi_handler)
    walk_to_notice(case, xinglong_handler, today() - dt.timedelta(days=8))
    case_transition(actor=xinglong_handler, case=case, step="close_notice")
    with pytest.raises(Http404):
        case_decide(actor=other_county_approver, case=case, outcome="approve", opinion="同意")
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_DECISION
    assert not AuditEvent.objects.filter(action="case.decide").exists()


def test_a_handler_without_the_approval_right_cannot_decide(catalogue, linyi_handler, xinglong_handler):
    case = tekun_case(linyi_handler)
    walk_to_notice(case, xinglong_handler, today() - dt.timedelta(days=8))
    case_transition(actor=xinglong_handler, case=case, step="close_notice")
    with pytest.raises(Http404):
        case_decide(actor=xinglong_handler, case=case, outcome="approve", opinion="同意")


def test_an_objection_sends_the_case_back_to_investigation(catalogue, linyi_handler, xinglong_handler):
    from dajiuzhu.cases.services import objection_lodge

    case = tekun_case(linyi_handler)
    walk_to_notice(case, xinglong_handler, today() - dt.timedelta(days=2))
    notice = case.notices.get()
    assert notice in notices_in_force(village_code=XINGLONG_VILLAGE)
    objection_lodge(notice=notice, text="此户有子女在外务工，收入较高")
    case.refresh_from_db()
    notice.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING
    assert notice.status == PublicNotice.Status.WITHDRAWN
    assert Objection.objects.get().case == case
    # Investigated again and published again: the path continues.
    case_transition(actor=xinglong_handler, case=case, step="record_home_visit", opinion="复查：子女未共同生活")
    case.refresh_from_db()
    assert case.status == CaseStatus.HOME_VISITED


def test_a_township_approver_decides_a_delegated_item(catalogue, linyi_handler, xinglong_handler,
                                                      xinglong_approver, monkeypatch):
    monkeypatch.setattr(hooks, "RESTRICTION_CHECKS", [lambda household: "失信"])
    members = [{"name": "周明", "id_number": member_input(age=40).id_number, "relation": "head"}]
    case = window_submit(actor=linyi_handler, item_codes=["dibao"], facts={"monthly_wages": "200"},
                         promise_signed=True, authorisation_signed=True, id_number=members[0]["id_number"],
                         new_household=NewHousehold(region_code=XINGLONG_VILLAGE, members=members))
    walk_to_notice(case, xinglong_handler, today() - dt.timedelta(days=8))
    case_transition(actor=xinglong_handler, case=case, step="close_notice")
    case_decide(actor=xinglong_approver, case=case, outcome="refuse", opinion="核对发现隐瞒收入")
    item = case.items.get(item__code="dibao")
    assert item.status == ItemStatus.REFUSED and item.reasons == ["核对发现隐瞒收入"]


def test_withdrawing_refuses_the_pending_items(catalogue, linyi_handler):
    case = tekun_case(linyi_handler)
    case_transition(actor=linyi_handler, case=case, step="withdraw", opinion="申请人撤回")
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    assert case.items.get(item__code="tekun").status == ItemStatus.REFUSED


def test_an_approver_cannot_approve_a_case_they_created(catalogue, linyi_handler, xinglong_handler, county_approver):
    case = tekun_case(linyi_handler)
    walk_to_notice(case, xinglong_handler, today() - dt.timedelta(days=8))
    case_transition(actor=xinglong_handler, case=case, step="close_notice")
    Case.objects.filter(pk=case.pk).update(created_by=county_approver)
    with pytest.raises(Forbidden):
        case_decide(actor=county_approver, case=case, outcome="approve", opinion="同意")
    assert case.items.get(item__code="tekun").status == ItemStatus.PENDING

"""Reviews (复核), amount changes, revocation with the overpayment, ending, and appeals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from dajiuzhu.cases.models import Appeal, CaseItem, ItemStatus, Review
from dajiuzhu.cases.reviews import overpayment_months
from dajiuzhu.cases.selectors import active_benefits, due_reviews
from dajiuzhu.cases.services import (
    appeal_decide,
    appeal_lodge,
    case_item_adjust,
    case_item_end,
    case_item_review_confirm,
    case_item_revoke,
)
from dajiuzhu.core.errors import Conflict, DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.testing import make_user

from .conftest import DEPING_TOWN, today
from .test_application import item_of, submit_new_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def dibao(catalogue, linyi_handler) -> CaseItem:
    return item_of(submit_new_family(linyi_handler), "dibao")


def test_overpayment_is_the_months_paid_while_not_due_times_the_amount():
    # Paid from 1 January; not due from 15 March; revoked 10 June: March, April, May, June = 4 months.
    assert overpayment_months(effective_from=dt.date(2026, 1, 1), not_due_from=dt.date(2026, 3, 15),
                              revoked_on=dt.date(2026, 6, 10)) == 4
    assert overpayment_months(effective_from=dt.date(2026, 1, 1), not_due_from=dt.date(2025, 11, 1),
                              revoked_on=dt.date(2026, 2, 28)) == 2
    assert overpayment_months(effective_from=dt.date(2026, 7, 1), not_due_from=dt.date(2026, 6, 1),
                              revoked_on=dt.date(2026, 6, 20)) == 0


def test_revocation_records_reason_date_and_overpayment_exactly(dibao, xinglong_handler):
    CaseItem.objects.filter(pk=dibao.pk).update(effective_from=dt.date(2026, 1, 1))
    dibao.refresh_from_db()
    revocation = case_item_revoke(actor=xinglong_handler, case_item=dibao, reason="核对发现有车辆未申报",
                                  not_due_from=dt.date(2026, 3, 15), dishonest=True, on=dt.date(2026, 6, 10))
    assert revocation.months_overpaid == 4
    assert revocation.overpayment == Decimal("3360.00")  # 4 × 840.00
    assert revocation.dishonest
    dibao.refresh_from_db()
    assert dibao.status == ItemStatus.REVOKED
    assert dibao.effective_to == dt.date(2026, 6, 30)
    assert not active_benefits(on=dt.date(2026, 7, 1)).filter(pk=dibao.pk).exists()
    assert Review.objects.get(case_item=dibao).outcome == Review.Outcome.REVOKED


def test_a_revocation_needs_a_reason_and_a_past_date(dibao, xinglong_handler):
    with pytest.raises(DomainError):
        case_item_revoke(actor=xinglong_handler, case_item=dibao, reason=" ", not_due_from=today())
    with pytest.raises(DomainError):
        case_item_revoke(actor=xinglong_handler, case_item=dibao, reason="x", not_due_from=today() + dt.timedelta(1))
    dibao.refresh_from_db()
    assert dibao.status == ItemStatus.APPROVED


def test_a_revocation_outside_the_jurisdiction_is_a_404(dibao, deping_handler):
    with pytest.raises(Http404):
        case_item_revoke(actor=deping_handler, case_item=dibao, reason="x", not_due_from=today())
    dibao.refresh_from_db()
    assert dibao.status == ItemStatus.APPROVED


def test_due_reviews_are_listed_and_a_confirmation_schedules_the_next(dibao, xinglong_handler, deping_handler):
    CaseItem.objects.filter(pk=dibao.pk).update(review_due=today() + dt.timedelta(days=3))
    assert dibao in due_reviews(actor=xinglong_handler)
    assert dibao not in due_reviews(actor=deping_handler)
    case_item_review_confirm(actor=xinglong_handler, case_item=dibao, note="复核：情况未变")
    dibao.refresh_from_db()
    assert dibao.review_due > today() + dt.timedelta(days=300)
    assert dibao not in due_reviews(actor=xinglong_handler)
    assert Review.objects.get(case_item=dibao).outcome == Review.Outcome.CONFIRMED


def test_a_review_changes_the_amount(dibao, xinglong_handler):
    case_item_adjust(actor=xinglong_handler, case_item=dibao, amount=Decimal("700"), reason="收入增加")
    dibao.refresh_from_db()
    assert dibao.amount == Decimal("700.00")
    review = Review.objects.get(case_item=dibao)
    assert (review.old_amount, review.new_amount) == (Decimal("840.00"), Decimal("700.00"))
    with pytest.raises(DomainError):
        case_item_adjust(actor=xinglong_handler, case_item=dibao, amount=Decimal("-1"), reason="x")


def test_ending_a_benefit_sends_the_signal(dibao, xinglong_handler, django_capture_on_commit_callbacks):
    from dajiuzhu.cases.signals import case_item_ended

    ended = []
    case_item_ended.connect(receiver := (lambda sender, case_item, **kw: ended.append(case_item.pk)))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            case_item_end(actor=xinglong_handler, case_item=dibao, on=today(), reason="迁出本县")
    finally:
        case_item_ended.disconnect(receiver)
    dibao.refresh_from_db()
    assert dibao.status == ItemStatus.ENDED and ended == [dibao.pk]
    with pytest.raises(InvalidTransition):
        case_item_review_confirm(actor=xinglong_handler, case_item=dibao)


def test_an_appeal_against_a_revocation_is_decided_by_a_different_approver(dibao, xinglong_approver, county_approver):
    case_item_revoke(actor=xinglong_approver, case_item=dibao, reason="疑似隐瞒收入", not_due_from=today())
    window = make_user("township_handler", "371424105000")
    appeal = appeal_lodge(actor=window, case_item=dibao, grounds="收入为一次性劳务报酬")
    with pytest.raises(Conflict):
        appeal_lodge(actor=window, case_item=dibao, grounds="again")
    with pytest.raises(Forbidden):
        appeal_decide(actor=xinglong_approver, appeal=appeal, uphold=True, note="撤销停发")
    appeal_decide(actor=county_approver, appeal=appeal, uphold=True, note="经复查，收入为一次性，恢复低保")
    dibao.refresh_from_db()
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.UPHELD
    assert dibao.status == ItemStatus.APPROVED and dibao.effective_to is None
    assert dibao.revocations.get().cancelled_at is not None


def test_an_appeal_against_a_refusal_upheld_approves_the_item(catalogue, linyi_handler, county_approver):
    case = submit_new_family(linyi_handler, wages="1600.00")
    refused = item_of(case, "dibao")
    assert refused.status == ItemStatus.REFUSED
    appeal = appeal_lodge(actor=linyi_handler, case_item=refused, grounds="其中一人已失业")
    with pytest.raises(DomainError):  # by the rule not eligible: the approver must give the amount
        appeal_decide(actor=county_approver, appeal=appeal, uphold=True, note="同意")
    # The approved near-poor status excludes 低保: upholding must first end it.
    near_poor = item_of(case, "near_poor")
    case_item_end(actor=linyi_handler, case_item=near_poor, on=today(), reason="转入低保")
    appeal_decide(actor=county_approver, appeal=appeal, uphold=True, note="同意", amount=Decimal("300"))
    refused.refresh_from_db()
    assert refused.status == ItemStatus.APPROVED and refused.amount == Decimal("300.00")


def test_only_a_refusal_or_a_revocation_can_be_appealed(dibao, linyi_handler):
    with pytest.raises(InvalidTransition):
        appeal_lodge(actor=linyi_handler, case_item=dibao, grounds="x")


def test_an_appeal_outside_the_jurisdiction_is_a_404(dibao, xinglong_approver):
    case_item_revoke(actor=xinglong_approver, case_item=dibao, reason="x", not_due_from=today())
    with pytest.raises(Http404):
        appeal_lodge(actor=make_user("township_handler", DEPING_TOWN), case_item=dibao, grounds="x")


def test_a_benefit_may_end_from_its_decision_day_on_even_before_it_is_first_paid(dibao, xinglong_handler):
    from dajiuzhu.cases.dates import cycles_between

    decided_on = timezone.localdate(dibao.decided_at)
    assert dibao.effective_from > decided_on  # paid from the next month's cycle
    with pytest.raises(DomainError, match=str(decided_on)) as refused:
        case_item_end(actor=xinglong_handler, case_item=dibao, on=decided_on - dt.timedelta(days=1), reason="迁出本县")
    assert refused.value.field == "on"
    dibao.refresh_from_db()
    assert dibao.status == ItemStatus.APPROVED
    case_item_end(actor=xinglong_handler, case_item=dibao, on=decided_on, reason="迁出本县")
    dibao.refresh_from_db()
    assert (dibao.status, dibao.effective_to) == (ItemStatus.ENDED, decided_on)
    assert cycles_between(dibao.effective_from, dibao.effective_to) == 0  # ended before its first cycle: never paid

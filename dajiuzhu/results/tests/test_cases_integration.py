"""With the real cases app: decisions record assistance, batches come from the benefits in force,
revocations become recoveries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dajiuzhu.core.testing import LINYI_TOWN, LINYI_VILLAGE, make_household, make_user
from dajiuzhu.results.models import AssistanceRecord, Recovery, Source
from dajiuzhu.results.payments import payment_batch_check, payment_batch_generate

cases_services = pytest.importorskip("dajiuzhu.cases.services")

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db, monkeypatch):
    from dajiuzhu.programs import evaluation
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue

    monkeypatch.setattr(evaluation, "_COMPILED", {})
    ensure_demo_catalogue()


def _poor_household():
    return make_household(LINYI_VILLAGE, facts={"monthly_wages": Decimal("300.00"), "housing": "none"},
                          as_of=timezone.localdate() - dt.timedelta(days=100))


def test_approved_case_records_one_off_at_decision_and_periodic_through_the_batch(catalogue, run_on_commit):
    handler = make_user("township_handler", LINYI_TOWN)
    household = _poor_household()
    with run_on_commit(execute=True):
        case = cases_services.application_submit(actor=handler, household=household,
                                                 item_codes=["dibao", "temp_small"], promise_signed=True,
                                                 authorisation_signed=True)
    items = {ci.item.code: ci for ci in case.items.select_related("item")}
    assert items["dibao"].status == "approved" and items["temp_small"].status == "approved"
    one_off = AssistanceRecord.objects.get(source=Source.CASE)
    assert (one_off.item_code, one_off.amount, one_off.case_item_ref) == ("temp_small", items["temp_small"].amount,
                                                                          items["temp_small"].pk)
    assert one_off.category == "temporary"
    month = items["dibao"].effective_from.replace(day=1)
    batch = payment_batch_generate(actor=handler, month=month, region_code=LINYI_TOWN)
    line = batch.lines.get()
    assert (line.item_code, line.amount, line.case_item_ref, line.tier) == ("dibao", items["dibao"].amount,
                                                                            items["dibao"].pk, "dibao")
    assert line.persons == max(1, items["dibao"].covered.count())
    assert payment_batch_check(actor=handler, batch=batch).check_report["failures"] == []


def test_revoked_case_fails_the_batch_check_and_its_overpayment_becomes_a_recovery(catalogue, run_on_commit):
    from dajiuzhu.cases.reviews import case_item_revoke

    handler = make_user("township_handler", LINYI_TOWN)
    household = _poor_household()
    today = timezone.localdate()
    with run_on_commit(execute=True):
        case = cases_services.application_submit(actor=handler, household=household, item_codes=["dibao"],
                                                 promise_signed=True, authorisation_signed=True,
                                                 on=today - dt.timedelta(days=70))
    dibao = case.items.get(item__code="dibao")
    batch = payment_batch_generate(actor=handler, month=today.replace(day=1), region_code=LINYI_TOWN)
    assert batch.lines.count() == 1
    with run_on_commit(execute=True):
        revocation = case_item_revoke(actor=handler, case_item=dibao, reason="false wages",
                                      not_due_from=dibao.effective_from, dishonest=True)
    report = payment_batch_check(actor=handler, batch=batch).check_report
    assert [f["code"] for f in report["failures"]] == ["revoked"]
    if revocation.overpayment > 0:
        recovery = Recovery.objects.get()
        assert recovery.amount == revocation.overpayment and recovery.household == household

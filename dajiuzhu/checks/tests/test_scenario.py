"""The issue's done-when scenario and the outcomes of a verification, through the real cases services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dajiuzhu.cases.models import ItemStatus, Path, Review
from dajiuzhu.cases.services import application_submit
from dajiuzhu.checks.models import Affects, ReportOutcome, ReportStatus, VerificationReport
from dajiuzhu.checks.services import report_decide, verify_household
from dajiuzhu.core.errors import DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.models import AuditEvent
from dajiuzhu.core.testing import (
    LINYI_COUNTY,
    LINYI_TOWN,
    XINGLONG_TOWN,
    make_household,
    make_user,
)
from dajiuzhu.credit.models import DishonestyRecord
from dajiuzhu.credit.selectors import household_restriction, household_simplified_review
from dajiuzhu.credit.services import dishonesty_record_answer, dishonesty_record_decide

from .factories import deliver, row

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
APPLIED = TODAY - dt.timedelta(days=95)


def recipient(handler, region=None, *, wages="600.00", applied=APPLIED, **facts):
    """A household that declared low wages and receives 低保 since it applied (trust-first)."""
    kwargs = {"facts": {"monthly_wages": Decimal(wages), **facts}, "as_of": applied - dt.timedelta(days=20)}
    if region:
        kwargs["region_code"] = region
    household = make_household(**kwargs)
    case = application_submit(actor=handler, household=household, item_codes=["dibao"], promise_signed=True,
                              authorisation_signed=True, on=applied)
    item = case.items.get(item__code="dibao")
    assert item.status == ItemStatus.APPROVED, item.reasons
    return household, case, item


def test_revoked_case_shows_report_overpayment_and_credit_record_and_next_application_is_check_first(
        catalogue, client):
    handler = make_user("township_handler", LINYI_TOWN)
    approver = make_user("county_approver", LINYI_COUNTY)
    household, case, item = recipient(handler)
    # The police know of a car registered before the application; it was not declared.
    deliver("police", "vehicle", [row(household.head, APPLIED - dt.timedelta(days=10), vehicles=1)])

    report = verify_household(actor=approver, household=household, as_of=TODAY)
    assert report.outcome == ReportOutcome.INCONSISTENT and report.status == ReportStatus.AWAITING_DECISION
    assert report.evaluated and report.changes_eligibility
    vehicle_line = report.items.get(check_code="vehicles")
    assert vehicle_line.discrepancy and vehicle_line.affects == Affects.ELIGIBILITY
    assert (vehicle_line.value_found, vehicle_line.value_declared, vehicle_line.difference) == ("1", "0", "1")
    assert vehicle_line.source == "公安局" and vehicle_line.described_on == APPLIED - dt.timedelta(days=10)

    report_decide(actor=approver, report=report, decision="revoke", reason="concealed a car registered in his name",
                  not_due_from=APPLIED, dishonest=True, dishonesty_reason="concealment")
    item.refresh_from_db()
    assert item.status == ItemStatus.REVOKED
    revocation = item.revocations.get()
    assert revocation.dishonest and revocation.overpayment > 0 and revocation.months_overpaid >= 2
    report.refresh_from_db()
    assert report.decision_details["overpayment"] == str(revocation.overpayment)
    record = DishonestyRecord.objects.get()
    assert record.evidence_report_id == report.pk and record.person == case.applicant and record.case_id == case.pk
    assert report.dishonesty_record_id == record.pk

    client.force_login(approver)
    page = client.get(reverse("checks:report", args=[report.pk])).content.decode()
    assert str(revocation.overpayment) in page and reverse("credit:detail", args=[record.pk]) in page
    assert "credit-flag" not in page  # proposed: not yet a restriction
    assert f"/checks/reports/{report.pk}/" in client.get(reverse("credit:detail", args=[record.pk])).content.decode()

    # The record is first proposed: the family is heard (告知与申辩) and it restricts nothing yet.
    assert record.status == "proposed" and household_restriction(household) is None
    with pytest.raises(InvalidTransition):
        dishonesty_record_decide(actor=approver, record=record, list_person=True)
    dishonesty_record_answer(actor=handler, record=record, answer="车辆是儿子名下借用，本人不知需申报")
    dishonesty_record_decide(actor=approver, record=record, list_person=True,
                             consideration="车辆登记在申请人名下，申辩理由不成立")
    record.refresh_from_db()
    assert record.status == "active" and record.start == TODAY
    assert "credit-flag" in client.get(reverse("checks:report", args=[report.pk])).content.decode()
    # "One breach, restricted everywhere": the next application of the household goes check-first.
    assert household_restriction(household) == record
    again = application_submit(actor=handler, household=household, item_codes=["dibao"], promise_signed=True,
                               authorisation_signed=True)
    assert again.restriction
    assert set(again.items.values_list("path", flat=True)) == {Path.CHECK_FIRST}
    assert not again.items.filter(status=ItemStatus.APPROVED).exists()


def test_an_honest_mistake_is_revoked_without_a_dishonesty_record(catalogue):
    handler = make_user("township_handler", LINYI_TOWN)
    approver = make_user("county_approver", LINYI_COUNTY)
    household, _case, item = recipient(handler)
    deliver("hr_social_security", "wage", [row(household.head, TODAY - dt.timedelta(days=20), monthly_wages="3000")])
    report = verify_household(actor=approver, household=household, as_of=TODAY)
    assert report.items.get(check_code="wages").affects == Affects.ELIGIBILITY
    report_decide(actor=approver, report=report, decision="revoke", reason="new job since last month",
                  not_due_from=TODAY - dt.timedelta(days=20), dishonest=False)
    item.refresh_from_db()
    assert item.status == ItemStatus.REVOKED and not DishonestyRecord.objects.exists()
    assert household_restriction(household) is None


def test_a_consistent_verification_confirms_the_benefit_and_counts_towards_simplified_review(catalogue, settings):
    settings.CREDIT_SIMPLIFIED_REVIEW_CYCLES = 1
    handler = make_user("township_handler", LINYI_TOWN)
    approver = make_user("county_approver", LINYI_COUNTY)
    household, _case, item = recipient(handler)
    deliver("hr_social_security", "wage", [row(household.head, TODAY - dt.timedelta(days=20), monthly_wages="600")])
    report = verify_household(actor=approver, household=household, as_of=TODAY)
    assert report.outcome == ReportOutcome.CONSISTENT and report.status == ReportStatus.CLOSED
    assert not report.changes_eligibility and not report.changes_amount and report.evaluated
    assert Review.objects.filter(case_item=item, outcome=Review.Outcome.CONFIRMED).exists()
    assert household_simplified_review(household)


def test_a_small_extra_income_changes_the_amount_and_the_approver_adjusts_it(catalogue):
    handler = make_user("township_handler", LINYI_TOWN)
    approver = make_user("county_approver", LINYI_COUNTY)
    household, _case, item = recipient(handler)
    deliver("hr_social_security", "pension", [row(household.head, TODAY - dt.timedelta(days=20),
                                                  monthly_pension="200")])
    report = verify_household(actor=approver, household=household, as_of=TODAY)
    line = report.items.get(check_code="transfers")
    assert line.discrepancy and line.affects == Affects.AMOUNT and report.changes_amount
    new_amount = Decimal(report.evaluations[0]["verified"]["amount"])
    assert new_amount < item.amount
    report_decide(actor=approver, report=report, decision="adjust", reason="pension not declared",
                  amount=new_amount)
    item.refresh_from_db()
    assert item.amount == new_amount and item.status == ItemStatus.APPROVED


def test_the_trust_first_decision_is_followed_by_a_verification_of_the_case(catalogue,
                                                                          django_capture_on_commit_callbacks):
    handler = make_user("township_handler", LINYI_TOWN)
    with django_capture_on_commit_callbacks(execute=True):
        household, case, _item = recipient(handler, applied=TODAY)
    report = VerificationReport.objects.get(case_id=case.pk)
    assert report.kind == "application" and report.household == household


@pytest.mark.parametrize("who", ["township_handler", "other_approver", "village_worker"])
def test_only_an_approver_of_the_region_decides_and_a_refusal_changes_nothing(catalogue, who):
    handler = make_user("township_handler", LINYI_TOWN)
    approver = make_user("county_approver", LINYI_COUNTY)
    household, _case, item = recipient(handler)
    deliver("police", "vehicle", [row(household.head, TODAY - dt.timedelta(days=20), vehicles=1)])
    report = verify_household(actor=approver, household=household, as_of=TODAY)
    actor = {"township_handler": handler, "other_approver": make_user("township_approver", XINGLONG_TOWN),
             "village_worker": make_user("village_worker", "371424100202")}[who]
    with pytest.raises(Forbidden):
        report_decide(actor=actor, report=report, decision="revoke", reason="x", not_due_from=TODAY, dishonest=True)
    item.refresh_from_db()
    report.refresh_from_db()
    assert item.status == ItemStatus.APPROVED and report.status == ReportStatus.AWAITING_DECISION
    assert not DishonestyRecord.objects.exists()
    assert AuditEvent.objects.filter(action="checks.decide.refused", object_id=str(report.pk)).exists()


def test_a_dishonesty_record_follows_only_a_revocation(catalogue):
    handler = make_user("township_handler", LINYI_TOWN)
    approver = make_user("county_approver", LINYI_COUNTY)
    household, _case, _item = recipient(handler)
    deliver("police", "vehicle", [row(household.head, TODAY - dt.timedelta(days=20), vehicles=1)])
    report = verify_household(actor=approver, household=household, as_of=TODAY)
    with pytest.raises(DomainError):
        report_decide(actor=approver, report=report, decision="confirm", reason="ok", dishonest=True)
    assert not DishonestyRecord.objects.exists()


def test_report_pages_and_api_are_scoped(catalogue, client):
    handler = make_user("township_handler", LINYI_TOWN)
    approver = make_user("county_approver", LINYI_COUNTY)
    household, _case, _item = recipient(handler)
    report = verify_household(actor=approver, household=household, as_of=TODAY)
    other = make_user("township_handler", XINGLONG_TOWN)
    client.force_login(other)
    assert client.get(reverse("checks:report", args=[report.pk])).status_code == 404
    assert client.get(f"/api/v1/checks/reports/{report.pk}").status_code == 404
    assert client.post(reverse("checks:verify", args=[household.pk]), {"as_of": TODAY.isoformat()}).status_code == 404
    assert VerificationReport.objects.count() == 1
    client.force_login(handler)
    page = client.get(reverse("checks:report", args=[report.pk]))
    assert page.status_code == 200 and "css/checks.css" in page.content.decode()
    body = client.get(f"/api/v1/checks/reports/{report.pk}").json()
    assert body["household_id"] == household.pk and {i["check"] for i in body["items"]} >= {"wages", "vehicles"}
    response = client.post(reverse("checks:verify", args=[household.pk]), {"as_of": TODAY.isoformat()})
    assert response.status_code == 302 and VerificationReport.objects.count() == 2


def test_the_report_page_and_the_delivery_list_do_a_fixed_number_of_queries(catalogue, client,
                                                                          django_assert_max_num_queries):
    handler = make_user("township_handler", LINYI_TOWN)
    approver = make_user("county_approver", LINYI_COUNTY)
    household, _case, _item = recipient(handler)
    deliver("police", "vehicle", [row(household.head, TODAY - dt.timedelta(days=20), vehicles=1)])
    deliver("civil_affairs", "marriage", [row(household.head, TODAY - dt.timedelta(days=20), marital_status="married")])
    report = verify_household(actor=approver, household=household, as_of=TODAY)
    client.force_login(approver)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("checks:report", args=[report.pk])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("checks:deliveries")).status_code == 200

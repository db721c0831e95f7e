from decimal import Decimal

import pytest
from django.http import Http404  # noqa: F401

from dajiuzhu.core.errors import Conflict, DomainError, Forbidden
from dajiuzhu.core.testing import LINYI_TOWN, XINGLONG_TOWN, make_user
from dajiuzhu.results import bankfile
from dajiuzhu.results.models import AssistanceRecord, BatchStatus, LineStatus, PaymentBatch, Recovery, Source
from dajiuzhu.results.payments import (
    payment_batch_approve,
    payment_batch_check,
    payment_batch_export,
    payment_batch_generate,
    payment_batch_reconcile,
    payment_line_exclude,
    recovery_record,
)

from .conftest import benefit_for

pytestmark = pytest.mark.django_db


def _approved_batch(handler, approver, month, households):
    benefits = [benefit_for(h, amount=f"{700 + i}.50", case_item_id=100 + i) for i, h in enumerate(households)]
    batch = payment_batch_generate(actor=handler, month=month, region_code=LINYI_TOWN, benefits=benefits)
    batch = payment_batch_check(actor=handler, batch=batch)
    return payment_batch_approve(actor=approver, batch=batch)


def test_month_batch_generated_approved_by_second_person_exported_and_reconciled_with_two_failures(
        handler, approver, month, town_households):
    batch = _approved_batch(handler, approver, month, town_households)
    assert batch.status == BatchStatus.APPROVED and batch.line_count == 5
    assert batch.total_amount == sum(Decimal(f"{700 + i}.50") for i in range(5))
    assert batch.check_report["failures"] == []
    assert {t["township"] for t in batch.check_report["totals"]} == {LINYI_TOWN}

    content = payment_batch_export(actor=handler, batch=batch, encoding="gbk")
    text = content.decode("gb18030")
    assert text.splitlines()[0] == ",".join(bankfile.PAYMENT_COLUMNS)
    assert "700.50" in text and len(text.splitlines()) == 6

    lines = list(batch.lines.select_related("payee").order_by("line_no"))
    returned = bankfile.write_return_file(batch, lines, failures={2: "账户已冻结", 4: "户名不符"})
    batch = payment_batch_reconcile(actor=handler, batch=PaymentBatch.objects.get(pk=batch.pk), content=returned)
    assert batch.status == BatchStatus.RECONCILED
    assert (batch.paid_count, batch.failed_count) == (3, 2)
    failed = batch.lines.filter(status=LineStatus.FAILED).order_by("line_no")
    assert [(line.line_no, line.failure_reason) for line in failed] == [(2, "账户已冻结"), (4, "户名不符")]
    records = AssistanceRecord.objects.filter(source=Source.PAYMENT)
    assert records.count() == 3
    assert sum(r.amount for r in records) == sum(line.gross_amount for line in batch.lines.filter(status="paid"))
    assert all(r.period_start == month for r in records)


def test_the_generator_cannot_approve_own_batch(handler, month, town_households):
    batch = payment_batch_generate(actor=handler, month=month, region_code=LINYI_TOWN,
                                   benefits=[benefit_for(h) for h in town_households])
    batch = payment_batch_check(actor=handler, batch=batch)
    boss = make_user("county_admin", "371424000000")
    with pytest.raises(Forbidden):
        payment_batch_approve(actor=handler, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CHECKED and batch.approved_by is None
    assert payment_batch_approve(actor=boss, batch=batch).approved_by == boss


def test_batch_with_revoked_case_and_duplicate_is_refused_naming_each_failure(handler, approver, month,
                                                                              town_households):
    a, b, c = town_households[:3]
    benefits = [benefit_for(a, case_item_id=1), benefit_for(b, status="revoked", case_item_id=2),
                benefit_for(c, case_item_id=3), benefit_for(c, case_item_id=4)]
    batch = payment_batch_generate(actor=handler, month=month, region_code=LINYI_TOWN, benefits=benefits)
    batch = payment_batch_check(actor=handler, batch=batch)
    revoked = batch.lines.get(household=b).line_no
    second = batch.lines.filter(household=c).order_by("line_no").last().line_no
    codes = sorted((f["line"], f["code"]) for f in batch.check_report["failures"])
    assert codes == sorted([(revoked, "revoked"), (second, "duplicate")])
    with pytest.raises(DomainError) as refused:
        payment_batch_approve(actor=approver, batch=batch)
    assert {f["line"] for f in refused.value.details["failures"]} == {revoked, second}
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CHECKED and batch.approved_by is None
    for line_no in (revoked, second):
        payment_line_exclude(actor=handler, line=batch.lines.get(line_no=line_no), reason="revoked / duplicate")
    batch = payment_batch_check(actor=handler, batch=batch)
    assert batch.check_report["failures"] == [] and batch.line_count == 2
    assert payment_batch_approve(actor=approver, batch=batch).status == BatchStatus.APPROVED


def test_a_second_batch_for_the_same_month_and_region_is_refused(handler, month, town_households):
    payment_batch_generate(actor=handler, month=month, region_code=LINYI_TOWN, benefits=[])
    with pytest.raises(Conflict):
        payment_batch_generate(actor=handler, month=month, region_code=LINYI_TOWN, benefits=[])


def test_a_township_may_not_generate_another_townships_batch(handler, month):
    with pytest.raises(Forbidden):
        payment_batch_generate(actor=handler, month=month, region_code=XINGLONG_TOWN, benefits=[])
    assert not PaymentBatch.objects.exists()


@pytest.mark.parametrize("tamper", ["other_batch", "missing_line", "wrong_amount", "wrong_id"])
def test_a_return_file_that_does_not_match_is_refused_whole(handler, approver, month, town_households, tamper):
    batch = _approved_batch(handler, approver, month, town_households)
    payment_batch_export(actor=handler, batch=batch, encoding="utf-8")
    lines = list(batch.lines.select_related("payee").order_by("line_no"))
    content = bankfile.write_return_file(batch, lines, failures={1: "x"}, encoding="utf-8").decode()
    rows = content.splitlines()
    if tamper == "other_batch":
        rows[1] = rows[1].replace(batch.number, "PB000000-X-01")
    elif tamper == "missing_line":
        del rows[3]
    elif tamper == "wrong_amount":
        rows[2] = rows[2].replace(f"{lines[1].amount:.2f}", "9.99")
    else:
        rows[2] = rows[2].replace(lines[1].payee.id_number, lines[2].payee.id_number)
    with pytest.raises(DomainError) as refused:
        payment_batch_reconcile(actor=handler, batch=batch, content="\r\n".join(rows).encode())
    assert refused.value.details["problems"]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXPORTED
    assert not batch.lines.exclude(status=LineStatus.PENDING).exists()
    assert not AssistanceRecord.objects.exists()


def test_overpayment_is_deducted_from_next_payments_until_recovered(handler, approver, month, town_households):
    household = town_households[0]
    recovery, _ = recovery_record(actor=handler, household=household, amount=Decimal("500.00"), reason="false wages")
    benefits = [benefit_for(household, amount="720.00", case_item_id=9)]
    batch = payment_batch_generate(actor=handler, month=month, region_code=LINYI_TOWN, benefits=benefits)
    line = batch.lines.get()
    assert (line.gross_amount, line.deduction, line.amount) == (Decimal("720.00"), Decimal("360.00"),
                                                                 Decimal("360.00"))
    batch = payment_batch_approve(actor=approver, batch=payment_batch_check(actor=handler, batch=batch))
    payment_batch_export(actor=handler, batch=batch)
    returned = bankfile.write_return_file(batch, list(batch.lines.select_related("payee")))
    payment_batch_reconcile(actor=handler, batch=batch, content=returned)
    recovery.refresh_from_db()
    assert recovery.recovered == Decimal("360.00") and recovery.balance == Decimal("140.00")
    next_month = (month.replace(day=28) + __import__("datetime").timedelta(days=4)).replace(day=1)
    batch2 = payment_batch_generate(actor=handler, month=next_month, region_code=LINYI_TOWN, benefits=benefits)
    assert batch2.lines.get().deduction == Decimal("140.00")
    assert Recovery.objects.get().status == "open"


def test_the_bank_simulator_writes_a_return_file_that_reconciles_with_the_failures_asked(
        handler, approver, month, town_households, tmp_path):
    from django.core.management import call_command

    batch = _approved_batch(handler, approver, month, town_households)
    payment_batch_export(actor=handler, batch=batch)
    out = tmp_path / "return.csv"
    call_command("bank_return_file", batch.number, "--fail", "2", "-o", str(out))
    batch = payment_batch_reconcile(actor=handler, batch=batch, content=out.read_bytes())
    assert (batch.paid_count, batch.failed_count) == (3, 2)


def test_the_return_file_uploaded_on_the_batch_page_is_reconciled_by_a_job(client, handler, approver, month,
                                                                           town_households, run_on_commit, settings,
                                                                           tmp_path):
    """#14 finding 3: the page keeps the file sealed and hands it to a job; the job's page says what it did."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from dajiuzhu.core.models import Job

    settings.VAR_DIR = tmp_path
    batch = _approved_batch(handler, approver, month, town_households)
    payment_batch_export(actor=handler, batch=batch, encoding="gbk")
    lines = list(batch.lines.select_related("payee").order_by("line_no"))
    returned = bankfile.write_return_file(batch, lines, failures={2: "账户已冻结"})
    client.force_login(handler)
    with run_on_commit(execute=True):
        response = client.post(reverse("results:batch_action", args=[batch.pk, "reconcile"]),
                               {"file": SimpleUploadedFile("return.csv", returned)})
    job = Job.objects.get(kind="results.reconcile")
    assert response.status_code == 302 and response.url == reverse("upload_job", args=[job.pk])
    batch.refresh_from_db()
    assert job.status == "done" and (batch.paid_count, batch.failed_count) == (4, 1)
    page = client.get(response.url).content.decode()
    assert reverse("results:batch", args=[batch.pk]) in page
    assert not list((tmp_path / "uploads").glob("*.enc"))

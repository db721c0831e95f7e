"""Monthly payment batches of periodic items (发放): generate → check → approve → export → reconcile.

- **Generate** from the benefits in force on the month's first day (``results.benefits``),
  one line per household and item, deducting open overpayment recoveries (at most
  ``DEDUCTION_SHARE`` of each payment).
- **Check**: totals by township and item; every failure named by line — a revoked, refused or
  ended case, the same household and item twice, an item already paid for that month in another
  batch, a line without payee or amount.
- **Approve** by a second person (not the one who generated the batch), only with a clean check.
- **Export** the bank file (``bankfile``, layout in ``docs/payments.md``).
- **Reconcile** from the bank's return file: every line matched by line number, ID number and
  amount, or the whole file is refused and nothing changes; paid lines become assistance
  records, failures are listed with the bank's reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core import regioncodes
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import Conflict, DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.money import ZERO, money
from dajiuzhu.core.scoping import region_in_scope

from . import bankfile, signals
from .benefits import Benefit, active_benefits, case_item_statuses
from .models import (
    BATCH_TRANSITIONS,
    AssistanceRecord,
    BatchStatus,
    Kind,
    LineStatus,
    PaymentBatch,
    PaymentLine,
    Recovery,
    RecoveryStatus,
    Source,
)
from .services import RecordInput, assistance_record_create

DEDUCTION_SHARE = Decimal("0.50")
NOT_PAYABLE_STATUSES = {"revoked", "refused", "ended", "pending"}


def _move(batch: PaymentBatch, to: str) -> None:
    if to not in BATCH_TRANSITIONS[batch.status]:
        raise InvalidTransition(
            _("a batch that is %(status)s cannot become %(to)s")
            % {"status": batch.get_status_display(), "to": BatchStatus(to).label}
        )
    batch.status = to


def _locked(batch: PaymentBatch) -> PaymentBatch:
    return PaymentBatch.objects.select_for_update().get(pk=batch.pk)


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _open_recovery_balances(household_ids: Iterable[int]) -> dict[int, list[tuple[Recovery, Decimal]]]:
    """Per household, the open recoveries (oldest first) with what is still to deduct."""
    recoveries = list(Recovery.objects.filter(household_id__in=set(household_ids), status=RecoveryStatus.OPEN)
                      .order_by("created_at", "id"))
    pending = dict(
        PaymentLine.objects.filter(recovery__in=recoveries, status=LineStatus.PENDING)
        .exclude(batch__status=BatchStatus.CANCELLED)
        .values("recovery").annotate(total=Sum("deduction")).values_list("recovery", "total")
    )
    out: dict[int, list[tuple[Recovery, Decimal]]] = defaultdict(list)
    for recovery in recoveries:
        left = recovery.amount - recovery.recovered - (pending.get(recovery.pk) or ZERO)
        if left > 0:
            out[recovery.household_id].append((recovery, left))
    return out


@transaction.atomic
def payment_batch_generate(*, actor, month: dt.date, region_code: str,
                           benefits: Iterable[Benefit] | None = None) -> PaymentBatch:
    """Build the month's batch for a county or township from the benefits in force."""
    from dajiuzhu.registry.models import Household, Person

    if not region_in_scope(actor, region_code, perm="payments.manage"):
        raise Forbidden(_("you may not generate payment batches for %(code)s") % {"code": region_code})
    if regioncodes.level_of(region_code) not in (regioncodes.LEVEL_COUNTY, regioncodes.LEVEL_TOWNSHIP):
        raise DomainError(_("a payment batch is for a county or a township"), field="region_code")
    month = first_of_month(month)
    prefix = regioncodes.prefix_of(region_code)
    overlapping = PaymentBatch.objects.filter(month=month).exclude(status=BatchStatus.CANCELLED).filter(
        Q(region_code__startswith=prefix) | Q(region_code__in=[regioncodes.ancestor(region_code, 3)])
    )
    if overlapping.exists():
        raise Conflict(_("a batch for %(month)s already covers this region: %(number)s")
                       % {"month": f"{month:%Y-%m}", "number": overlapping.first().number})
    if benefits is None:
        benefits = active_benefits(month=month, region_prefix=prefix)
    chosen = [b for b in benefits if b.periodic and b.region_code.startswith(prefix)]
    households = Household.objects.in_bulk({b.household_id for b in chosen})
    payees = Person.objects.in_bulk({b.payee_id or households[b.household_id].head_id for b in chosen
                                     if b.household_id in households})
    recoveries = _open_recovery_balances(households)
    count = PaymentBatch.objects.filter(month=month).count() + 1
    try:
        with transaction.atomic():
            batch = PaymentBatch.objects.create(number=f"PB{month:%Y%m}-{prefix}-{count:02d}", month=month,
                                                region_code=region_code, generated_by=actor)
    except IntegrityError:  # another person generated the same batch at the same moment
        raise Conflict(_("a batch for %(month)s is being generated for this region by someone else")
                       % {"month": f"{month:%Y-%m}"}) from None
    lines = []
    chosen.sort(key=lambda b: (b.region_code, b.household_id, b.item_code, b.case_item_id or 0))
    for number, benefit in enumerate(chosen, start=1):
        household = households.get(benefit.household_id)
        if household is None:
            continue
        payee = payees.get(benefit.payee_id or household.head_id)
        gross = money(benefit.amount)
        deduction, recovery = ZERO, None
        if recoveries.get(household.pk):
            recovery, left = recoveries[household.pk][0]
            deduction = min(left, money(gross * DEDUCTION_SHARE))
            if deduction >= left:
                recoveries[household.pk].pop(0)
            else:
                recoveries[household.pk][0] = (recovery, left - deduction)
            if deduction <= 0:
                deduction, recovery = ZERO, None
        lines.append(PaymentLine(
            batch=batch, line_no=number, household=household, payee=payee,
            payee_name=payee.name if payee else "", region_code=household.region_code, is_urban=household.is_urban,
            item_code=benefit.item_code, item_name=benefit.item_name or benefit.item_code,
            category=benefit.category or "living", tier=benefit.tier, persons=benefit.persons,
            case_id_ref=benefit.case_id, case_item_ref=benefit.case_item_id, case_status=benefit.status,
            gross_amount=gross, deduction=deduction, amount=gross - deduction, recovery=recovery,
        ))
    PaymentLine.objects.bulk_create(lines, batch_size=2000)
    batch.line_count = len(lines)
    batch.total_amount = sum((line.amount for line in lines), ZERO)
    batch.save(update_fields=["line_count", "total_amount"])
    audit_record(actor=actor, action="payment.generate", obj=batch,
                 new={"number": batch.number, "month": month, "lines": batch.line_count,
                      "total": batch.total_amount})
    return batch


def _check(batch: PaymentBatch) -> dict:
    """The check report of a batch: totals and every failure, named by line."""
    lines = list(batch.lines.exclude(status=LineStatus.EXCLUDED).order_by("line_no"))
    current = case_item_statuses([line.case_item_ref for line in lines if line.case_item_ref])
    failures: list[dict] = []
    seen: dict[tuple, int] = {}
    seen_case_items: dict[int, int] = {}
    for line in lines:
        status = current.get(line.case_item_ref, line.case_status) if line.case_item_ref else line.case_status
        who = f"{line.payee_name or '?'} ({line.item_name})"
        if status in NOT_PAYABLE_STATUSES:
            failures.append({"line": line.line_no, "code": "revoked", "message": _(
                "line %(line)d, %(who)s: the case item is %(status)s, not payable"
            ) % {"line": line.line_no, "who": who, "status": status}})
        key = (line.household_id, line.item_code)
        if key in seen:
            failures.append({"line": line.line_no, "code": "duplicate", "message": _(
                "line %(line)d, %(who)s: the same household and item as line %(other)d (paid twice)"
            ) % {"line": line.line_no, "who": who, "other": seen[key]}})
        else:
            seen[key] = line.line_no
        if line.case_item_ref:
            if line.case_item_ref in seen_case_items and seen_case_items[line.case_item_ref] != seen.get(key):
                failures.append({"line": line.line_no, "code": "duplicate", "message": _(
                    "line %(line)d, %(who)s: the same case item as line %(other)d"
                ) % {"line": line.line_no, "who": who, "other": seen_case_items[line.case_item_ref]}})
            seen_case_items.setdefault(line.case_item_ref, line.line_no)
        if line.payee_id is None or not line.payee_name:
            failures.append({"line": line.line_no, "code": "no_payee", "message": _(
                "line %(line)d: no payee for household %(household)s"
            ) % {"line": line.line_no, "household": line.household_id}})
        if line.gross_amount <= 0:
            failures.append({"line": line.line_no, "code": "amount", "message": _(
                "line %(line)d, %(who)s: the amount is not above zero"
            ) % {"line": line.line_no, "who": who}})
    elsewhere = (
        PaymentLine.objects.filter(batch__month=batch.month, status__in=[LineStatus.PENDING, LineStatus.PAID],
                                   household_id__in={line.household_id for line in lines})
        .exclude(batch=batch).exclude(batch__status=BatchStatus.CANCELLED)
        .values_list("household_id", "item_code", "batch__number")
    )
    paid_elsewhere = {(h, i): n for h, i, n in elsewhere}
    for line in lines:
        other = paid_elsewhere.get((line.household_id, line.item_code))
        if other:
            failures.append({"line": line.line_no, "code": "duplicate", "message": _(
                "line %(line)d, %(who)s: already in batch %(batch)s for this month"
            ) % {"line": line.line_no, "who": f"{line.payee_name} ({line.item_name})", "batch": other}})
    totals: dict[tuple[str, str], dict] = {}
    for line in lines:
        key = (line.region_code[:9], line.item_code)
        entry = totals.setdefault(key, {"township": regioncodes.pad(line.region_code[:9]), "item": line.item_code,
                                        "item_name": line.item_name, "lines": 0, "amount": ZERO})
        entry["lines"] += 1
        entry["amount"] += line.amount
    from dajiuzhu.regions.selectors import region_names

    names = region_names(t["township"] for t in totals.values())
    for entry in totals.values():
        entry["township_name"] = names.get(entry["township"], entry["township"])
    return {
        "checked_at": timezone.now().isoformat(),
        "lines": len(lines),
        "total": str(sum((line.amount for line in lines), ZERO)),
        "totals": [{**t, "amount": str(t["amount"])} for _k, t in sorted(totals.items())],
        "failures": sorted(failures, key=lambda f: (f["line"], f["code"])),
    }


@transaction.atomic
def payment_batch_check(*, actor, batch: PaymentBatch) -> PaymentBatch:
    """Run the checks and store the report; the batch may be approved only when it has no failures."""
    if not region_in_scope(actor, batch.region_code, perm="payments.manage"):
        raise Forbidden(_("you may not check this batch"))
    batch = _locked(batch)
    _move(batch, BatchStatus.CHECKED)
    report = _check(batch)
    batch.check_report = report
    batch.checked_at = timezone.now()
    batch.line_count = report["lines"]
    batch.total_amount = Decimal(report["total"])
    batch.save(update_fields=["status", "check_report", "checked_at", "line_count", "total_amount"])
    audit_record(actor=actor, action="payment.check", obj=batch,
                 new={"failures": len(report["failures"]), "lines": report["lines"], "total": report["total"]})
    return batch


@transaction.atomic
def payment_line_exclude(*, actor, line: PaymentLine, reason: str) -> PaymentLine:
    """Take a line out of a batch that is not yet approved (then check the batch again)."""
    batch = _locked(line.batch)
    if not region_in_scope(actor, batch.region_code, perm="payments.manage"):
        raise Forbidden(_("you may not change this batch"))
    if batch.status not in (BatchStatus.DRAFT, BatchStatus.CHECKED):
        raise InvalidTransition(_("lines can be taken out only before approval"))
    if not reason.strip():
        raise DomainError(_("give the reason for taking the line out"), field="reason")
    line = PaymentLine.objects.select_for_update().get(pk=line.pk)
    line.status, line.failure_reason = LineStatus.EXCLUDED, reason[:200]
    line.save(update_fields=["status", "failure_reason"])
    batch.status = BatchStatus.DRAFT
    batch.check_report = {}
    batch.save(update_fields=["status", "check_report"])
    audit_record(actor=actor, action="payment.exclude_line", obj=batch,
                 new={"line": line.line_no, "reason": reason})
    return line


@transaction.atomic
def payment_batch_approve(*, actor, batch: PaymentBatch) -> PaymentBatch:
    """A second person approves a checked batch; the checks run again and must be clean."""
    if not region_in_scope(actor, batch.region_code, perm="payments.approve"):
        raise Forbidden(_("you may not approve this batch"))
    batch = _locked(batch)
    if batch.generated_by_id == actor.pk:
        raise Forbidden(_("the batch must be approved by a second person, not by the one who generated it"))
    if batch.status != BatchStatus.CHECKED:
        raise InvalidTransition(_("check the batch before approving it"))
    report = _check(batch)
    if report["failures"]:
        raise DomainError(
            _("the batch cannot be approved: %(n)d failures — %(list)s")
            % {"n": len(report["failures"]), "list": "; ".join(f["message"] for f in report["failures"][:10])},
            code=None, details={"failures": report["failures"]},
        )
    _move(batch, BatchStatus.APPROVED)
    batch.approved_by, batch.approved_at, batch.check_report = actor, timezone.now(), report
    batch.save(update_fields=["status", "approved_by", "approved_at", "check_report"])
    audit_record(actor=actor, action="payment.approve", obj=batch,
                 new={"lines": report["lines"], "total": report["total"]})
    return batch


@transaction.atomic
def payment_batch_cancel(*, actor, batch: PaymentBatch, reason: str) -> PaymentBatch:
    if not region_in_scope(actor, batch.region_code, perm="payments.manage"):
        raise Forbidden(_("you may not cancel this batch"))
    batch = _locked(batch)
    _move(batch, BatchStatus.CANCELLED)
    batch.save(update_fields=["status"])
    audit_record(actor=actor, action="payment.cancel", obj=batch, new={"reason": reason})
    return batch


@transaction.atomic
def payment_batch_export(*, actor, batch: PaymentBatch, encoding: str = "gbk") -> bytes:
    """The bank file of an approved batch (again on request: the same content, audited)."""
    if not region_in_scope(actor, batch.region_code, perm="payments.manage"):
        raise Forbidden(_("you may not export this batch"))
    batch = _locked(batch)
    if batch.status not in (BatchStatus.APPROVED, BatchStatus.EXPORTED):
        raise InvalidTransition(_("only an approved batch can be sent to the bank"))
    lines = list(batch.lines.filter(status=LineStatus.PENDING).select_related("payee").order_by("line_no"))
    content = bankfile.write_payment_file(batch, lines, encoding=encoding)
    _move(batch, BatchStatus.EXPORTED)
    batch.exported_at, batch.export_encoding = timezone.now(), bankfile.normalise_encoding(encoding)
    batch.export_sha256 = hashlib.sha256(content).hexdigest()
    batch.save(update_fields=["status", "exported_at", "export_encoding", "export_sha256"])
    audit_record(actor=actor, action="payment.export", obj=batch,
                 new={"lines": len(lines), "encoding": batch.export_encoding, "sha256": batch.export_sha256})
    return content


@transaction.atomic
def payment_batch_reconcile(*, actor, batch: PaymentBatch, content: bytes, filename: str = "",
                            paid_on: dt.date | None = None) -> PaymentBatch:
    """Mark lines paid or failed from the bank's return file; a file that does not match the
    batch (another batch, a missing or extra line, a different ID number or amount) is refused
    whole and nothing changes."""
    if not region_in_scope(actor, batch.region_code, perm="payments.manage"):
        raise Forbidden(_("you may not reconcile this batch"))
    batch = _locked(batch)
    if batch.status != BatchStatus.EXPORTED:
        raise InvalidTransition(_("only a batch sent to the bank can be reconciled"))
    lines = {line.line_no: line for line in
             batch.lines.filter(status=LineStatus.PENDING).select_related("payee", "household")}
    results = bankfile.read_return_file(content)
    problems = bankfile.match_return(batch, lines, results)
    if problems:
        raise DomainError(
            _("the return file does not match batch %(number)s and was refused whole: %(list)s")
            % {"number": batch.number, "list": "; ".join(problems[:10])},
            details={"problems": problems},
        )
    paid = failed = 0
    recovered: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for result in results:
        line = lines[result.line_no]
        line.bank_reference = result.reference[:60]
        if result.paid:
            line.status = LineStatus.PAID
            paid += 1
            if line.recovery_id and line.deduction > 0:
                recovered[line.recovery_id] += line.deduction
        else:
            line.status = LineStatus.FAILED
            line.failure_reason = (result.reason or _("refused by the bank"))[:200]
            failed += 1
    with connection.cursor() as cursor:  # one statement per line, without the ORM's CASE-expression cost
        cursor.executemany(
            f"UPDATE {PaymentLine._meta.db_table} SET status = %s, failure_reason = %s, bank_reference = %s "
            "WHERE id = %s",
            [(line.status, line.failure_reason, line.bank_reference, line.pk) for line in lines.values()],
        )
    for recovery in Recovery.objects.select_for_update().filter(pk__in=recovered):
        recovery.recovered = min(recovery.amount, recovery.recovered + recovered[recovery.pk])
        if recovery.recovered >= recovery.amount:
            recovery.status = RecoveryStatus.CLOSED
        recovery.save(update_fields=["recovered", "status"])
    _records_for_paid_lines(actor=actor, batch=batch, paid_on=paid_on or timezone.localdate(),
                            lines=[line for line in lines.values() if line.status == LineStatus.PAID])
    _move(batch, BatchStatus.RECONCILED)
    batch.reconciled_at, batch.paid_count, batch.failed_count = timezone.now(), paid, failed
    batch.save(update_fields=["status", "reconciled_at", "paid_count", "failed_count"])
    paid_lines = [line for line in lines.values() if line.status == LineStatus.PAID]
    transaction.on_commit(lambda: signals.payments_paid.send(sender=PaymentLine, batch=batch, lines=paid_lines))
    audit_record(actor=actor, action="payment.reconcile", obj=batch,
                 new={"file": filename, "sha256": hashlib.sha256(content).hexdigest(), "paid": paid,
                      "failed": failed, "recovered": {str(k): v for k, v in recovered.items()}})
    return batch


def _records_for_paid_lines(*, actor, batch: PaymentBatch, lines: list[PaymentLine], paid_on: dt.date) -> None:
    """Each paid line is an assistance given: one record (bulk, one audit event for the batch)."""
    given_on = paid_on
    period_end = month_end(batch.month)
    records = [
        AssistanceRecord(
            household_id=line.household_id, person_id=line.payee_id, region_code=line.region_code,
            is_urban=line.is_urban, item_code=line.item_code, item_name=line.item_name, category=line.category,
            tier=line.tier, kind=Kind.CASH, amount=line.gross_amount, persons=line.persons,
            period_start=batch.month, period_end=period_end, given_on=given_on, case_id_ref=line.case_id_ref,
            case_item_ref=line.case_item_ref, payment_line=line, source=Source.PAYMENT,
            external_ref=batch.number, dedupe_key=f"payment_line:{line.pk}",
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            note=(_("recovery deducted %(amount)s") % {"amount": line.deduction}) if line.deduction else "",
        )
        for line in lines
    ]
    AssistanceRecord.objects.bulk_create(records, batch_size=2000)


@transaction.atomic
def recovery_record(*, actor, household, amount: Decimal, reason: str = "", case_item_id: int | None = None,
                    item_code: str = "", dedupe_key: str = "") -> tuple[Recovery, bool]:
    """An overpayment to recover (from a revocation), deducted from the next payments."""
    amount = money(amount)
    if amount <= 0:
        raise DomainError(_("the overpayment must be above zero"), field="amount")
    dedupe_key = dedupe_key or f"manual:{household.pk}:{case_item_id}:{amount}:{reason}"[:120]
    existing = Recovery.objects.filter(dedupe_key=dedupe_key).first()
    if existing:
        return existing, False
    recovery = Recovery.objects.create(household=household, region_code=household.region_code,
                                       case_item_ref=case_item_id, item_code=item_code, reason=reason[:200],
                                       amount=amount, dedupe_key=dedupe_key)
    audit_record(actor=actor, action="payment.recovery", obj=recovery,
                 new={"household": household.pk, "amount": amount, "reason": reason, "case_item": case_item_id})
    return recovery, True


@transaction.atomic
def payment_record_one_off(*, actor, household, benefit: Benefit, given_on: dt.date) -> tuple[AssistanceRecord, bool]:
    """A one-off item decided on a case is an assistance given at the decision."""
    data = RecordInput(item_code=benefit.item_code, item_name=benefit.item_name, category=benefit.category,
                       tier=benefit.tier, kind=Kind.CASH, amount=money(benefit.amount), persons=benefit.persons,
                       given_on=given_on)
    return assistance_record_create(actor=actor, household=household, data=data, source=Source.CASE,
                                    case_id=benefit.case_id, case_item_id=benefit.case_item_id,
                                    dedupe_key=f"case_item:{benefit.case_item_id}")

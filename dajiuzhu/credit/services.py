"""Writes to the credit record: listing, notices, appeals, lifting, expiry, review streaks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import Conflict, DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.scoping import region_in_scope

from . import conf, signals
from .models import (
    Appeal,
    AppealStatus,
    CreditNotice,
    DishonestyRecord,
    NoticeKind,
    RecordReason,
    RecordSource,
    RecordStatus,
    ReviewStreak,
)
from .refusals import audited_refusal


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def _may_manage(actor, region_code: str) -> bool:
    return region_in_scope(actor, region_code, perm="credit.manage") or region_in_scope(
        actor, region_code, perm="cases.approve")


def _snapshot(record: DishonestyRecord) -> dict:
    return {"person": record.person_id, "household": record.household_id, "reason": record.reason,
            "source": record.source, "reference": record.source_reference, "start": record.start,
            "expiry": record.expiry, "status": record.status, "report": record.evidence_report_id,
            "case": record.case_id}


def _notice(record: DishonestyRecord, kind: str, on: dt.date, text: str) -> CreditNotice:
    return CreditNotice.objects.create(record=record, kind=kind, issued_on=on, text=text)


def listing_text(record: DishonestyRecord) -> str:
    return _(
        "%(name)s (%(id)s): you have been entered on the dishonesty list of the social assistance of this county "
        "for the reason \"%(reason)s\" from %(start)s to %(expiry)s. While the record is in force, every application "
        "of your household is examined with every item verified before a decision. You may appeal to the county "
        "assistance centre within 60 days; a record is lifted early if the appeal is upheld or after repayment."
    ) % {"name": record.person.name, "id": record.person.id_masked, "reason": record.get_reason_display(),
         "start": record.start, "expiry": record.expiry}


def _describe_create(**kwargs) -> dict:
    person = kwargs.get("person")
    return {"object_type": "registry.person", "object_id": getattr(person, "pk", ""),
            "region_code": getattr(person, "region_code", "") or ""}


@audited_refusal("credit.record_create", describe=_describe_create)
def dishonesty_record_create(
    *,
    actor,
    person,
    reason: str,
    source: str,
    details: str = "",
    source_reference: str = "",
    case_id: int | None = None,
    case_item_id: int | None = None,
    evidence_report_id: int | None = None,
    department_record_id: int | None = None,
    start: dt.date | None = None,
    months: int | None = None,
) -> DishonestyRecord:
    """失信记录: list a person (with the notice that tells them). Refused without a reason in words."""
    region_code = person.region_code or (person.household.region_code if person.household_id else "")
    if source == RecordSource.DEPARTMENT_LIST:
        allowed = _may_manage(actor, region_code) or (actor is not None and actor.has_perm_code("checks.deliver"))
    else:
        allowed = _may_manage(actor, region_code)
    if not allowed:
        raise Forbidden(_("you may not write dishonesty records for this person"))
    if reason not in RecordReason.values:
        raise DomainError(_("unknown reason %(reason)s") % {"reason": reason}, field="reason")
    if source not in RecordSource.values:
        raise DomainError(_("unknown source %(source)s") % {"source": source}, field="source")
    if source == RecordSource.CASE and not details.strip():
        raise DomainError(_("say in words why the declaration was dishonest"), field="details")
    start = start or timezone.localdate()
    expiry = add_months(start, months or conf.record_months())
    record = DishonestyRecord(
        person=person, household_id=person.household_id, region_code=region_code, reason=reason, details=details,
        source=source, source_reference=source_reference, case_id=case_id, case_item_id=case_item_id,
        evidence_report_id=evidence_report_id, department_record_id=department_record_id, start=start,
        expiry=expiry, created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise Conflict(_("this person is already listed for the same reference")) from None
    _notice(record, NoticeKind.LISTED, start, listing_text(record))
    audit_record(actor=actor, action="credit.record_create", obj=record, new=_snapshot(record))
    transaction.on_commit(lambda: signals.record_took_effect.send(sender=DishonestyRecord, record=record))
    return record


def _describe_record(**kwargs) -> dict:
    record = kwargs.get("record") or getattr(kwargs.get("appeal"), "record", None)
    return {"object_type": "credit.dishonestyrecord", "object_id": getattr(record, "pk", ""),
            "region_code": getattr(record, "region_code", "")}


@audited_refusal("credit.appeal_file", describe=_describe_record)
def appeal_file(*, actor, record: DishonestyRecord, grounds: str, filed_on: dt.date | None = None) -> Appeal:
    """申诉: the person (through a worker of their region) disputes an active record."""
    if not (_may_manage(actor, record.region_code) or region_in_scope(actor, record.region_code, perm="cases.handle")):
        raise Forbidden(_("you may not file appeals for this record"))
    record = DishonestyRecord.objects.select_for_update().get(pk=record.pk)
    if record.status != RecordStatus.ACTIVE:
        raise InvalidTransition(_("only an active record can be appealed"))
    if not grounds.strip():
        raise DomainError(_("the grounds of the appeal are required"), field="grounds")
    if record.appeals.filter(status=AppealStatus.PENDING).exists():
        raise Conflict(_("an appeal of this record is already pending"))
    user = actor if getattr(actor, "is_authenticated", False) else None
    appeal = Appeal.objects.create(record=record, region_code=record.region_code,
                                   filed_on=filed_on or timezone.localdate(), grounds=grounds.strip(), filed_by=user)
    audit_record(actor=actor, action="credit.appeal_file", obj=record, new={"appeal": appeal.pk, "grounds": grounds})
    return appeal


@audited_refusal("credit.appeal_decide", describe=_describe_record)
def appeal_decide(*, actor, appeal: Appeal, uphold: bool, reason: str) -> Appeal:
    """Decide an appeal: upheld lifts the record at once; rejected keeps it (the person is told either way)."""
    if not region_in_scope(actor, appeal.region_code, perm="credit.manage"):
        raise Forbidden(_("you may not decide appeals for this record"))
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.status != AppealStatus.PENDING:
        raise InvalidTransition(_("this appeal has already been decided"))
    if not reason.strip():
        raise DomainError(_("give the reason of the decision"), field="reason")
    today = timezone.localdate()
    user = actor if getattr(actor, "is_authenticated", False) else None
    appeal.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
    appeal.decided_on, appeal.decision_reason, appeal.decided_by = today, reason.strip(), user
    appeal.save()
    record = appeal.record
    if uphold:
        _end(record, status=RecordStatus.LIFTED, on=today, reason=_("appeal upheld: %(r)s") % {"r": reason})
        _notice(record, NoticeKind.LIFTED, today,
                _("%(name)s: your appeal was upheld and your dishonesty record is lifted from %(on)s. Reason: %(r)s")
                % {"name": record.person.name, "on": today, "r": reason})
    else:
        _notice(record, NoticeKind.APPEAL_REJECTED, today,
                _("%(name)s: your appeal was rejected; the record stays in force until %(expiry)s. Reason: %(r)s")
                % {"name": record.person.name, "expiry": record.expiry, "r": reason})
    audit_record(actor=actor, action="credit.appeal_decide", obj=record,
                 new={"appeal": appeal.pk, "upheld": uphold, "reason": reason})
    return appeal


class LiftReason:
    APPEAL = "appeal"
    REPAYMENT = "repayment"
    OTHER = "other"
    ALL = (APPEAL, REPAYMENT, OTHER)


def _end(record: DishonestyRecord, *, status: str, on: dt.date, reason: str) -> None:
    record.status, record.ended_on, record.end_reason = status, on, reason[:200]
    record.save(update_fields=["status", "ended_on", "end_reason"])


@audited_refusal("credit.record_lift", describe=_describe_record)
def dishonesty_record_lift(*, actor, record: DishonestyRecord, kind: str, reason: str) -> DishonestyRecord:
    """Lift a record early: after repayment of the overpayment, on appeal, or for another stated reason."""
    if not region_in_scope(actor, record.region_code, perm="credit.manage"):
        raise Forbidden(_("you may not lift this record"))
    record = DishonestyRecord.objects.select_for_update().select_related("person").get(pk=record.pk)
    if record.status != RecordStatus.ACTIVE:
        raise InvalidTransition(_("only an active record can be lifted"))
    if kind not in LiftReason.ALL:
        raise DomainError(_("unknown kind of lifting %(kind)s") % {"kind": kind}, field="kind")
    if not reason.strip():
        raise DomainError(_("give the reason for lifting the record"), field="reason")
    today = timezone.localdate()
    before = _snapshot(record)
    _end(record, status=RecordStatus.LIFTED, on=today, reason=f"{kind}: {reason.strip()}")
    record.appeals.filter(status=AppealStatus.PENDING).update(
        status=AppealStatus.UPHELD, decided_on=today, decision_reason=reason.strip(),
        decided_by=actor if getattr(actor, "is_authenticated", False) else None)
    _notice(record, NoticeKind.LIFTED, today,
            _("%(name)s: your dishonesty record is lifted from %(on)s. Reason: %(r)s")
            % {"name": record.person.name, "on": today, "r": reason.strip()})
    audit_record(actor=actor, action="credit.record_lift", obj=record, old=before,
                 new={"status": record.status, "kind": kind, "reason": reason})
    transaction.on_commit(lambda: signals.record_ended.send(sender=DishonestyRecord, record=record, how="lifted"))
    return record


@transaction.atomic
def dishonesty_records_expire(*, actor=None, on: dt.date | None = None) -> int:
    """Mark every record whose expiry has passed as expired (a record is out of force anyway by the date)."""
    on = on or timezone.localdate()
    due = list(DishonestyRecord.objects.select_for_update().select_related("person")
               .filter(status=RecordStatus.ACTIVE, expiry__lte=on))
    for record in due:
        _end(record, status=RecordStatus.EXPIRED, on=record.expiry, reason=_("expired"))
        _notice(record, NoticeKind.EXPIRED, on, _("%(name)s: your dishonesty record expired on %(on)s.")
                % {"name": record.person.name, "on": record.expiry})
    for record in due:
        transaction.on_commit(lambda record=record: signals.record_ended.send(sender=DishonestyRecord, record=record,
                                                                              how="expired"))
    if due:
        audit_record(actor=actor, action="credit.records_expire", object_type="credit.dishonestyrecord",
                     new={"on": on, "count": len(due), "ids": [r.pk for r in due][:1000]})
    return len(due)


@transaction.atomic
def review_outcomes_record(*, consistent: Iterable[int] = (), inconsistent: Iterable[int] = (), on: dt.date,
                           report_ids: dict[int, int] | None = None) -> None:
    """Count consecutive consistent verifications per household (the simplified-review incentive).

    Set-based: one statement per outcome for any number of households. A second verification
    on the same day does not count twice.
    """
    consistent, inconsistent = list(consistent), list(inconsistent)
    report_ids = report_ids or {}
    existing = set(ReviewStreak.objects.filter(household_id__in=consistent + inconsistent)
                   .values_list("household_id", flat=True))
    ReviewStreak.objects.bulk_create(
        [ReviewStreak(household_id=h) for h in consistent + inconsistent if h not in existing], ignore_conflicts=True)
    if consistent:
        (ReviewStreak.objects.filter(household_id__in=consistent)
         .exclude(last_outcome_on=on).update(consistent_cycles=F("consistent_cycles") + 1))
        ReviewStreak.objects.filter(household_id__in=consistent).update(last_outcome_on=on)
    if inconsistent:
        ReviewStreak.objects.filter(household_id__in=inconsistent).update(consistent_cycles=0, last_outcome_on=on)
    if report_ids:
        streaks = list(ReviewStreak.objects.filter(household_id__in=list(report_ids)).only("id", "household_id"))
        for streak in streaks:
            streak.last_report_id = report_ids[streak.household_id]
        ReviewStreak.objects.bulk_update(streaks, ["last_report_id"], batch_size=2000)

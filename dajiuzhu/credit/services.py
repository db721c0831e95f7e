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
from dajiuzhu.core.workdays import add_working_days

from . import conf
from .hooks import record_ended, record_in_force
from .models import (
    TRANSITIONS,
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


def _move(record: DishonestyRecord, to: str) -> None:
    """The allowed-transitions table, checked by every service that changes a record's status."""
    if to not in TRANSITIONS[record.status]:
        raise InvalidTransition(_("a record that is %(now)s cannot become %(to)s") % {
            "now": record.get_status_display(), "to": RecordStatus(to).label})
    record.status = to


def _send_on_commit(signal, record: DishonestyRecord) -> None:
    transaction.on_commit(lambda: signal.send(sender=DishonestyRecord, record=record))


def hearing_text(record: DishonestyRecord) -> str:
    """告知书: the facts, the evidence, the intended listing and the time to answer."""
    evidence = []
    if record.evidence_report_id:
        evidence.append(_("verification report no. %(id)s") % {"id": record.evidence_report_id})
    if record.source_reference:
        evidence.append(_("case %(ref)s") % {"ref": record.source_reference})
    return _(
        "%(name)s (%(id)s): the county assistance centre intends to enter you on the dishonesty list of the social "
        "assistance of this county for the reason \"%(reason)s\", for %(months)s months. The facts: %(facts)s. The "
        "evidence: %(evidence)s. You may state your case and defend yourself (陈述申辩) in writing or in person at "
        "your township window until %(due)s; your answer will be considered before any decision. Without an "
        "answer by then, the listing may take effect."
    ) % {"name": record.person.name, "id": record.person.id_masked, "reason": record.get_reason_display(),
         "months": record.intended_months, "facts": record.details or record.get_reason_display(),
         "evidence": "；".join(evidence) or _("the records of the case"), "due": record.answer_due}


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
    hearing: bool | None = None,
) -> DishonestyRecord:
    """失信记录: list a person (with the notice that tells them). Refused without a reason in words.

    ``hearing`` (default: for a record of an assistance case): the record is only *proposed*; the family
    gets a notice of the intended listing (告知书) and the county's answer period (working days) to state
    their case, and the record takes effect only through ``dishonesty_record_decide`` after the answer
    is considered or the period has passed. A department's list (a court's 失信被执行人) was heard by
    that authority and takes effect at once."""
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
    hearing = source == RecordSource.CASE if hearing is None else hearing
    start = start or timezone.localdate()
    months = months or conf.record_months()
    expiry = add_months(start, months)
    record = DishonestyRecord(
        person=person, household_id=person.household_id, region_code=region_code, reason=reason, details=details,
        source=source, source_reference=source_reference, case_id=case_id, case_item_id=case_item_id,
        evidence_report_id=evidence_report_id, department_record_id=department_record_id, start=start,
        expiry=expiry, created_by=actor if getattr(actor, "is_authenticated", False) else None,
        intended_months=months,
    )
    if hearing:
        if DishonestyRecord.objects.filter(person=person, source=source, source_reference=source_reference,
                                           status=RecordStatus.PROPOSED).exclude(source_reference="").exists():
            raise Conflict(_("a listing of this person for the same reference is already proposed"))
        record.status = RecordStatus.PROPOSED
        record.proposed_on = start
        record.answer_due = add_working_days(start, conf.hearing_answer_days(on=start, region_code=region_code),
                                             region_code=region_code)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise Conflict(_("this person is already listed for the same reference")) from None
    if hearing:
        _notice(record, NoticeKind.HEARING, start, hearing_text(record))
        audit_record(actor=actor, action="credit.record_propose", obj=record,
                     new={**_snapshot(record), "answer_due": record.answer_due})
        return record
    _notice(record, NoticeKind.LISTED, start, listing_text(record))
    audit_record(actor=actor, action="credit.record_create", obj=record, new=_snapshot(record))
    _send_on_commit(record_in_force, record)
    return record


@audited_refusal("credit.record_answer", describe=lambda **kw: _describe_record(**kw))
def dishonesty_record_answer(*, actor, record: DishonestyRecord, answer: str,
                             answered_on: dt.date | None = None) -> DishonestyRecord:
    """陈述申辩: record the family's statement on a proposed listing (given at a window, in writing or in person)."""
    if not (_may_manage(actor, record.region_code) or region_in_scope(actor, record.region_code, perm="cases.handle")):
        raise Forbidden(_("you may not record answers for this record"))
    record = DishonestyRecord.objects.select_for_update().select_related("person").get(pk=record.pk)
    if record.status != RecordStatus.PROPOSED:
        raise InvalidTransition(_("only a proposed listing can be answered"))
    if not answer.strip():
        raise DomainError(_("write the family's statement"), field="answer")
    today = timezone.localdate()
    answered_on = answered_on or today
    if answered_on > today:
        raise DomainError(_("an answer cannot be dated in the future"), field="answered_on")
    if answered_on < record.proposed_on:
        raise DomainError(_("an answer cannot be dated before the notice (%(on)s)") % {"on": record.proposed_on},
                          field="answered_on")
    record.answer, record.answered_on = answer.strip(), answered_on
    record.save(update_fields=["answer", "answered_on", "updated_at"])
    audit_record(actor=actor, action="credit.record_answer", obj=record,
                 new={"answered_on": answered_on, "answer": record.answer, "late": answered_on > record.answer_due})
    return record


@audited_refusal("credit.record_decide", describe=lambda **kw: _describe_record(**kw))
def dishonesty_record_decide(*, actor, record: DishonestyRecord, list_person: bool, consideration: str = "",
                             on: dt.date | None = None) -> DishonestyRecord:
    """After the hearing: list the person (the record takes effect on ``on``, today by default) or withdraw
    the proposal.

    Allowed only once the answer was given (then the consideration of it is required) or the answer
    period has passed; before that it is refused, naming the last day of the period. ``on`` may be an
    earlier day (a decision entered late, a history taken over) but never before the period allowed it
    nor in the future."""
    if not region_in_scope(actor, record.region_code, perm="credit.manage") and not region_in_scope(
            actor, record.region_code, perm="cases.approve"):
        raise Forbidden(_("you may not decide this record"))
    record = DishonestyRecord.objects.select_for_update().select_related("person").get(pk=record.pk)
    if record.status != RecordStatus.PROPOSED:
        raise InvalidTransition(_("only a proposed listing can be decided"))
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise DomainError(_("a decision cannot be dated in the future"), field="on")
    if record.answered_on is None and on <= record.answer_due:
        raise InvalidTransition(_("the family may answer until %(due)s; the listing cannot take effect before the "
                                  "answer is considered or that day has passed") % {"due": record.answer_due})
    if record.answered_on is not None and on < record.answered_on:
        raise DomainError(_("a decision cannot be dated before the answer (%(on)s)") % {"on": record.answered_on},
                          field="on")
    if record.answered_on is not None and not consideration.strip():
        raise DomainError(_("say how the family's answer was considered"), field="consideration")
    before = _snapshot(record)
    record.consideration = consideration.strip()
    record.considered_on = on
    if list_person:
        _move(record, RecordStatus.ACTIVE)
        record.start = on
        record.expiry = add_months(on, record.intended_months or conf.record_months())
        record.save()
        _notice(record, NoticeKind.LISTED, on, listing_text(record))
        _send_on_commit(record_in_force, record)
    else:
        if not record.consideration:
            raise DomainError(_("give the reason for withdrawing the listing"), field="consideration")
        _move(record, RecordStatus.WITHDRAWN)
        record.ended_on, record.end_reason = on, record.consideration[:200]
        record.save()
        _notice(record, NoticeKind.WITHDRAWN, on,
                _("%(name)s: after hearing you, the intended listing is withdrawn. Reason: %(r)s")
                % {"name": record.person.name, "r": record.consideration})
    audit_record(actor=actor, action="credit.record_decide", obj=record, old=before,
                 new={**_snapshot(record), "consideration": record.consideration})
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
    _move(record, status)
    record.ended_on, record.end_reason = on, reason[:200]
    record.save(update_fields=["status", "ended_on", "end_reason", "updated_at"])
    _send_on_commit(record_ended, record)


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


def dishonesty_record_list_after_hearing(*, actor, person, start: dt.date, **kwargs) -> DishonestyRecord:
    """Propose a case record dated ``start`` and, its answer period having passed unanswered, let it take
    effect the day after the period (for histories taken over from an earlier system, the demo and tests)."""
    record = dishonesty_record_create(actor=actor, person=person, start=start, hearing=True, **kwargs)
    return dishonesty_record_decide(actor=actor, record=record, list_person=True,
                                    on=record.answer_due + dt.timedelta(days=1))

"""Verification (核对): run it, write the report, hand the result on, and decide on it.

``verify_household`` is the one entry for an application, a periodic review and (per
household with a discrepancy) the county-wide batch. Without a signed authorisation
(授权书, recorded by the cases app) no department data is read: the call is refused and the
refusal audited.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.accounts.departments import DEPARTMENTS
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.money import money
from dajiuzhu.core.scoping import region_in_scope
from dajiuzhu.credit.refusals import audited_refusal
from dajiuzhu.registry.facts import household_facts
from dajiuzhu.registry.models import Person

from . import compare as compare_mod
from .compare import CHECKS, INFORMATION_TYPES, Comparison
from .datatypes import DATA_TYPES
from .evaluation import benefit_items, evaluate, jsonable_facts, verified_facts
from .models import (
    Affects,
    Decision,
    DepartmentRecord,
    ReportKind,
    ReportOutcome,
    ReportStatus,
    VerificationItem,
    VerificationReport,
)

DEPARTMENT_NAMES = {code: name for code, name, _gives in DEPARTMENTS}


# --- authorisation -----------------------------------------------------------------------------

def authorisation_on_file(household, case=None) -> bool:
    """A signed data-check authorisation (授权书): of this case, or of any case of the household."""
    try:
        from dajiuzhu.cases.models import Signature
    except ImportError:  # pragma: no cover - the cases app is part of every installation
        return False
    signatures = Signature.objects.filter(kind=Signature.Kind.AUTHORISATION)
    if case is not None:
        return signatures.filter(case_id=case.pk).exists()
    return signatures.filter(case__household_id=household.pk).exists()


def authorised_households(household_ids) -> set[int]:
    """Set-based: which of these households have a signed authorisation on file."""
    try:
        from dajiuzhu.cases.models import Signature
    except ImportError:  # pragma: no cover
        return set()
    ids = list(household_ids)
    out: set[int] = set()
    for start in range(0, len(ids), 5000):
        out.update(Signature.objects.filter(kind=Signature.Kind.AUTHORISATION,
                                            case__household_id__in=ids[start:start + 5000])
                   .values_list("case__household_id", flat=True))
    return out


def declared_facts(household, case, on: dt.date) -> dict:
    """The declared facts the rules read: the household's, plus the applicant's (the head's without a case)."""
    try:
        from dajiuzhu.programs.facts import DERIVED_FACTS, derived_facts, facts_for
    except ImportError:  # pragma: no cover
        return household_facts(household.pk, on=on)
    facts = facts_for(household_id=household.pk, on=on, applicant=getattr(case, "applicant_id", None))
    # The report keeps every fact, the derived ones (supporters, the latest emergency) included, as the frame does.
    facts.update(derived_facts(facts.context, DERIVED_FACTS - set(facts.keys())))
    return dict(facts)


# --- the report --------------------------------------------------------------------------------

def _yuan(fen) -> str:
    return str((Decimal(int(fen)) / 100).quantize(Decimal("0.01")))


def _sources(data_types) -> str:
    names = []
    for code in data_types:
        name = DEPARTMENT_NAMES.get(DATA_TYPES[code].department, DATA_TYPES[code].department)
        if name not in names:
            names.append(name)
    return "、".join(names)


def _date(ordinal) -> dt.date | None:
    return dt.date.fromordinal(int(ordinal)) if int(ordinal) else None


def _items_for(cmp: Comparison, i: int) -> list[VerificationItem]:
    """Every line of the report of household ``i`` of the comparison."""
    items: list[VerificationItem] = []
    household_id = int(cmp.household_ids[i])
    rows = cmp.rows
    mine = rows.household_id == household_id
    people = {p.pk: p for p in Person.objects.filter(pk__in=set(int(x) for x in rows.person_id[mine]))}
    for check in CHECKS:
        source = _sources(check.data_types)
        has = bool(cmp.has_data[check.code][i])
        bad = bool(cmp.discrepant[check.code][i])
        if check.code == "deaths":
            dead = [int(p) for p in set(rows.person_id[mine].tolist()) if int(p) in cmp.dead_people]
            for person_id in dead:
                mask = mine & (rows.person_id == person_id) & (rows.event_date > 0)
                death = _date(rows.event_date[mask].min())
                items.append(VerificationItem(
                    check_code=check.code, person=people.get(person_id), person_name=people[person_id].name,
                    source=_sources(sorted(set(rows.data_type[mask].tolist()))), described_on=death,
                    value_found=_("died on %(date)s") % {"date": death}, value_declared=_("alive, living in the household"),
                    difference=_("one member fewer"), discrepancy=True))
            if not dead:
                items.append(VerificationItem(check_code=check.code, source=source, value_found=_("no death on record"),
                                              value_declared=_("all members alive")))
            continue
        if check.code == "disability":
            graded = [int(p) for p in set(rows.person_id[mine & (rows.data_type == "disability")].tolist())]
            for person_id in graded:
                found, declared_grade = cmp.grade_of[person_id]
                mask = mine & (rows.person_id == person_id) & (rows.data_type == "disability")
                items.append(VerificationItem(
                    check_code=check.code, person=people.get(person_id), person_name=people[person_id].name,
                    source=source, described_on=_date(rows.as_of[mask].max()),
                    value_found=_("grade %(g)d") % {"g": found},
                    value_declared=(_("grade %(g)d") % {"g": declared_grade}) if declared_grade else _("none"),
                    difference="" if found == declared_grade else _("different grade"),
                    discrepancy=found != declared_grade))
            if not graded:
                items.append(VerificationItem(check_code=check.code, source=source, value_found=_("no certificate on record")))
            continue
        found, declared = int(cmp.found[check.code][i]), int(cmp.declared[check.code][i])
        if check.kind == "money":
            shown_found, shown_declared, difference = _yuan(found), _yuan(declared), _yuan(found - declared)
        else:
            shown_found, shown_declared, difference = str(found), str(declared), str(found - declared)
        items.append(VerificationItem(
            check_code=check.code, source=source, described_on=_date(cmp.latest[check.code][i]),
            value_found=shown_found if has else _("no record"), value_declared=shown_declared,
            difference=difference if has else "", discrepancy=bad))
    info_mask = mine & np.isin(rows.data_type, INFORMATION_TYPES)
    if info_mask.any():
        records = DepartmentRecord.objects.filter(pk__in=[int(r) for r in rows.record_id[info_mask]])
        for record in records.order_by("data_type", "id"):
            spec = DATA_TYPES[record.data_type]
            summary = "; ".join(f"{f.label}: {record.values[f.name]}" for f in spec.fields if f.name in record.values)
            person = people.get(record.person_id)
            items.append(VerificationItem(
                check_code=record.data_type, person=person, person_name=person.name if person else "",
                source=DEPARTMENT_NAMES.get(spec.department, spec.department), described_on=record.as_of,
                value_found=summary[:200], value_declared="—"))
    return items


def _evaluations(household, case_items: list, declared: dict, verified: dict, on: dt.date) -> tuple[list, dict]:
    """Re-run each item's rule on the declared and on the verified facts; also return the declared outcomes."""
    out, before_of = [], {}
    for case_item in case_items:
        before = evaluate(case_item.item, declared, on=on, region_code=household.region_code)
        after = evaluate(case_item.item, verified, on=on, region_code=household.region_code)
        if before is None or after is None:
            continue
        before_of[case_item.pk] = before
        current = case_item.amount if case_item.amount is not None else before.amount
        out.append({
            "case_item": case_item.pk, "item": case_item.item.code, "name": str(case_item.item),
            "status": case_item.status, "amount_in_force": None if current is None else str(current),
            "declared": {"eligible": before.eligible, "amount": None if before.amount is None else str(before.amount)},
            "verified": {"eligible": after.eligible, "amount": None if after.amount is None else str(after.amount)},
            "changes_eligibility": before.eligible != after.eligible,
            "changes_amount": after.eligible and before.eligible and _differs(current, after.amount),
        })
    return out, before_of


def _differs(a, b) -> bool:
    if a is None or b is None:
        return a is not b
    return money(a) != money(b)


def _affects(household, declared: dict, cmp: Comparison, i: int, code: str, on: dt.date, case_items: list,
             before_of: dict) -> str:
    """Does this one discrepancy, alone, change eligibility or the amount of any item?"""
    if not before_of:
        return Affects.UNKNOWN
    facts = verified_facts(declared, cmp, i, only={code})
    result = Affects.NOTHING
    for case_item in case_items:
        before = before_of.get(case_item.pk)
        if before is None:
            continue
        after = evaluate(case_item.item, facts, on=on, region_code=household.region_code)
        if after is None:
            continue
        if before.eligible != after.eligible:
            return Affects.ELIGIBILITY
        current = case_item.amount if case_item.amount is not None else before.amount
        if after.eligible and _differs(current, after.amount):
            result = Affects.AMOUNT
    return result


def _may_verify(actor, household, case) -> bool:
    """A worker with ``checks.run`` in the household's region; for a case, also whoever handles it
    (the window or village worker whose application started the verification)."""
    if region_in_scope(actor, household.region_code, perm="checks.run"):
        return True
    if case is None:
        return False
    return any(region_in_scope(actor, code, perm="cases.view")
               for code in (case.region_code, getattr(case, "accepted_region_code", "")) if code)


def _describe_verify(**kwargs) -> dict:
    household = kwargs.get("household")
    case = kwargs.get("case")
    return {"object_type": "registry.household", "object_id": getattr(household, "pk", ""),
            "region_code": getattr(household, "region_code", ""), "case": getattr(case, "pk", None),
            "as_of": str(kwargs.get("as_of", ""))}


@audited_refusal("checks.verify", describe=_describe_verify)
def verify_household(*, actor, household, as_of: dt.date, case=None, kind: str | None = None, job=None,
                     comparison: Comparison | None = None, authorisation_checked: bool = False,
                     declared: dict | None = None, record_streak: bool = True) -> VerificationReport:
    """核对 one household on ``as_of``: compare, re-run the rules, keep the report, hand the result on.

    Consistent: the household's approved items are confirmed (cases' review confirm), unless
    this is a check-first application still to be decided. Inconsistent: the report waits for
    the approver (``report_decide``) and the household's review streak starts again.
    ``authorisation_checked`` is for the batch, which checks the authorisations of all its
    households in one query (``authorised_households``) before it calls this.
    """
    if not _may_verify(actor, household, case):
        raise Forbidden(_("you may not run verifications for this household"))
    if as_of > timezone.localdate():
        raise DomainError(_("the reference date cannot be in the future"), field="as_of")
    if not authorisation_checked and not authorisation_on_file(household, case):
        raise Forbidden(_("no signed data-check authorisation (授权书) is on file: no department data was queried"))
    kind = kind or (ReportKind.APPLICATION if case is not None else ReportKind.REVIEW)
    cmp = comparison if comparison is not None else compare_mod.compare(on=as_of, household_ids=[household.pk])
    i = cmp.index_of(household.pk)
    if declared is None:
        declared = declared_facts(household, case, as_of)
    verified = verified_facts(declared, cmp, i)
    case_items = benefit_items(household, case, on=as_of)
    evaluations, before_of = _evaluations(household, case_items, declared, verified, as_of)
    evaluated = bool(before_of)
    items = _items_for(cmp, i)
    discrepancies = sum(1 for item in items if item.discrepancy)
    affects_by_check: dict[str, str] = {}
    for item in items:
        if item.discrepancy:
            if item.check_code not in affects_by_check:
                affects_by_check[item.check_code] = _affects(household, declared, cmp, i, item.check_code, as_of,
                                                             case_items, before_of)
            item.affects = affects_by_check[item.check_code]
    outcome = ReportOutcome.INCONSISTENT if discrepancies else ReportOutcome.CONSISTENT
    user = actor if getattr(actor, "is_authenticated", False) else None
    report = VerificationReport.objects.create(
        household=household, case_id=getattr(case, "pk", None), region_code=household.region_code, kind=kind,
        as_of=as_of, job=job, created_by=user, outcome=outcome,
        status=ReportStatus.AWAITING_DECISION if discrepancies else ReportStatus.CLOSED,
        discrepancies=discrepancies, evaluated=evaluated,
        changes_eligibility=any(e["changes_eligibility"] for e in evaluations),
        changes_amount=any(e["changes_amount"] for e in evaluations),
        declared_facts=jsonable_facts(declared), verified_facts=jsonable_facts(verified),
        evaluations=evaluations,
    )
    for item in items:
        item.report = report
    VerificationItem.objects.bulk_create(items)
    audit_record(actor=actor, action="checks.verify", obj=report,
                 new={"household": household.pk, "case": report.case_id, "as_of": as_of, "outcome": outcome,
                      "discrepancies": discrepancies, "changes_eligibility": report.changes_eligibility,
                      "changes_amount": report.changes_amount})
    from dajiuzhu.credit.services import review_outcomes_record

    if outcome == ReportOutcome.CONSISTENT:
        review_outcomes_record(consistent=[household.pk], on=as_of, report_ids={household.pk: report.pk})
        _confirm_items(actor=actor, case_items=case_items)
    elif record_streak:  # (the batch records the streaks of all its inconsistent households at once)
        review_outcomes_record(inconsistent=[household.pk], on=as_of, report_ids={household.pk: report.pk})
    return report


def _confirm_items(*, actor, case_items: list) -> int:
    """A consistent verification confirms the approved items it covers (cases' review confirm)."""
    try:
        from dajiuzhu.cases.services import case_item_review_confirm
    except ImportError:  # pragma: no cover
        return 0
    confirmed = 0
    for case_item in case_items:
        if case_item.status == "approved":
            case_item_review_confirm(actor=actor, case_item=case_item)
            confirmed += 1
    return confirmed


# --- the approver's decision on an inconsistent report -----------------------------------------

def _describe_report(**kwargs) -> dict:
    report = kwargs.get("report")
    return {"object_type": "checks.verificationreport", "object_id": getattr(report, "pk", ""),
            "region_code": getattr(report, "region_code", ""), "decision": kwargs.get("decision", "")}


@audited_refusal("checks.decide", describe=_describe_report)
def report_decide(*, actor, report: VerificationReport, decision: str, reason: str, case_item_ids=None,
                  amount: Decimal | None = None, not_due_from: dt.date | None = None, dishonest: bool = False,
                  dishonesty_reason: str = "concealment", person=None) -> VerificationReport:
    """The approver decides an inconsistent report: confirm, adjust the amount, or revoke.

    A revocation computes the overpayment from ``not_due_from`` (cases' ``case_item_revoke``).
    Only a revocation for concealment or forgery (``dishonest=True``, with the reason in words)
    writes a dishonesty record, with this report as its evidence; an honest mistake does not.
    """
    if not region_in_scope(actor, report.region_code, perm="cases.approve"):
        raise Forbidden(_("only an approver of this region may decide on the report"))
    report = VerificationReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.AWAITING_DECISION:
        raise InvalidTransition(_("this report is not awaiting a decision"))
    if decision not in Decision.values:
        raise DomainError(_("unknown decision %(d)s") % {"d": decision}, field="decision")
    if not reason.strip():
        raise DomainError(_("give the reason of the decision"), field="reason")
    if dishonest and decision != Decision.REVOKE:
        raise DomainError(_("a dishonesty record follows only a revocation"), field="dishonest")
    from dajiuzhu.cases import services as case_services

    household = report.household
    case_items = [ci for ci in benefit_items(household, None, on=report.as_of) if ci.status == "approved"]
    if case_item_ids is not None:
        wanted = {int(x) for x in case_item_ids}
        case_items = [ci for ci in case_items if ci.pk in wanted]
    if decision != Decision.CONFIRM and not case_items:
        raise DomainError(_("the household receives nothing that could be adjusted or revoked"))
    revocations = []
    if decision == Decision.CONFIRM:
        for case_item in case_items:
            case_services.case_item_review_confirm(actor=actor, case_item=case_item)
    elif decision == Decision.ADJUST:
        if amount is None or amount < 0:
            raise DomainError(_("give the new monthly amount"), field="amount")
        for case_item in case_items:
            case_services.case_item_adjust(actor=actor, case_item=case_item, amount=money(amount), reason=reason)
    else:
        if not_due_from is None:
            raise DomainError(_("give the date from which the benefit was not due"), field="not_due_from")
        for case_item in case_items:
            revocations.append(case_services.case_item_revoke(actor=actor, case_item=case_item, reason=reason,
                                                              not_due_from=not_due_from, dishonest=dishonest))
    if dishonest:
        from dajiuzhu.credit.services import dishonesty_record_create

        if dishonesty_reason not in ("concealment", "forgery"):
            raise DomainError(_("a dishonesty record is written only for concealment or forgery"),
                              field="dishonesty_reason")
        first = case_items[0] if case_items else None
        listed = person or (first.case.applicant if first is not None else household.head)
        record = dishonesty_record_create(
            actor=actor, person=listed, reason=dishonesty_reason, source="case", details=reason,
            source_reference=getattr(getattr(first, "case", None), "number", "") or f"report-{report.pk}",
            case_id=getattr(first, "case_id", None), case_item_id=getattr(first, "pk", None),
            evidence_report_id=report.pk)
        report.dishonesty_record_id = record.pk
    user = actor if getattr(actor, "is_authenticated", False) else None
    report.decision_details = {
        "case_items": [{"case_item": ci.pk, "case": ci.case_id, "case_number": ci.case.number, "item": ci.item.code,
                        "name": str(ci.item)} for ci in case_items],
        "amount": None if amount is None else str(money(amount)),
        "revocations": [{"case_item": r.case_item_id, "not_due_from": r.not_due_from.isoformat(),
                         "months": r.months_overpaid, "monthly_amount": str(r.monthly_amount),
                         "overpayment": str(r.overpayment), "dishonest": r.dishonest} for r in revocations],
        "overpayment": str(sum((r.overpayment for r in revocations), Decimal("0.00"))),
    }
    report.status, report.decision, report.decision_reason = ReportStatus.DECIDED, decision, reason.strip()
    report.decided_at, report.decided_by = timezone.now(), user
    report.save()
    audit_record(actor=actor, action="checks.decide", obj=report,
                 new={"decision": decision, "reason": reason, "items": [ci.pk for ci in case_items],
                      "amount": amount, "not_due_from": not_due_from, "dishonest": dishonest,
                      "dishonesty_record": report.dishonesty_record_id,
                      "overpayment": report.decision_details["overpayment"]})
    return report

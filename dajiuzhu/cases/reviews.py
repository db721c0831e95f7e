"""Review (复核), amount changes, revocation (停发) with the overpayment, ending, and appeals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import Conflict, DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.money import money
from dajiuzhu.core.scoping import get_scoped

from . import signals
from .dates import cycles_between, month_end, month_start, next_cycle
from .models import Appeal, CaseItem, ItemStatus, Review, Revocation


def _lock_item(*, actor, case_item: CaseItem, perm: str) -> CaseItem:
    """Fetch-and-authorise-and-lock; an item outside the actor's jurisdiction is a 404."""
    qs = CaseItem.objects.select_for_update(of=("self",)).select_related("case", "item", "household")
    return get_scoped(qs, actor, perm=perm, fields=("region_code", "case__accepted_region_code"), pk=case_item.pk)


def _require_approved(ci: CaseItem) -> None:
    if ci.status != ItemStatus.APPROVED:
        raise InvalidTransition(_("only an approved benefit can be reviewed, changed or revoked (it is %(s)s)")
                                % {"s": ItemStatus(ci.status).label})


def _event(ci: CaseItem, action: str, actor, *, opinion: str = "", data: dict | None = None, to_status: str = ""):
    from .services import _event as case_event

    return case_event(ci.case, action, actor, case_item=ci, opinion=opinion, data=data or {}, to_status=to_status)


def _next_review(ci: CaseItem, on: dt.date) -> dt.date:
    from .services import irregular_income, review_due_for

    return review_due_for(next_cycle(on), irregular_income(ci.household, on))


@transaction.atomic
def case_item_review_confirm(*, actor, case_item: CaseItem, note: str = "", on: dt.date | None = None) -> CaseItem:
    """The review found nothing to change: the benefit continues; the next review is scheduled."""
    ci = _lock_item(actor=actor, case_item=case_item, perm="cases.handle")
    _require_approved(ci)
    on = on or timezone.localdate()
    due, ci.review_due = ci.review_due, _next_review(ci, on)
    ci.save(update_fields=["review_due"])
    Review.objects.create(case_item=ci, due=due or on, outcome=Review.Outcome.CONFIRMED, old_amount=ci.amount,
                          new_amount=ci.amount, note=note, next_due=ci.review_due, actor=actor)
    _event(ci, "review_confirm", actor, opinion=note, data={"next_review": ci.review_due})
    audit_record(actor=actor, action="case_item.review_confirm", obj=ci, old={"review_due": due},
                 new={"review_due": ci.review_due})
    return ci


@transaction.atomic
def case_item_review_request(*, actor, case_item: CaseItem, reason: str, on: dt.date | None = None) -> CaseItem:
    """Open a review now (复核 brought forward), e.g. after a spot check found a difference: the item's review
    falls due ``on`` and heads the reviews list; the reviewer then confirms, changes or revokes it."""
    ci = _lock_item(actor=actor, case_item=case_item, perm="cases.view")
    _require_approved(ci)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("give the reason for the review"), field="reason")
    on = on or timezone.localdate()
    due, ci.review_due = ci.review_due, min(ci.review_due or on, on)
    ci.save(update_fields=["review_due"])
    _event(ci, "review_requested", actor, opinion=reason, data={"review_due": ci.review_due})
    audit_record(actor=actor, action="case_item.review_request", obj=ci, old={"review_due": due},
                 new={"review_due": ci.review_due, "reason": reason})
    return ci


@transaction.atomic
def case_item_adjust(*, actor, case_item: CaseItem, amount: Decimal, reason: str, on: dt.date | None = None
                     ) -> CaseItem:
    """The review changes the monthly amount (from the next payment cycle)."""
    ci = _lock_item(actor=actor, case_item=case_item, perm="cases.handle")
    _require_approved(ci)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("give the reason for the change"), field="reason")
    amount = money(amount)
    if amount < 0:
        raise DomainError(_("the amount cannot be negative"), field="amount")
    ceiling = getattr(ci.item, "household_ceiling", None)
    if ceiling is not None and ceiling > 0 and amount > ceiling:
        raise DomainError(_("the amount is over the item's household ceiling of %(c)s yuan") % {"c": ceiling},
                          field="amount")
    on = on or timezone.localdate()
    old = ci.amount
    due = ci.review_due
    ci.amount, ci.review_due = amount, _next_review(ci, on)
    ci.save(update_fields=["amount", "review_due"])
    Review.objects.create(case_item=ci, due=due or on, outcome=Review.Outcome.ADJUSTED, old_amount=old,
                          new_amount=amount, note=reason, next_due=ci.review_due, actor=actor)
    _event(ci, "adjust", actor, opinion=reason, data={"old": old, "new": amount, "from": next_cycle(on)})
    audit_record(actor=actor, action="case_item.adjust", obj=ci, old={"amount": old},
                 new={"amount": amount, "reason": reason})
    transaction.on_commit(lambda: signals.case_item_decided.send(sender=CaseItem, case_item=ci, outcome="adjusted"))
    return ci


def overpayment_months(*, effective_from: dt.date, not_due_from: dt.date, revoked_on: dt.date,
                       effective_to: dt.date | None = None) -> int:
    """Payment cycles paid while not due: from the month of ``not_due_from`` (paid in advance on the
    first of each month) to the revocation, within the benefit's own period."""
    first = max(month_start(not_due_from), effective_from)
    last = min(revoked_on, effective_to) if effective_to else revoked_on
    return cycles_between(first, last)


@transaction.atomic
def case_item_revoke(*, actor, case_item: CaseItem, reason: str, not_due_from: dt.date, dishonest: bool = False,
                     on: dt.date | None = None) -> Revocation:
    """停发: stop the benefit, record why, from when it was not due, and the overpayment to recover
    (months × monthly amount, exact). ``dishonest`` marks a false declaration (the credit app listens)."""
    ci = _lock_item(actor=actor, case_item=case_item, perm="cases.handle")
    _require_approved(ci)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("give the reason for the revocation"), field="reason")
    on = on or timezone.localdate()
    if not_due_from > on:
        raise DomainError(_("the date from which the benefit was not due cannot be in the future"),
                          field="not_due_from")
    if ci.effective_from and not_due_from < ci.effective_from and ci.periodic:
        not_due_from = max(not_due_from, ci.effective_from)
    amount = ci.amount or Decimal("0")
    if ci.periodic:
        months = overpayment_months(effective_from=ci.effective_from, not_due_from=not_due_from, revoked_on=on,
                                    effective_to=ci.effective_to)
        overpayment = money(amount * months)
    else:
        months = 1 if ci.effective_from and ci.effective_from <= on and not_due_from <= (ci.effective_to or on) else 0
        overpayment = money(amount * months)
    try:
        with transaction.atomic():
            revocation = Revocation.objects.create(
                case_item=ci, reason=reason, not_due_from=not_due_from, revoked_on=on, monthly_amount=amount,
                months_overpaid=months, overpayment=overpayment, dishonest=dishonest, actor=actor,
            )
    except IntegrityError:
        raise Conflict(_("this benefit has already been revoked")) from None
    before = ci.status
    ci.status = ItemStatus.REVOKED
    ci.effective_to = month_end(on) if ci.periodic else ci.effective_to
    ci.review_due = None
    ci.save(update_fields=["status", "effective_to", "review_due"])
    Review.objects.create(case_item=ci, due=on, outcome=Review.Outcome.REVOKED, old_amount=amount, new_amount=None,
                          note=reason, actor=actor)
    _event(ci, "revoke", actor, opinion=reason, to_status=ci.status,
           data={"not_due_from": not_due_from, "months": months, "overpayment": overpayment, "dishonest": dishonest})
    audit_record(actor=actor, action="case_item.revoke", obj=ci, old={"status": before},
                 new={"status": ci.status, "reason": reason, "not_due_from": not_due_from, "months": months,
                      "overpayment": overpayment, "dishonest": dishonest})
    transaction.on_commit(lambda: signals.case_item_revoked.send(sender=CaseItem, case_item=ci, revocation=revocation))
    return revocation


@transaction.atomic
def case_item_end(*, actor, case_item: CaseItem, on: dt.date, reason: str) -> CaseItem:
    """The benefit ends normally (the household left the tier, a member died, it moved away)."""
    ci = _lock_item(actor=actor, case_item=case_item, perm="cases.handle")
    _require_approved(ci)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("give the reason"), field="reason")
    # Any day from the decision on: a benefit ended before its first payment cycle is never paid (a
    # near-poor status approved today and ended today to let 低保 be approved, a family that moved away
    # the week after the decision). A date before the decision is a mistake.
    decided_on = timezone.localdate(ci.decided_at) if ci.decided_at else None
    if decided_on is None and ci.effective_from:
        decided_on = ci.effective_from - dt.timedelta(days=1)
    if decided_on and on < decided_on:
        raise DomainError(_("the end date is before the benefit was decided (%(day)s)") % {"day": decided_on},
                          field="on")
    ci.status, ci.effective_to, ci.review_due = ItemStatus.ENDED, on, None
    ci.save(update_fields=["status", "effective_to", "review_due"])
    _event(ci, "end", actor, opinion=reason, to_status=ci.status, data={"on": on})
    audit_record(actor=actor, action="case_item.end", obj=ci, old={"status": ItemStatus.APPROVED},
                 new={"status": ci.status, "effective_to": on, "reason": reason})
    transaction.on_commit(lambda: signals.case_item_ended.send(sender=CaseItem, case_item=ci))
    return ci


@transaction.atomic
def appeal_lodge(*, actor, case_item: CaseItem, grounds: str) -> Appeal:
    """The applicant contests a refusal or a revocation (recorded by a worker, or by the resident)."""
    if getattr(actor, "role", None) == "resident":
        ci = CaseItem.objects.select_for_update(of=("self",)).select_related("case", "item").filter(
            pk=case_item.pk, household__members__id_hash=actor.person_id_hash).exclude(
            household__members__id_hash="").first()
        if ci is None:
            from django.http import Http404

            raise Http404("No case item matches the given query.")
    else:
        ci = _lock_item(actor=actor, case_item=case_item, perm="cases.create")
    if ci.status not in (ItemStatus.REFUSED, ItemStatus.REVOKED):
        raise InvalidTransition(_("only a refusal or a revocation can be appealed"))
    grounds = (grounds or "").strip()
    if not grounds:
        raise DomainError(_("give the grounds of the appeal"), field="grounds")
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(case_item=ci, region_code=ci.region_code, contested_status=ci.status,
                                           grounds=grounds, lodged_by=actor if actor.is_authenticated else None)
    except IntegrityError:
        raise Conflict(_("an appeal against this decision is already open")) from None
    _event(ci, "appeal_lodge", actor, opinion=grounds, data={"appeal": appeal.pk})
    audit_record(actor=actor, action="appeal.lodge", obj=appeal, region_code=ci.region_code,
                 new={"case_item": ci.pk, "contested": ci.status})
    return appeal


@transaction.atomic
def appeal_decide(*, actor, appeal: Appeal, uphold: bool, note: str, amount: Decimal | None = None,
                  on: dt.date | None = None) -> Appeal:
    """A different approver (not the one who refused or revoked, nor who handled the case) decides.

    Upholding a refusal approves the item (amount: given, or the rule's on the latest facts);
    upholding a revocation restores the benefit and cancels the overpayment.
    """
    appeal = get_scoped(Appeal.objects.select_for_update(of=("self",)).select_related("case_item"), actor,
                        perm="cases.approve", fields=("region_code",), pk=appeal.pk)
    if appeal.status != Appeal.Status.OPEN:
        raise InvalidTransition(_("this appeal has already been decided"))
    note = (note or "").strip()
    if not note:
        raise DomainError(_("write the decision on the appeal"), field="note")
    ci = CaseItem.objects.select_for_update(of=("self",)).select_related("case", "item", "household").get(
        pk=appeal.case_item_id)
    from .services import _approve, _checked_amount, handled_by, irregular_income

    revocation = Revocation.objects.filter(case_item=ci, cancelled_at__isnull=True).first()
    deciders = {ci.decided_by_id, getattr(revocation, "actor_id", None), appeal.lodged_by_id}
    if actor.pk in deciders or handled_by(ci.case, actor):
        raise Forbidden(_("a different approver must decide the appeal"))
    on = on or timezone.localdate()
    before = ci.status
    if uphold:
        if ci.status == ItemStatus.REFUSED:
            if amount is None:
                from dajiuzhu.programs.facts import facts_for
                from dajiuzhu.programs.services import item_evaluate

                facts = facts_for(household_id=ci.household_id, on=on, applicant=ci.case.applicant_id)
                evaluation = item_evaluate(item=ci.item, facts=facts, on=on, region_code=ci.region_code)
                if not evaluation.eligible:
                    raise DomainError(_("by the rule the household is not eligible; give the amount to approve"),
                                      field="amount")
                amount = evaluation.amount
                ci.rule_version_id = evaluation.rule_version_id
            ci.amount = _checked_amount(ci.item, amount, refuse=True)
            _approve(ci, on=on, irregular=irregular_income(ci.household, on), now=timezone.now(), actor=actor)
        else:
            ci.status, ci.effective_to = ItemStatus.APPROVED, None if ci.periodic else ci.effective_to
            ci.review_due = _next_review(ci, on) if ci.periodic else None
            if revocation:
                revocation.cancelled_at = timezone.now()
                revocation.save(update_fields=["cancelled_at"])
        try:
            with transaction.atomic():
                ci.save()
        except IntegrityError:
            raise Conflict(_("the household has another open application or benefit for this item")) from None
    appeal.status = Appeal.Status.UPHELD if uphold else Appeal.Status.DISMISSED
    appeal.decided_by, appeal.decided_at, appeal.decision_note = actor, timezone.now(), note
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _event(ci, "appeal_decide", actor, opinion=note, to_status=ci.status,
           data={"appeal": appeal.pk, "upheld": uphold, "amount": ci.amount})
    audit_record(actor=actor, action="appeal.decide", obj=appeal, region_code=ci.region_code,
                 old={"status": before}, new={"status": ci.status, "upheld": uphold, "note": note})
    if uphold:
        transaction.on_commit(lambda: signals.case_item_decided.send(sender=CaseItem, case_item=ci,
                                                                     outcome=ci.status))
    return appeal

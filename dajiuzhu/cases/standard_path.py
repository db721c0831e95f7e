"""The standard (check-first) path: each step a service, the decision by the approval level."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, ErrorCode, Forbidden

from . import signals
from .models import Case, ItemStatus
from .services import (
    _approve,
    _checked_amount,
    _event,
    _item_name,
    _send_on_commit,
    _user,
    irregular_income,
    living_members,
    run_verifiers,
)
from .workflow import TRANSITIONS, check_level, check_township_or_above, transition_target


def _lock_case(*, actor, case: Case, perm: str, residence_only: bool = False) -> Case:
    """Fetch-and-authorise-and-lock: a case outside the actor's jurisdiction is a 404."""
    from dajiuzhu.core.scoping import get_scoped

    fields = ("region_code",) if residence_only else ("region_code", "accepted_region_code")
    return get_scoped(Case.objects.select_for_update(of=("self",)), actor, perm=perm, fields=fields, pk=case.pk)


@transaction.atomic
def case_transition(*, actor, case: Case, step: str, opinion: str = "", on: dt.date | None = None) -> Case:
    """Take one step of the standard path (every step but the decision and the objection)."""
    if step not in TRANSITIONS or step in ("decide", "objection"):
        raise DomainError(_("unknown step %(name)s") % {"name": step}, field="step")
    transition = TRANSITIONS[step]
    case = _lock_case(actor=actor, case=case, perm=transition.perm)
    before = case.status
    target = transition_target(step, before)
    opinion = (opinion or "").strip()
    if transition.opinion_required and not opinion:
        raise DomainError(_("write the opinion or record of this step"), field="opinion")
    if transition.township_or_above:
        check_township_or_above(actor)
    on = on or timezone.localdate()
    data: dict = {}
    if step == "investigate":
        data["verification"] = run_verifiers(case, actor)
    elif step == "publish_notice":
        from .notices import notice_publish

        notice = notice_publish(actor=actor, case=case, starts_on=on)
        data["notice"] = {"id": notice.pk, "starts_on": notice.starts_on, "ends_on": notice.ends_on}
    elif step == "close_notice":
        from .notices import notice_close

        notice = notice_close(case=case, on=on)
        data["notice"] = {"id": notice.pk, "ends_on": notice.ends_on}
    elif step == "withdraw":
        for ci in case.items.select_for_update().filter(status=ItemStatus.PENDING):
            ci.status = ItemStatus.REFUSED
            ci.reasons = [_("the application was withdrawn")]
            ci.decided_at = timezone.now()
            ci.save(update_fields=["status", "reasons", "decided_at"])
    case.status = target
    case.save(update_fields=["status", "updated_at"])
    _event(case, step, actor, from_status=before, to_status=target, opinion=opinion, data=data)
    audit_record(actor=actor, action=f"case.{step}", obj=case, old={"status": before},
                 new={"status": target, "opinion": opinion})
    return case


def handled_by(case: Case, actor) -> bool:
    """Did the actor create the case or take any step of it?"""
    return case.created_by_id == actor.pk or case.events.filter(actor=actor).exists()


@transaction.atomic
def case_decide(*, actor, case: Case, outcome: str, opinion: str,
                outcomes: dict[int, str] | None = None, amounts: dict[int, Decimal] | None = None,
                on: dt.date | None = None) -> Case:
    """The decision on a check-first case by its approval level (township for delegated items,
    county otherwise). ``outcome`` ("approve"/"refuse") applies to every pending item unless
    ``outcomes`` names one; an approved amount is the rule's on the latest facts unless given.

    Refuses an approver who created or handled the case; a case outside the approver's
    jurisdiction (the household's residence) is a 404 and nothing changes.
    """
    from dajiuzhu.programs.facts import facts_for
    from dajiuzhu.programs.services import item_evaluate

    case = _lock_case(actor=actor, case=case, perm="cases.approve", residence_only=True)
    before = case.status
    target = transition_target("decide", before)
    opinion = (opinion or "").strip()
    if not opinion:
        raise DomainError(_("write the decision opinion"), field="opinion")
    if handled_by(case, actor):
        raise Forbidden(_("you created or handled this application; another approver must decide it"))
    check_township_or_above(actor)
    check_level(actor, case)
    from .hooks import decision_refusal

    if refusal := decision_refusal(actor):
        raise Forbidden(refusal)
    outcomes = outcomes or {}
    amounts = amounts or {}
    for value in [outcome, *outcomes.values()]:
        if value not in ("approve", "refuse"):
            raise DomainError(_("the outcome must be approve or refuse"), field="outcome")
    on = on or timezone.localdate()
    now = timezone.now()
    facts = facts_for(household_id=case.household_id, on=on, applicant=case.applicant_id)
    members = living_members(case.household, on)
    irregular = irregular_income(case.household, on, members)
    decided = []
    for ci in case.items.select_for_update(of=("self",)).select_related("item").filter(status=ItemStatus.PENDING):
        choice = outcomes.get(ci.pk, outcome)
        if choice == "approve":
            evaluation = item_evaluate(item=ci.item, facts=facts, on=on, region_code=case.region_code)
            amount = amounts.get(ci.pk)
            if amount is None:
                if not evaluation.eligible:
                    raise DomainError(
                        _("by the rule the household is not eligible for “%(item)s” (%(reasons)s): refuse it or "
                          "give the amount") % {"item": _item_name(ci.item),
                                                "reasons": "; ".join(map(str, evaluation.reasons))},
                        code=ErrorCode.RULE, field="amounts")
                amount = evaluation.amount
            ci.amount = _checked_amount(ci.item, amount, refuse=True)
            ci.rule_version_id = evaluation.rule_version_id
            ci.facts_used = {k: str(v) for k, v in (evaluation.facts_used or {}).items()}
            _approve(ci, on=on, irregular=irregular, now=now, actor=actor)
        else:
            ci.status = ItemStatus.REFUSED
            ci.reasons = [opinion]
            ci.decided_at, ci.decided_by = now, _user(actor)
        ci.save()
        decided.append(ci)
        _event(case, "decide_item", actor, to_status=ci.status, case_item=ci, opinion=opinion,
               data={"item": ci.item.code, "amount": ci.amount, "effective_from": ci.effective_from,
                     "review_due": ci.review_due})
        _send_on_commit(signals.case_item_decided, case_item=ci, outcome=ci.status)
    case.status, case.decided_at, case.irregular_income = target, now, irregular
    case.save(update_fields=["status", "decided_at", "irregular_income", "updated_at"])
    _event(case, "decide", actor, from_status=before, to_status=target, opinion=opinion)
    audit_record(actor=actor, action="case.decide", obj=case, old={"status": before},
                 new={"status": target, "opinion": opinion,
                      "items": [{"item": ci.item.code, "status": ci.status, "amount": ci.amount} for ci in decided]})
    return case

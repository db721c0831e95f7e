"""Assistance enters the results database by itself when cases decide (凡救助必入库).

- ``case_item_decided`` (approved): a one-off item is an assistance given at the decision
  (periodic items are recorded month by month when their payment line is paid);
- ``case_item_revoked``: the overpayment becomes a recovery, deducted from the next payments.

Connected in ``ResultsConfig.ready()`` when the cases app provides its signals.
"""

from __future__ import annotations

import logging

from django.utils import timezone

log = logging.getLogger(__name__)


def on_case_item_decided(sender, case_item, outcome, **kwargs) -> None:
    from .benefits import benefit_of
    from .models import Kind, Source
    from .services import RecordInput, assistance_record_create

    if str(outcome) != "approved":
        return
    benefit = benefit_of(case_item)
    if benefit.periodic:
        return  # paid (and recorded) through the monthly batches
    item = case_item.item
    decided = case_item.decided_at or timezone.now()
    given_on = timezone.localdate(decided) if timezone.is_aware(decided) else decided.date()
    actor = case_item.decided_by
    if getattr(item, "kind", "material") == "service":
        if benefit.tier:
            return  # a recognised tier (低保边缘, 刚性支出) is a status, not an assistance given
        data = RecordInput(item_code=benefit.item_code, item_name=benefit.item_name, category=benefit.category,
                           kind=Kind.SERVICE, service_kind=benefit.item_name, amount=benefit.amount,
                           persons=benefit.persons, given_on=given_on)
    else:
        if not benefit.amount or benefit.amount <= 0:
            return
        data = RecordInput(item_code=benefit.item_code, item_name=benefit.item_name, category=benefit.category,
                           tier=benefit.tier, kind=Kind.CASH, amount=benefit.amount, persons=benefit.persons,
                           given_on=given_on)
    assistance_record_create(actor=actor, household=case_item.household, data=data, source=Source.CASE,
                             department=getattr(item, "department", None), case_id=case_item.case_id,
                             case_item_id=case_item.pk, dedupe_key=f"case_item:{case_item.pk}")


def on_case_item_revoked(sender, case_item, revocation, **kwargs) -> None:
    from .payments import recovery_record

    overpaid = getattr(revocation, "overpayment", None)
    if not overpaid or overpaid <= 0:
        return
    recovery_record(actor=getattr(revocation, "actor", None), household=case_item.household, amount=overpaid,
                    reason=(getattr(revocation, "reason", "") or "")[:200], case_item_id=case_item.pk,
                    item_code=case_item.item.code, dedupe_key=f"revocation:{revocation.pk}")


def connect() -> bool:
    try:
        from dajiuzhu.cases import signals
    except ImportError:
        return False
    signals.case_item_decided.connect(on_case_item_decided, dispatch_uid="results.case_item_decided")
    signals.case_item_revoked.connect(on_case_item_revoked, dispatch_uid="results.case_item_revoked")
    return True

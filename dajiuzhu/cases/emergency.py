"""Emergencies (急难型临时救助) at the window, and urgent sums paid at once by the township (先行救助).

``emergency_apply`` records the event on the application as a dated household fact
(``registry.HouseholdEvent``) and submits the application for the emergency item, decided at once
on the event by the item's rule (graded by the county's standards, no income or asset test).
``urgent_grant`` pays a small sum at once from the township's reserve (``TownshipReserve``, set per
township and year by the county), within the county's limit per case (``std.urgent_limit``) and the
reserve remaining; the paperwork (补充说明) is due within ``std.urgent_paperwork_days`` working days
(``urgent_paperwork_complete``), and the case is verified like any trust-first decision.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden, InvalidTransition
from dajiuzhu.core.scoping import region_in_scope, scope
from dajiuzhu.core.workdays import add_working_days
from dajiuzhu.programs.selectors import standards_for
from dajiuzhu.registry.services import household_event_record

from .models import Case, TownshipReserve, UrgentGrant
from .window import window_submit

EMERGENCY_ITEM = "temp_emergency"
TOWNSHIP_DIGITS = 9
CODE_DIGITS = 12


def township_of(region_code: str) -> str:
    return region_code[:TOWNSHIP_DIGITS].ljust(CODE_DIGITS, "0")


def _amount(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise DomainError(_("give an amount in yuan"), field=field) from None
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("give a positive amount in yuan with at most 2 decimal places"), field=field)
    return amount


@transaction.atomic
def emergency_apply(*, actor, household, id_number: str, event: dict, promise_signed: bool, authorisation_signed: bool,
                    facts: dict | None = None, urgent_amount=None, note: str = "") -> tuple[Case, object, object]:
    """Record the emergency on the application of ``household`` (found by the member's ``id_number``, apply
    anywhere) and decide it at once; with ``urgent_amount`` the township also
    pays that sum now from its reserve. All or nothing: a refusal of any part writes nothing."""
    recorded = household_event_record(actor=actor, household=household, for_application=True, **event)
    case = window_submit(actor=actor, item_codes=[EMERGENCY_ITEM], facts=facts or {}, promise_signed=promise_signed,
                         authorisation_signed=authorisation_signed, id_number=id_number, note=note)
    recorded.case_id = case.pk
    recorded.save(update_fields=["case_id"])
    grant = urgent_grant(actor=actor, case=case, amount=urgent_amount) if urgent_amount is not None else None
    return case, recorded, grant


def reserve_remaining(*, township_code: str, year: int) -> tuple[TownshipReserve | None, Decimal]:
    reserve = TownshipReserve.objects.filter(township_code=township_code, year=year).first()
    if reserve is None:
        return None, Decimal("0.00")
    used = (UrgentGrant.objects.filter(township_code=township_code, granted_on__year=year)
            .aggregate(total=Sum("amount"))["total"] or Decimal("0.00"))
    return reserve, reserve.amount - used


@transaction.atomic
def urgent_grant(*, actor, case: Case, amount) -> UrgentGrant:
    """先行救助: pay ``amount`` at once from the reserve of the township that took the application."""
    township = township_of(case.accepted_region_code)
    if not (getattr(actor, "role", None) in {"township_handler", "township_approver", "county_admin"}
            and region_in_scope(actor, township, perm="cases.handle")):
        raise Forbidden(_("only the township that took the application may pay an urgent sum"))
    amount = _amount(amount, "urgent_amount")
    today = timezone.localdate()
    std = standards_for(on=today, region_code=case.region_code)
    limit = std.get("urgent_limit")
    if limit is None:
        raise DomainError(_("the county has not set a limit for urgent sums"), field="urgent_amount")
    if amount > limit:
        raise DomainError(_("an urgent sum is at most %(limit)s a case (the county's limit)") % {"limit": limit},
                          field="urgent_amount")
    reserve = TownshipReserve.objects.select_for_update().filter(township_code=township, year=today.year).first()
    if reserve is None:
        raise DomainError(_("the township has no reserve for %(year)s") % {"year": today.year}, field="urgent_amount")
    _reserve, remaining = reserve_remaining(township_code=township, year=today.year)
    if amount > remaining:
        raise DomainError(_("the township's reserve has %(left)s left") % {"left": remaining}, field="urgent_amount")
    due = add_working_days(today, int(std["urgent_paperwork_days"]), region_code=township)
    grant = UrgentGrant.objects.create(case=case, township_code=township, region_code=case.region_code, amount=amount,
                                       granted_on=today, granted_by=actor, paperwork_due=due)
    audit_record(actor=actor, action="case.urgent_grant", obj=case,
                 new={"grant": grant.pk, "amount": amount, "township": township, "paperwork_due": due,
                      "reserve_left": remaining - amount})
    return grant


@transaction.atomic
def urgent_paperwork_complete(*, actor, grant: UrgentGrant, explanation: str) -> UrgentGrant:
    """补充说明: the paperwork of an urgent sum, completed after it was paid (late is recorded as late)."""
    if not region_in_scope(actor, grant.township_code, perm="cases.handle"):
        raise Forbidden(_("only the township that paid may complete the paperwork"))
    grant = UrgentGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.status != UrgentGrant.Status.AWAITING_PAPERWORK:
        raise InvalidTransition(_("the paperwork of this urgent sum is already complete"))
    if not explanation.strip():
        raise DomainError(_("write the supplementary explanation"), field="explanation")
    today = timezone.localdate()
    grant.status, grant.explanation, grant.completed_on, grant.completed_by = (
        UrgentGrant.Status.COMPLETED, explanation.strip(), today, actor)
    grant.save()
    audit_record(actor=actor, action="case.urgent_paperwork", obj=grant.case,
                 new={"grant": grant.pk, "late": today > grant.paperwork_due, "explanation": grant.explanation})
    return grant


def urgent_grants_awaiting(*, actor):
    """Urgent sums awaiting their paperwork in the actor's jurisdiction, the earliest due first."""
    qs = scope(UrgentGrant.objects.select_related("case"), actor, perm="cases.view", fields=("township_code",))
    return qs.filter(status=UrgentGrant.Status.AWAITING_PAPERWORK).order_by("paperwork_due", "id")


@transaction.atomic
def reserve_set(*, actor, township_code: str, year: int, amount) -> TownshipReserve:
    """The county sets a township's reserve for a year (audited with the old and new amount)."""
    if not region_in_scope(actor, township_code, perm="programs.edit"):
        raise Forbidden(_("only the county may set a township's reserve"))
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        raise DomainError(_("give an amount in yuan"), field="amount") from None
    if amount < 0:
        raise DomainError(_("a reserve cannot be negative"), field="amount")
    reserve, created = TownshipReserve.objects.select_for_update().get_or_create(
        township_code=township_code, year=year, defaults={"amount": amount})
    old = None if created else reserve.amount
    reserve.amount = amount
    reserve.save()
    audit_record(actor=actor, action="case.reserve_set", object_type="cases.townshipreserve", object_id=reserve.pk,
                 region_code=township_code, old={"amount": old}, new={"year": year, "amount": amount})
    return reserve

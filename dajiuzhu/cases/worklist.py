"""The overlap and missed-assistance worklist acts (issue 16, point 5).

Each finding names the household, the items and the rule in words (``finding_text``) and offers an
action: open an application for a missed item (``worklist_apply``), end the overlapping item
(``worklist_end``), or mark the finding allowed with a reason (``worklist_allow``) — kept, audited, and
not raised again until the household's facts change. 低保 and 特困 together is an exclusion: it can
only be resolved by ending one of them, never allowed.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.scoping import region_in_scope
from dajiuzhu.programs.models import AssistanceItem
from dajiuzhu.registry.models import HouseholdFacts

from .models import CaseItem, WorklistAllowance, WorklistEntry
from .reviews import case_item_end
from .window import window_submit

EXCLUSIVE_TIERS = {"dibao", "tekun"}


def facts_stamp(household_id: int) -> int:
    """The id of the household's latest facts observation: a newer observation changes it."""
    return HouseholdFacts.objects.filter(household_id=household_id).order_by("-as_of", "-id").values_list(
        "id", flat=True).first() or 0


def items_key(codes) -> str:
    return ",".join(sorted(codes))


def finding_text(entry: WorklistEntry, names: dict[str, str] | None = None) -> str:
    """The finding in words: the items by name (``names``: code → name, read when not given) and the rule."""
    if names is None:
        names = dict(AssistanceItem.objects.filter(code__in=entry.item_codes).values_list("code", "name"))
    items = "、".join(f"“{names.get(c, c)}”" for c in entry.item_codes)
    if entry.kind == WorklistEntry.Kind.MISSED:
        return _("the latest screening finds the household eligible for %(items)s, but it receives nothing and has "
                 "not applied (遗漏)") % {"items": items}
    if entry.kind == WorklistEntry.Kind.DUPLICATE:
        return _("%(items)s is given twice to the same household or person (重复)") % {"items": items}
    return _("%(items)s may not be given together, or a benefit is over the item's ceiling (交叉)") % {"items": items}


def _check(actor, entry: WorklistEntry) -> None:
    if not region_in_scope(actor, entry.region_code, perm="cases.handle"):
        raise Forbidden(_("you may not act on this finding"))


@transaction.atomic
def worklist_allow(*, actor, entry: WorklistEntry, reason: str) -> WorklistAllowance:
    """Mark a finding allowed with a reason (not raised again until the household's facts change)."""
    _check(actor, entry)
    if not reason.strip():
        raise DomainError(_("give the reason"), field="reason")
    tiers = set(AssistanceItem.objects.filter(code__in=entry.item_codes).values_list("tier", flat=True))
    if entry.kind != WorklistEntry.Kind.MISSED and EXCLUSIVE_TIERS <= tiers:
        raise DomainError(_("低保 and 特困 together is an exclusion: end one of them, it cannot be allowed"),
                          field="reason")
    allowance = WorklistAllowance.objects.create(
        household_id=entry.household_id, region_code=entry.region_code, kind=entry.kind,
        items_key=items_key(entry.item_codes), facts_stamp=facts_stamp(entry.household_id), reason=reason.strip(),
        allowed_by=actor)
    audit_record(actor=actor, action="cases.worklist_allow", object_type="registry.household",
                 object_id=entry.household_id, region_code=entry.region_code,
                 new={"kind": entry.kind, "items": entry.item_codes, "reason": allowance.reason})
    return allowance


@transaction.atomic
def worklist_end(*, actor, entry: WorklistEntry, case_item: CaseItem, reason: str) -> CaseItem:
    """End the overlapping (or duplicated) item the finding names, today."""
    _check(actor, entry)
    if entry.kind == WorklistEntry.Kind.MISSED or case_item.item.code not in entry.item_codes or \
            case_item.household_id != entry.household_id:
        raise DomainError(_("this item is not one the finding names"), field="case_item_id")
    return case_item_end(actor=actor, case_item=case_item, on=timezone.localdate(), reason=reason)


def worklist_apply(*, actor, entry: WorklistEntry, item_code: str, promise_signed: bool,
                   authorisation_signed: bool):
    """Open an application for a missed item (the family signs the promise and authorisation)."""
    _check(actor, entry)
    if entry.kind != WorklistEntry.Kind.MISSED or item_code not in entry.item_codes:
        raise DomainError(_("this item is not one the finding names"), field="item_code")
    return window_submit(actor=actor, item_codes=[item_code], facts={}, promise_signed=promise_signed,
                         authorisation_signed=authorisation_signed, household_id=entry.household_id,
                         note=_("opened from the missed-assistance worklist"))


def allowed_keys() -> set[tuple[int, str, str, int]]:
    """(household, kind, items, facts stamp) of every allowance: findings matching one are not raised."""
    return set(WorklistAllowance.objects.values_list("household_id", "kind", "items_key", "facts_stamp"))

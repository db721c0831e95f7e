"""Orders from the roster: standing rules (data) that select households set-based for a month.

A rule's conditions are ``[fact, op, value]`` over ``registry.facts.FACTS`` (money in yuan), evaluated on
the registry's fact frame of the project's area on the month's last day (today for the current month) (numpy, no row loop), and
its ``tiers`` ask for a benefit in force (``cases.selectors.active_benefits``). Every selected household of
the organisation's service area gets one order, keyed ``roster:<rule>:<YYYY-MM>:<household>`` so that a
second run of the same month adds nothing (idempotent) and a household that qualifies later in the month
gets its order on the next run.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.cases.selectors import active_benefits
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.regioncodes import prefix_of
from dajiuzhu.core.scoping import region_in_scope
from dajiuzhu.registry.facts import FACTS, MONEY_FACTS, household_frame

from .models import Order, OrderSource, OrderStatus, Organisation, OrgStatus, Project, RosterRule, ServiceKind
from .services import month_end, month_start

OPS = {"<": operator.lt, "<=": operator.le, "==": operator.eq, ">=": operator.ge, ">": operator.gt}
OP_WORDS = {"<": "<", "<=": "≤", "==": "=", ">=": "≥", ">": ">"}
TIERS = ("dibao", "tekun")
BATCH = 5000


def validate_conditions(conditions: Sequence, tiers: Sequence[str]) -> list[list]:
    """The rule's conditions checked and normalised; a ``DomainError`` names the condition at fault."""
    out = []
    for number, condition in enumerate(conditions, start=1):
        try:
            fact, op, value = condition
        except (TypeError, ValueError):
            raise DomainError(_("condition %(n)d is not [fact, comparison, value]") % {"n": number},
                              field="conditions") from None
        if fact not in FACTS:
            raise DomainError(_("condition %(n)d: unknown fact %(fact)s") % {"n": number, "fact": fact},
                              field="conditions")
        if op not in OPS:
            raise DomainError(_("condition %(n)d: unknown comparison %(op)s") % {"n": number, "op": op},
                              field="conditions")
        try:
            number_value = Decimal(str(value))
        except ArithmeticError:
            raise DomainError(_("condition %(n)d: %(value)s is not a number") % {"n": number, "value": value},
                              field="conditions") from None
        out.append([fact, op, str(number_value)])
    unknown = set(tiers) - set(TIERS)
    if unknown:
        raise DomainError(_("unknown benefit %(tier)s") % {"tier": ", ".join(sorted(unknown))}, field="tiers")
    if not out and not tiers:
        raise DomainError(_("a roster rule needs at least one condition"), field="conditions")
    return out


def rule_in_words(rule: RosterRule) -> str:
    """The rule as a sentence: 'household members living in the household = 1; members aged 60 or over ≥ 1; 低保'."""
    parts = [f"{FACTS[f][1]} {OP_WORDS[op]} {Decimal(v).normalize():f}" for f, op, v in rule.conditions]
    tier_words = {"dibao": _("receives 低保"), "tekun": _("receives 特困 support")}
    if rule.tiers:
        parts.append(_(" or ").join(str(tier_words[t]) for t in rule.tiers))
    return "; ".join(parts)


@transaction.atomic
def rule_create(*, actor, project: Project, organisation: Organisation, name: str, kind: str = ServiceKind.VISIT,
                quantity: Decimal = Decimal("1"), conditions: Sequence = (), tiers: Sequence[str] = (),
                due_day: int = 25) -> RosterRule:
    if not region_in_scope(actor, project.region_code, perm="social.manage"):
        from dajiuzhu.core.errors import Forbidden

        raise Forbidden(_("you may not do this here"))
    if not name.strip():
        raise DomainError(_("the rule needs a name"), field="name")
    if not project.organisations.filter(pk=organisation.pk).exists():
        raise DomainError(_("%(name)s is not contracted in this project") % {"name": organisation.name},
                          field="organisation")
    if not project.prices.filter(kind=kind).exists():
        raise DomainError(_("the project has no price for %(kind)s") % {"kind": ServiceKind(kind).label}, field="kind")
    if not 1 <= due_day <= 28:
        raise DomainError(_("the due day must be between 1 and 28"), field="due_day")
    rule = RosterRule.objects.create(project=project, organisation=organisation, name=name.strip()[:120], kind=kind,
                                     quantity=quantity, conditions=validate_conditions(conditions, tiers),
                                     tiers=list(tiers), due_day=due_day)
    audit_record(actor=actor, action="social.rule_create", obj=project,
                 new={"rule": rule.pk, "name": rule.name, "conditions": rule.conditions, "tiers": rule.tiers})
    return rule


def select_households(rule: RosterRule, *, on: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """(household ids, village codes) the rule selects on ``on`` inside the organisation's service area."""
    prefix = prefix_of(rule.project.region_code)
    frame = household_frame(on=on, region_prefix=prefix)
    if not len(frame):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype="<U12")
    mask = np.ones(len(frame), dtype=bool)
    for fact, op, value in rule.conditions:
        number = Decimal(value) * 100 if fact in MONEY_FACTS else Decimal(value)
        column = frame.columns[fact]
        mask &= OPS[op](column.astype(np.float64) if column.dtype == bool else column, float(number))
    if rule.tiers:
        with_tier = np.fromiter(
            active_benefits(on=on, region_prefix=prefix).filter(item__tier__in=rule.tiers)
            .values_list("household_id", flat=True).distinct(), dtype=np.int64)
        mask &= np.isin(frame.household_ids, with_tier)
    area = np.zeros(len(frame), dtype=bool)
    codes = frame.region_codes.astype(str)
    for area_prefix in rule.organisation.areas.values_list("prefix", flat=True):
        area |= np.char.startswith(codes, area_prefix)
    mask &= area
    return frame.household_ids[mask], codes[mask]


@transaction.atomic
def orders_generate(*, actor, rule: RosterRule, month: dt.date | str) -> dict:
    """This month's orders of a roster rule, set-based and idempotent: ``{"selected", "created"}``."""
    project, organisation = rule.project, rule.organisation
    if not region_in_scope(actor, project.region_code, perm="social.manage"):
        from dajiuzhu.core.errors import Forbidden

        raise Forbidden(_("you may not do this here"))
    month = month_start(month)
    if not rule.active:
        raise DomainError(_("the rule is not active"), field="rule")
    if organisation.status != OrgStatus.ACTIVE:
        raise DomainError(_("%(name)s is not active on the register") % {"name": organisation.name},
                          field="organisation")
    if not (month_start(project.start) <= month <= project.end):
        raise DomainError(_("the month lies outside the project's period"), field="month")
    on = min(month_end(month), timezone.localdate())  # the registry as it stands at the month's end (or today)
    ids, codes = select_households(rule, on=on)
    due_on = min(month.replace(day=rule.due_day), month_end(month))
    tag = f"roster:{rule.pk}:{month:%Y-%m}:"
    user = actor if getattr(actor, "is_authenticated", False) else None
    existing = Order.objects.filter(month=month, source=OrderSource.ROSTER, source_ref=str(rule.pk))
    before = existing.count() if len(ids) else 0
    for start in range(0, len(ids), BATCH):
        Order.objects.bulk_create([
            Order(project=project, organisation=organisation, household_id=int(hid), region_code=str(code),
                  kind=rule.kind, quantity=rule.quantity, needs=rule.name[:300], source=OrderSource.ROSTER,
                  source_ref=str(rule.pk), month=month, due_on=due_on, status=OrderStatus.ASSIGNED,
                  dedupe_key=f"{tag}{int(hid)}", created_by=user)
            for hid, code in zip(ids[start:start + BATCH], codes[start:start + BATCH], strict=True)
        ], ignore_conflicts=True)
    created = (existing.count() - before) if len(ids) else 0
    audit_record(actor=actor, action="social.orders_generate", obj=project,
                 new={"rule": rule.pk, "month": month, "selected": len(ids), "created": created})
    return {"selected": int(len(ids)), "created": int(created)}

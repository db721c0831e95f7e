"""Writes of the catalogue (every one audited) and the evaluation of an item for a household."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record, diff
from dajiuzhu.core.errors import DomainError, ErrorCode, Forbidden
from dajiuzhu.core.scoping import region_in_scope

from . import rules
from .evaluation import Evaluation, compiled, evaluate_compiled, tier_facts, uses_tiers
from .facts import Facts
from .models import AssistanceItem, Category, RuleVersion, Standard, StandardChange, Tier
from .rules.language import TIER_FACTS
from .selectors import item_by_code, standard_labels, standard_names, standards_for

__all__ = ["Evaluation", "expression_validate", "item_create", "item_evaluate", "item_evaluate_many", "item_update",
           "standard_set"]


# ---------------------------------------------------------------- evaluation


def item_evaluate(*, item: AssistanceItem | str, facts: Mapping, on: dt.date, region_code: str) -> Evaluation:
    """Apply ``item``'s current rules to one household's ``facts`` on ``on``.

    ``facts`` are the named facts (``registry.facts.household_facts`` plus the applicant
    facts of ``programs.facts.applicant_facts``; ``programs.facts.facts_for`` gives both).
    Tier facts (``tier_dibao`` …) the caller does not give are derived from the catalogue's
    tier items. Standards are those of the year and place of ``region_code``.
    """
    return item_evaluate_many(items=[item], facts=facts, on=on, region_code=region_code)[0]


def item_evaluate_many(*, items, facts: Mapping, on: dt.date, region_code: str) -> list[Evaluation]:
    """``item_evaluate`` for several items of one household (standards and tiers read once)."""
    resolved = [item_by_code(i) if isinstance(i, str) else i for i in items]
    standards = standards_for(on=on, region_code=region_code)
    labels = standard_labels()
    facts = Facts(facts)  # derived facts are read only if a rule reaches them
    compiled_items = [compiled(i) for i in resolved]
    needed = set().union(*(uses_tiers(c) for c in compiled_items)) - set(facts)
    if needed:
        tier_items = [compiled(i) for i in AssistanceItem.objects.select_related("current_version")
                      .filter(active=True, current_version__isnull=False).exclude(tier="")]
        facts.update(tier_facts(facts=facts, standards=standards, needed=needed, tier_items=tier_items))
    return [evaluate_compiled(c, facts=facts, standards=standards, standard_labels=labels) for c in compiled_items]


class HouseholdEvaluator:
    """``item_evaluate`` for the items of one household, one after the other, on the process's copy of the
    catalogue (``programs.cache``): the standards, labels and tier facts are read or derived once, and
    only when an item needs them. Gives exactly what ``item_evaluate`` gives for each item.

    ``catalogue``: a ``programs.cache.Catalogue`` the caller already holds (else it is fetched).
    """

    def __init__(self, *, facts: Mapping, on: dt.date, region_code: str, catalogue=None):
        from .cache import catalogue as current

        self.catalogue = catalogue or current()
        self.on, self.region_code = on, region_code
        self.facts = Facts(facts)  # derived facts are read only if a rule reaches them
        self._standards = None
        self._tier_items = None

    def evaluate(self, item: AssistanceItem) -> Evaluation:
        item_rules = compiled(item)
        if self._standards is None:
            self._standards = self.catalogue.standards(on=self.on, region_code=self.region_code)
        needed = uses_tiers(item_rules) - set(self.facts)
        if needed:
            if self._tier_items is None:
                self._tier_items = [compiled(i) for i in self.catalogue.tier_items()]
            self.facts.update(tier_facts(facts=self.facts, standards=self._standards, needed=needed,
                                         tier_items=self._tier_items))
        return evaluate_compiled(item_rules, facts=self.facts, standards=self._standards,
                                 standard_labels=self.catalogue.labels())


# ---------------------------------------------------------------- validation


def expression_validate(*, text: str, kind: str, parameters: Mapping | None = None, tier: str = "") -> rules.Rule:
    """Check an eligibility rule (``kind="eligibility"``) or benefit formula (``"benefit"``).

    Raises ``DomainError`` (code ``rule``) with the message of ``rules.RuleError``.
    """
    expect = rules.BOOL if kind == "eligibility" else rules.NUM
    try:
        rule = rules.compile_rule(text, expect=expect, standards=standard_names(), params=parameters or {})
    except rules.RuleError as exc:
        raise DomainError(exc.message, code=ErrorCode.RULE, field=kind,
                          details={"kind": exc.kind, "position": list(exc.position) if exc.position else None}) from None
    if tier and rule.facts & set(TIER_FACTS):
        raise DomainError(_("an item that confers a tier may not depend on tiers (%(names)s)")
                          % {"names": ", ".join(sorted(rule.facts & set(TIER_FACTS)))}, code=ErrorCode.RULE, field=kind)
    return rule


# ---------------------------------------------------------------- items


def _require_editor(actor) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm_code("programs.edit")):
        raise Forbidden(_("only the county administrator may edit the catalogue"))


def snapshot_of(item: AssistanceItem) -> dict:
    """The item's rules as plain data (what a RuleVersion keeps)."""
    return {
        "code": item.code,
        "name": item.name,
        "category": item.category.code,
        "department": item.department.code,
        "kind": item.kind,
        "periodic": item.periodic,
        "approval_level": item.approval_level,
        "acceptance": item.acceptance,
        "village_proxy": item.village_proxy,
        "online_application": item.online_application,
        "documents": list(item.documents or []),
        "description": item.description,
        "eligibility": item.eligibility,
        "benefit": item.benefit,
        "parameters": dict(item.parameters or {}),
        "reason_eligible": item.reason_eligible,
        "reason_ineligible": item.reason_ineligible,
        "household_ceiling": str(item.household_ceiling) if item.household_ceiling is not None else None,
        "cap_at_ceiling": item.cap_at_ceiling,
        "tier": item.tier,
        "active": item.active,
        "proactive": item.proactive,
        "excludes": sorted(item.excludes.values_list("code", flat=True)) if item.pk else [],
    }


EDITABLE = ("name", "category", "department", "kind", "periodic", "approval_level", "acceptance", "village_proxy",
            "online_application",
            "documents", "description", "eligibility", "benefit", "parameters", "reason_eligible",
            "reason_ineligible", "household_ceiling", "cap_at_ceiling", "tier", "active", "proactive", "order")


def _clean_parameters(parameters) -> dict:
    out = {}
    for name, value in dict(parameters or {}).items():
        if not str(name).isidentifier():
            raise DomainError(_("“%(name)s” is not a valid parameter name") % {"name": name}, field="parameters")
        if isinstance(value, bool):
            out[str(name)] = value
            continue
        try:
            number = rules.scalar.to_number(value)
        except (InvalidOperation, ValueError):
            raise DomainError(_("the parameter %(name)s must be a number") % {"name": name}, field="parameters") from None
        out[str(name)] = f"{number.normalize():f}"
    return out


def apply_item_data(item: AssistanceItem, data: Mapping) -> list[str]:
    from dajiuzhu.accounts.models import Department

    for field in EDITABLE:
        if field not in data:
            continue
        value = data[field]
        if field == "category" and not isinstance(value, Category):
            value = Category.objects.filter(code=value).first()
            if value is None:
                raise DomainError(_("unknown category"), field="category")
        if field == "department" and not isinstance(value, Department):
            value = Department.objects.filter(code=value).first()
            if value is None:
                raise DomainError(_("unknown department"), field="department")
        if field == "parameters":
            value = _clean_parameters(value)
        if field == "household_ceiling" and value not in (None, ""):
            value = Decimal(str(value))
            if value <= 0:
                raise DomainError(_("the ceiling must be more than zero"), field="household_ceiling")
        if field == "household_ceiling" and value == "":
            value = None
        if field == "documents" and isinstance(value, str):
            value = [line.strip() for line in value.splitlines() if line.strip()]
        setattr(item, field, value)
    if item.tier not in Tier.values:
        raise DomainError(_("unknown tier"), field="tier")
    expression_validate(text=item.eligibility, kind="eligibility", parameters=item.parameters, tier=item.tier)
    if (item.benefit or "").strip():
        expression_validate(text=item.benefit, kind="benefit", parameters=item.parameters, tier=item.tier)
    return list(data.get("excludes", [])) if "excludes" in data else None


def _set_excludes(item: AssistanceItem, codes) -> None:
    if codes is None:
        return
    codes = [c.code if isinstance(c, AssistanceItem) else c for c in codes]
    others = list(AssistanceItem.objects.filter(code__in=codes).exclude(pk=item.pk))
    if len(others) != len(set(codes) - {item.code}):
        raise DomainError(_("unknown item in “not together with”"), field="excludes")
    item.excludes.set(others)


def new_rule_version(*, item: AssistanceItem, actor, note: str) -> RuleVersion:
    last = item.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = RuleVersion.objects.create(item=item, number=last + 1, snapshot=snapshot_of(item), note=note,
                                         created_by=actor if getattr(actor, "is_authenticated", False) else None)
    AssistanceItem.objects.filter(pk=item.pk).update(current_version=version)
    item.current_version = version
    return version


@transaction.atomic
def item_create(*, actor, code: str, data: Mapping, note: str = "", _system: bool = False) -> AssistanceItem:
    """A new catalogue item with its first rule version."""
    if not _system:
        _require_editor(actor)
    if AssistanceItem.objects.filter(code=code).exists():
        raise DomainError(_("an item with the code %(code)s exists") % {"code": code}, code=ErrorCode.DUPLICATE,
                          field="code")
    item = AssistanceItem(code=code)
    excludes = apply_item_data(item, data)
    item.save()
    _set_excludes(item, excludes)
    version = new_rule_version(item=item, actor=actor, note=note or _("created"))
    audit_record(actor=actor, action="programs.item.create", obj=item, new={**version.snapshot, "version": version.number})
    return item


@transaction.atomic
def item_update(*, actor, item: AssistanceItem, data: Mapping, note: str = "") -> AssistanceItem:
    """Change an item: a new immutable rule version and an audit event with the old and new values."""
    _require_editor(actor)
    item = AssistanceItem.objects.select_for_update().get(pk=item.pk)
    before = snapshot_of(item)
    excludes = apply_item_data(item, data)
    item.save()
    old_excluded = set(item.excludes.values_list("pk", flat=True))
    _set_excludes(item, excludes)
    after = snapshot_of(item)
    if after == before:
        return item
    version = new_rule_version(item=item, actor=actor, note=note)
    old, new = diff(before, after)
    audit_record(actor=actor, action="programs.item.update", obj=item, old=old,
                 new={**new, "version": version.number, "note": note})
    # "Not together with" is symmetric: the other items' rules changed too.
    touched = old_excluded ^ set(item.excludes.values_list("pk", flat=True))
    for other in AssistanceItem.objects.filter(pk__in=touched):
        new_rule_version(item=other, actor=actor, note=_("“not together with” changed on %(code)s") % {"code": item.code})
    return item


# ---------------------------------------------------------------- standards


@transaction.atomic
def standard_set(*, actor, year: int, county_code: str, area: str, name: str, amount, label: str = "",
                 unit: str = "", _system: bool = False, simulation=None) -> Standard:
    """Set one standard (insert or change); audited with the old and new amount. A change is kept as a
    ``StandardChange`` with the ``simulation`` that preceded it (of this very change), which is marked applied.
    A year before the current one is closed: its standards no longer change."""
    if not _system:
        _require_editor(actor)
        if not region_in_scope(actor, county_code.ljust(12, "0"), perm="programs.edit"):
            raise Forbidden(_("this county is outside your jurisdiction"))
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        raise DomainError(_("the amount must be a number"), field="amount") from None
    if amount < 0:
        raise DomainError(_("a standard cannot be negative"), field="amount")
    if amount != amount.quantize(Decimal("0.0001")):
        raise DomainError(_("a standard has at most 4 decimal places"), field="amount")
    if not name.isidentifier():
        raise DomainError(_("a standard's name is a word of letters, digits and _"), field="name")
    if not _system and year < timezone.localdate().year:
        raise DomainError(_("the year %(year)s is closed: its standards can no longer change") % {"year": year},
                          field="year")
    if simulation is not None:
        proposed = simulation.changes
        if (simulation.applied_at is not None or simulation.county_code != county_code
                or (proposed.get("standard"), proposed.get("area"), proposed.get("year"), proposed.get("new"))
                != (name, area, year, str(amount))):
            raise DomainError(_("this simulation is not of this change (or was already applied)"),
                              field="simulation_id")
    standard = Standard.objects.select_for_update().filter(year=year, county_code=county_code, area=area,
                                                            name=name).first()
    old = None
    if standard is None:
        standard = Standard(year=year, county_code=county_code, area=area, name=name)
    else:
        old = {"amount": standard.amount, "label": standard.label, "unit": standard.unit}
    standard.amount = amount
    if label:
        standard.label = label
    if unit:
        standard.unit = unit
    standard.save()
    new = {"amount": standard.amount, "label": standard.label, "unit": standard.unit}
    if old == new:
        return standard
    if not _system:
        StandardChange.objects.create(standard=standard, old_amount=old["amount"] if old else None,
                                      new_amount=standard.amount, simulation=simulation, changed_by=actor)
        if simulation is not None:
            simulation.applied_at, simulation.applied_by = timezone.now(), actor
            simulation.save(update_fields=["applied_at", "applied_by"])
    audit_record(actor=actor, action="programs.standard.set", object_type="programs.standard", object_id=standard.pk,
                 region_code=county_code.ljust(12, "0"),
                 old=old, new={"year": year, "area": area, "name": name, **new,
                               "simulation": simulation.pk if simulation is not None else None})
    return standard

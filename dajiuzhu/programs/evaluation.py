"""Evaluating an item of the catalogue for one household: eligibility, amount, reasons."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from dajiuzhu.core.errors import DomainError, ErrorCode
from dajiuzhu.core.money import money

from . import rules
from .labels import fact_label
from .models import AssistanceItem, RuleVersion, Tier
from .rules.explain import Explainer, format_number
from .rules.language import TIER_FACTS

TIER_FACT_OF = {Tier.DIBAO: "tier_dibao", Tier.TEKUN: "tier_tekun", Tier.NEAR_POOR: "tier_near_poor",
                Tier.RIGID: "tier_rigid"}


@dataclasses.dataclass
class Evaluation:
    """The outcome of one item's rules for one household."""

    item_code: str
    eligible: bool
    amount: Decimal | None  # monthly for a periodic item, once for a one-off item; None for a service
    reasons: list[str]
    rule_version_id: int
    facts_used: dict
    refusal: str = ""  # "" | ineligible | negative | over_ceiling | error
    periodic: bool = False


@dataclasses.dataclass(frozen=True)
class CompiledItem:
    code: str
    version_id: int
    eligibility: rules.Rule
    benefit: rules.Rule | None
    params: dict
    ceiling: Decimal | None
    cap_at_ceiling: bool
    periodic: bool
    tier: str
    reason_eligible: str
    reason_ineligible: str
    name: str


def _params_key(params: Mapping) -> tuple:
    return tuple(sorted((k, "bool" if isinstance(v, bool) else "num") for k, v in (params or {}).items()))


@functools.lru_cache(maxsize=4096)
def _compile(source: str, expect: str, params_key: tuple) -> rules.Rule:
    params = {name: (True if kind == "bool" else 0) for name, kind in params_key}
    return rules.compile_rule(source, expect=expect, params=params)


def compile_snapshot(snapshot: Mapping, *, code: str, version_id: int) -> CompiledItem:
    params = snapshot.get("parameters") or {}
    key = _params_key(params)
    try:
        eligibility = _compile(snapshot["eligibility"], rules.BOOL, key)
        benefit = _compile(snapshot["benefit"], rules.NUM, key) if (snapshot.get("benefit") or "").strip() else None
    except rules.RuleError as exc:
        raise DomainError(_("the rules of item %(code)s are invalid: %(error)s") % {"code": code, "error": exc.message},
                          code=ErrorCode.RULE) from None
    ceiling = snapshot.get("household_ceiling")
    return CompiledItem(
        code=code, version_id=version_id, eligibility=eligibility, benefit=benefit, params=dict(params),
        ceiling=Decimal(str(ceiling)) if ceiling not in (None, "") else None,
        cap_at_ceiling=bool(snapshot.get("cap_at_ceiling")), periodic=bool(snapshot.get("periodic")),
        tier=snapshot.get("tier") or "", reason_eligible=snapshot.get("reason_eligible") or "",
        reason_ineligible=snapshot.get("reason_ineligible") or "", name=snapshot.get("name") or code,
    )


_COMPILED: dict[int, tuple[dict, CompiledItem]] = {}


def compiled(item: AssistanceItem) -> CompiledItem:
    """The item's current rule version, compiled (cached by version; the snapshot is compared, so a
    reused id — e.g. after a rolled-back test transaction — never serves stale rules)."""
    version_id = item.current_version_id
    if version_id is None:
        raise DomainError(_("the item %(code)s has no rules yet") % {"code": item.code}, code=ErrorCode.RULE)
    version = item.current_version
    if version is None or version.pk != version_id:
        version = RuleVersion.objects.get(pk=version_id)
    hit = _COMPILED.get(version_id)
    if hit is None or hit[0] != version.snapshot:
        hit = (version.snapshot, compile_snapshot(version.snapshot, code=item.code, version_id=version_id))
        _COMPILED[version_id] = hit
    return hit[1]


def uses_facts(item: CompiledItem) -> set[str]:
    return set(item.eligibility.facts) | (set(item.benefit.facts) if item.benefit else set())


def uses_tiers(item: CompiledItem) -> set[str]:
    return uses_facts(item) & set(TIER_FACTS)


def round_amount(value: Decimal) -> Decimal:
    """As the county sets (settings.MONEY_PLACES, default the fen), half up."""
    return money(value)


def evaluate_compiled(item: CompiledItem, *, facts: Mapping, standards: Mapping, standard_labels: Mapping,
                      explain: bool = True) -> Evaluation:
    def std_label(name: str) -> str:
        return standard_labels.get(name) or f"std.{name}"

    evaluator = rules.scalar.ScalarEvaluator(facts=facts, standards=standards, params=item.params)
    reasons: list[str] = []
    explainer = Explainer(facts=facts, standards=standards, params=item.params, fact_label=fact_label,
                          standard_label=std_label) if explain else None

    def result(eligible: bool, amount, refusal: str) -> Evaluation:
        return Evaluation(item_code=item.code, eligible=eligible, amount=amount, reasons=reasons,
                          rule_version_id=item.version_id, facts_used=dict(evaluator.used), refusal=refusal,
                          periodic=item.periodic)

    try:
        eligible = bool(evaluator.run(item.eligibility))
    except rules.EvaluationError as exc:
        reasons.append(_("the eligibility rule could not be applied: %(error)s") % {"error": exc.message})
        return result(False, None, "error")
    if not eligible:
        if item.reason_ineligible:
            reasons.append(item.reason_ineligible)
        if explainer:
            reasons.extend(explainer.condition_sentences(item.eligibility.root, want=False))
        return result(False, None, "ineligible")
    if item.reason_eligible:
        reasons.append(item.reason_eligible)
    if explainer:
        reasons.extend(explainer.condition_sentences(item.eligibility.root, want=True))
    if item.benefit is None:
        return result(True, None, "")
    try:
        raw = evaluator.run(item.benefit)
    except rules.EvaluationError as exc:
        reasons.append(_("the benefit formula could not be applied: %(error)s") % {"error": exc.message})
        return result(False, None, "error")
    amount = round_amount(raw)
    formula = explainer.label(item.benefit.root, with_values=True) if explainer else ""
    if amount < 0:
        reasons.append(_("the benefit computes to a negative amount (%(formula)s = %(amount)s); it is refused")
                       % {"formula": formula, "amount": format_number(amount, money=True)})
        return result(False, None, "negative")
    if item.ceiling is not None and amount > item.ceiling:
        if not item.cap_at_ceiling:
            reasons.append(_("the benefit %(amount)s is over the ceiling of %(ceiling)s per household; it is refused")
                           % {"amount": format_number(amount, money=True),
                              "ceiling": format_number(item.ceiling, money=True)})
            return result(False, None, "over_ceiling")
        reasons.append(_("the benefit %(amount)s is capped at the ceiling of %(ceiling)s per household")
                       % {"amount": format_number(amount, money=True),
                          "ceiling": format_number(item.ceiling, money=True)})
        amount = round_amount(item.ceiling)
    else:
        template = _("monthly benefit: %(formula)s = %(amount)s") if item.periodic else \
            _("one-off benefit: %(formula)s = %(amount)s")
        reasons.append(template % {"formula": formula, "amount": format_number(amount, money=True)})
    return result(True, amount, "")


def tier_facts(*, facts: Mapping, standards: Mapping, needed: Iterable[str], tier_items: Iterable[CompiledItem]) -> dict:
    """The tier facts the caller did not give, derived from the catalogue's tier items."""
    out = {}
    tier_items = list(tier_items)
    for fact in needed:
        if fact in facts:
            continue
        tier = next(t for t, f in TIER_FACT_OF.items() if f == fact)
        value = False
        for item in tier_items:
            if item.tier != tier:
                continue
            try:
                if rules.evaluate(item.eligibility, facts=facts, standards=standards, params=item.params):
                    value = True
                    break
            except rules.EvaluationError:
                continue
        out[fact] = value
    return out


def money_places() -> int:
    return settings.MONEY_PLACES

"""政策模拟: the effect of a proposed change on today's registry, before the change is made.

``simulation_run`` screens the registry frame of a region twice with the vectorised evaluator
(``screening.screen``): with the rules and standards in force, and with the proposed change — a
standard of a county, area and year (``std.dibao`` rural 720 → 760), or an item's rule (its
eligibility rule and benefit formula). Only the items the change can reach are screened: those
that name the standard (or the changed item), and those that use a tier an affected item confers.
The result, kept as a ``Simulation``: households and people who gain or lose eligibility, the
change of monthly spending (periodic items) and of yearly spending (12 months of it plus one-off
items), by township and by item, and a sample of affected households with the reasons in words.
``standard_set(..., simulation=…)`` and ``item_update`` record the simulation with the change.

A standard of a closed year (before the current one: its payments are made) cannot be simulated.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal, InvalidOperation

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, ErrorCode, Forbidden
from dajiuzhu.core.scoping import region_in_scope
from dajiuzhu.registry.facts import FactFrame

from .evaluation import TIER_FACT_OF, CompiledItem, compile_snapshot, compiled, uses_tiers
from .models import Area, AssistanceItem, Simulation, Standard
from .screening import ScreeningResult, frame_columns, screen, screening_frame
from .services import expression_validate

SAMPLE_SIZE = 20
MONTHS_PER_YEAR = 12
FEN_PER_YUAN = 100
TOWNSHIP_DIGITS = 9


def _items() -> list[AssistanceItem]:
    return list(AssistanceItem.objects.select_related("current_version")
                .filter(active=True, proactive=True, current_version__isnull=False))


def _tier_items() -> list[CompiledItem]:
    return [compiled(i) for i in AssistanceItem.objects.select_related("current_version")
            .filter(active=True, current_version__isnull=False).exclude(tier="")]


def _names(item: CompiledItem) -> set[str]:
    return set(item.eligibility.standards) | (set(item.benefit.standards) if item.benefit else set())


def reached(items: list[CompiledItem], tier_items: list[CompiledItem], *, standard: str = "",
            item_code: str = "") -> list[CompiledItem]:
    """The items a change can reach: naming the standard / being the item, or using a tier such an item confers."""
    direct = {i.code for i in [*items, *tier_items] if (standard and standard in _names(i)) or i.code == item_code}
    tiers = {TIER_FACT_OF[i.tier] for i in tier_items if i.code in direct and i.tier}
    return [i for i in items if i.code in direct or (uses_tiers(i) & tiers)]


def _money(fen) -> str:
    return str((Decimal(int(fen)) / FEN_PER_YUAN).quantize(Decimal("0.01")))


def compare(frame: FactFrame, before, after, items: list[CompiledItem], *, sample_size: int = SAMPLE_SIZE) -> dict:
    """Gains, losses and spending change of ``after`` against ``before`` (two ``ScreeningResult``)."""
    size = np.asarray(frame.columns["household_size"], dtype=np.int64)
    townships = np.asarray(frame.region_codes).astype(str).astype(f"<U{TOWNSHIP_DIGITS}")
    any_gain = np.zeros(len(frame), dtype=bool)
    any_loss = np.zeros(len(frame), dtype=bool)
    by_item: dict[str, dict] = {}
    by_township: dict[str, dict] = {}
    monthly_total = yearly_total = 0
    for item in items:
        old, new = before.eligible[item.code], after.eligible[item.code]
        gain, loss = new & ~old, old & ~new
        delta = after.amount_fen[item.code] - before.amount_fen[item.code]
        monthly = int(delta.sum()) if item.periodic else 0
        yearly = monthly * MONTHS_PER_YEAR if item.periodic else int(delta.sum())
        any_gain |= gain
        any_loss |= loss
        monthly_total += monthly
        yearly_total += yearly
        if gain.any() or loss.any() or delta.any():
            by_item[item.code] = {"name": item.name, "gain_households": int(gain.sum()),
                                  "gain_people": int(size[gain].sum()), "loss_households": int(loss.sum()),
                                  "loss_people": int(size[loss].sum()), "monthly_change": _money(monthly),
                                  "yearly_change": _money(yearly)}
        changed = gain | loss | (delta != 0)
        if changed.any():
            codes, inverse = np.unique(townships[changed], return_inverse=True)
            gains = np.bincount(inverse, weights=gain[changed], minlength=len(codes))
            losses = np.bincount(inverse, weights=loss[changed], minlength=len(codes))
            deltas = np.bincount(inverse, weights=delta[changed].astype(float), minlength=len(codes))
            for j, code in enumerate(codes.tolist()):
                row = by_township.setdefault(code.ljust(12, "0"), {"gain_households": 0, "loss_households": 0,
                                                                   "monthly_fen": 0, "yearly_fen": 0})
                row["gain_households"] += int(gains[j])
                row["loss_households"] += int(losses[j])
                row["monthly_fen"] += int(deltas[j]) if item.periodic else 0
                row["yearly_fen"] += int(deltas[j]) * (MONTHS_PER_YEAR if item.periodic else 1)
    townships_out = {code: {"gain_households": r["gain_households"], "loss_households": r["loss_households"],
                            "monthly_change": _money(r["monthly_fen"]), "yearly_change": _money(r["yearly_fen"])}
                     for code, r in sorted(by_township.items())}
    affected = np.flatnonzero(any_gain | any_loss)
    sample = []
    pc = frame.columns["per_capita_income"]
    for i in affected[:sample_size].tolist():
        reasons = []
        for item in items:
            old, new = bool(before.eligible[item.code][i]), bool(after.eligible[item.code][i])
            if old == new:
                continue
            amount = after.amount(item.code, i) if new else before.amount(item.code, i)
            words = _("gains %(item)s") if new else _("loses %(item)s")
            text = words % {"item": item.name}
            if amount is not None:
                text += _(" (%(amount)s yuan)") % {"amount": f"{amount:,}"}
            reasons.append(text)
        sample.append({"household_id": int(frame.household_ids[i]), "region_code": str(frame.region_codes[i]),
                       "household_size": int(size[i]), "per_capita_income": _money(pc[i]), "reasons": reasons})
    return {"gain_households": int(any_gain.sum()), "gain_people": int(size[any_gain].sum()),
            "loss_households": int(any_loss.sum()), "loss_people": int(size[any_loss].sum()),
            "monthly_change": _money(monthly_total), "yearly_change": _money(yearly_total),
            "by_item": by_item, "by_township": townships_out, "sample": sample}


def simulate_frame(frame: FactFrame, *, standard: tuple[str, str, str, Decimal] | None = None,
                   item: tuple[str, dict] | None = None, items=None, tier_items=None) -> dict:
    """The effect on ``frame`` of a standard ``(county, area, name, amount)`` or an item's rule ``(code,
    snapshot)``; ``items``/``tier_items``: compiled items (default: the active screened ones)."""
    items = [i if isinstance(i, CompiledItem) else compiled(i) for i in (items if items is not None else _items())]
    tier_items = tier_items if tier_items is not None else _tier_items()
    reach = reached(items, tier_items, standard=standard[2] if standard else "", item_code=item[0] if item else "")
    if not reach:
        return compare(frame, *(_empty(frame),) * 2, [])
    columns = frame_columns(frame)
    before = screen(frame, reach, tier_items=tier_items, columns=columns)
    overrides = None
    after_items, after_tiers = reach, tier_items
    if standard is not None:
        county, area, name, amount = standard
        overrides = {(county, area): {name: amount}}
    if item is not None:
        code, snapshot = item
        changed = compile_snapshot(snapshot, code=code, version_id=0)
        after_items = [changed if i.code == code else i for i in reach]
        after_tiers = [changed if i.code == code else i for i in tier_items]
    after = screen(frame, after_items, tier_items=after_tiers, standard_overrides=overrides, columns=columns)
    return compare(frame, before, after, reach)


def _empty(frame):
    return ScreeningResult(on=frame.on, household_ids=frame.household_ids, region_codes=frame.region_codes, items=[],
                           eligible={}, amount_fen={}, has_amount={}, errors={}, rule_version_ids={})


def _check(actor, county_code: str) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm_code("programs.edit")):
        raise Forbidden(_("only the county's catalogue editors may simulate a change"))
    if not region_in_scope(actor, county_code.ljust(12, "0"), perm="programs.edit"):
        raise Forbidden(_("this county is outside your jurisdiction"))


def _save(*, actor, kind: str, county_code: str, year: int, changes: dict, frame: FactFrame, effect: dict,
          seconds: float) -> Simulation:
    sample = effect.pop("sample")
    simulation = Simulation.objects.create(
        kind=kind, county_code=county_code, region_prefix=county_code, on=frame.on, year=year, changes=changes,
        households=len(frame), people=int(frame.columns["household_size"].sum()) if len(frame) else 0,
        summary=effect, sample=sample, seconds=round(seconds, 3), created_by=actor)
    audit_record(actor=actor, action="programs.simulation", obj=simulation, region_code=county_code.ljust(12, "0"),
                 new={"changes": changes, "gain": effect["gain_households"], "loss": effect["loss_households"],
                      "monthly_change": effect["monthly_change"]})
    return simulation


@transaction.atomic
def simulation_standard(*, actor, county_code: str, year: int, area: str, name: str, amount) -> Simulation:
    """Simulate setting standard ``name`` of ``county_code``/``area`` for ``year`` to ``amount`` on today's registry."""
    _check(actor, county_code)
    today = timezone.localdate()
    if year < today.year:
        raise DomainError(_("the year %(year)s is closed: its standards can no longer change") % {"year": year},
                          field="year")
    if area not in Area.values:
        raise DomainError(_("unknown value %(value)s") % {"value": area}, field="area")
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        raise DomainError(_("the amount must be a number"), field="amount") from None
    if amount < 0:
        raise DomainError(_("a standard cannot be negative"), field="amount")
    current = (Standard.objects.filter(county_code=county_code, area=area, name=name, year__lte=year)
               .order_by("-year").first())
    if current is None:
        raise DomainError(_("no standard %(name)s to change") % {"name": name}, field="name")
    on = today if year == today.year else dt.date(year, 1, 1)
    started = time.perf_counter()
    frame = screening_frame(on=today, region_prefix=county_code)
    frame.on = on
    effect = simulate_frame(frame, standard=(county_code, area, name, amount))
    changes = {"standard": name, "area": area, "year": year, "old": str(current.amount), "new": str(amount),
               "label": current.label}
    return _save(actor=actor, kind=Simulation.Kind.STANDARD, county_code=county_code, year=year, changes=changes,
                 frame=frame, effect=effect, seconds=time.perf_counter() - started)


@transaction.atomic
def simulation_rule(*, actor, county_code: str, code: str, eligibility: str | None = None,
                    benefit: str | None = None) -> Simulation:
    """Simulate an item's new eligibility rule and/or benefit formula on today's registry of the county."""
    _check(actor, county_code)
    item = AssistanceItem.objects.select_related("current_version").filter(code=code).first()
    if item is None or item.current_version is None:
        raise DomainError(_("unknown item %(code)s") % {"code": code}, field="code", code=ErrorCode.NOT_FOUND)
    snapshot = dict(item.current_version.snapshot)
    if eligibility is not None:
        expression_validate(text=eligibility, kind="eligibility", parameters=snapshot.get("parameters"),
                            tier=snapshot.get("tier", ""))
        snapshot["eligibility"] = eligibility
    if benefit is not None:
        if benefit:
            expression_validate(text=benefit, kind="benefit", parameters=snapshot.get("parameters"))
        snapshot["benefit"] = benefit
    today = timezone.localdate()
    started = time.perf_counter()
    frame = screening_frame(on=today, region_prefix=county_code)
    effect = simulate_frame(frame, item=(code, snapshot))
    changes = {"item": code, "name": item.name, "eligibility": snapshot.get("eligibility"),
               "benefit": snapshot.get("benefit"), "old_eligibility": item.current_version.eligibility,
               "old_benefit": item.current_version.benefit}
    return _save(actor=actor, kind=Simulation.Kind.RULE, county_code=county_code, year=today.year, changes=changes,
                 frame=frame, effect=effect, seconds=time.perf_counter() - started)


"""Reads of the indices app, always starting from what the actor may see."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.scoping import actor_prefix, scope
from dajiuzhu.registry.facts import household_frame
from dajiuzhu.registry.models import Household

from .catalogue import CAPITALS, DEPRIVED_WORDS, DEVELOPMENT, HARDSHIP, PERCENT_CUTOFFS, RISK_TYPES
from .engine import alkire_foster
from .models import IndexKind, IndexModel, IndexScore, RosterEntry, RosterEvent, Tier
from .services import active_model, score_frame

LEVEL_LENGTHS = (2, 4, 6, 9, 12)


def household_scores(household: Household) -> QuerySet[IndexScore]:
    """The time series of one household (the caller has fetched the household in scope)."""
    return IndexScore.objects.filter(household=household).select_related("hardship_model", "development_model") \
        .order_by("on")


def latest_score(household: Household, *, on: dt.date | None = None) -> IndexScore | None:
    qs = household_scores(household)
    if on:
        qs = qs.filter(on__lte=on)
    return qs.order_by("-on").first()


def index_models(*, actor, kind: str | None = None) -> QuerySet[IndexModel]:
    qs = IndexModel.objects.all() if actor_prefix(actor, "indices.view") is not None else IndexModel.objects.none()
    return qs.filter(kind=kind) if kind else qs


# ------------------------------------------------------------------------------ explanation

def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value is not None else "—"


def explain_hardship(score: IndexScore) -> list[dict]:
    """One line in words per indicator: deprived or not, the cut-off and the weight; gaps shown."""
    lines = []
    specs = score.hardship_model.config["indicators"]
    for spec, g in zip(specs, score.hardship_parts or [None] * len(specs)):
        indicator = HARDSHIP.get(spec["code"])
        label = str(indicator.label) if indicator else spec["code"]
        weight = _fmt(float(spec["weight"]))
        if g is None:
            text = _("%(label)s: not known — left out of the score (weight %(w)s)") % {"label": label, "w": weight}
            state = "missing"
        elif g > 0:
            grades = spec.get("grades") or [[spec.get("cutoff"), 1.0]]
            met = [threshold for threshold, weight_g in grades if abs(float(weight_g) - g) < 1e-6]
            cutoff = float(met[0] if met else grades[-1][0])
            shown = f"{cutoff:.0%}" if spec["code"] in PERCENT_CUTOFFS else _fmt(cutoff)
            words = DEPRIVED_WORDS.get(spec["code"])
            reason = str(words) % {"cutoff": shown} if words else f"{label} {shown}"
            if g >= 1:
                text = _("%(reason)s (weight %(w)s)") % {"reason": reason, "w": weight}
            else:
                text = _("%(reason)s (deprivation %(g)s, weight %(w)s)") % {"reason": reason, "g": _fmt(g), "w": weight}
            state = "deprived"
        else:
            text = _("%(label)s: not deprived (weight %(w)s)") % {"label": label, "w": weight}
            state = "ok"
        lines.append({"code": spec["code"], "label": label, "g": g, "weight": float(spec["weight"]), "state": state,
                      "text": text, "contribution": round(float(spec["weight"]) * g, 4) if g else 0})
    return lines


def explain_development(score: IndexScore) -> list[dict]:
    lines = []
    specs = score.development_model.config["indicators"]
    for spec, value in zip(specs, score.development_parts or [None] * len(specs)):
        indicator = DEVELOPMENT.get(spec["code"])
        label = str(indicator.label) if indicator else spec["code"]
        capital = str(CAPITALS.get(spec.get("capital", indicator.capital if indicator else ""), ""))
        if value is None:
            text = _("%(label)s: not known — capital scored without it") % {"label": label}
        else:
            text = _("%(label)s: %(v)s of the way from %(min)s to %(max)s") % {
                "label": label, "v": f"{value:.0%}", "min": _fmt(float(spec["min"])), "max": _fmt(float(spec["max"]))}
        lines.append({"code": spec["code"], "label": label, "capital": capital, "value": value, "text": text})
    return lines


def risk_labels(codes: str) -> list[str]:
    return [str(RISK_TYPES[c]) for c in codes.split(",") if c in RISK_TYPES]


# ------------------------------------------------------------------------------------ roster

@dataclasses.dataclass
class RosterFilters:
    tier: str = ""
    region: str = ""
    hardship_band: str = ""
    development_band: str = ""
    risk_type: str = ""
    include_closed: bool = False


def roster(*, actor, filters: RosterFilters | None = None) -> QuerySet[RosterEntry]:
    """Roster entries in the actor's jurisdiction with the household's latest scores annotated."""
    filters = filters or RosterFilters()
    qs = scope(RosterEntry.objects.select_related("household", "household__head"), actor, perm="indices.view")
    if not filters.include_closed:
        qs = qs.filter(until__isnull=True)
    if filters.tier:
        qs = qs.filter(tier=filters.tier)
    if filters.region:
        qs = qs.filter(region_code__startswith=filters.region)
    latest = IndexScore.objects.filter(household=OuterRef("household")).order_by("-on")
    qs = qs.annotate(
        hardship=Subquery(latest.values("hardship")[:1]),
        hardship_band=Subquery(latest.values("hardship_band")[:1]),
        development=Subquery(latest.values("development")[:1]),
        development_band=Subquery(latest.values("development_band")[:1]),
        risk_types=Subquery(latest.values("risk_types")[:1]),
    )
    if filters.hardship_band:
        qs = qs.filter(hardship_band=filters.hardship_band)
    if filters.development_band:
        qs = qs.filter(development_band=filters.development_band)
    if filters.risk_type:
        qs = qs.filter(risk_types__contains=filters.risk_type)
    return qs.order_by("region_code", "household_id", "tier")


def roster_events(*, actor, household: Household | None = None) -> QuerySet[RosterEvent]:
    qs = scope(RosterEvent.objects.all(), actor, perm="indices.view")
    return qs.filter(household=household) if household else qs


def household_tiers(household: Household) -> QuerySet[RosterEntry]:
    return RosterEntry.objects.filter(household=household, until__isnull=True).order_by("tier")


def tier_counts(*, actor, level: int = 9) -> list[dict]:
    """Open roster entries by region prefix (2/4/6/9/12 digits) and tier."""
    qs = scope(RosterEntry.objects.filter(until__isnull=True), actor, perm="indices.view")
    rows = qs.annotate(prefix=Substr("region_code", 1, level)).values("prefix", "tier").annotate(n=Count("id"))
    table: dict[str, dict[str, int]] = {}
    for row in rows:
        table.setdefault(row["prefix"], {})[row["tier"]] = row["n"]
    return [{"prefix": prefix, "tiers": [counts.get(t, 0) for t in Tier.values], "total": sum(counts.values())}
            for prefix, counts in sorted(table.items())]


# -------------------------------------------------------------------------------- aggregates

def latest_score_date(*, actor, on: dt.date | None = None) -> dt.date | None:
    qs = scope(IndexScore.objects.all(), actor, perm="indices.view")
    if on:
        qs = qs.filter(on__lte=on)
    return qs.order_by("-on").values_list("on", flat=True).first()


def poverty_aggregates(*, actor, on: dt.date | None = None, level: int = 9, weight: str = "people") -> dict:
    """H, A, M0 and the indicator breakdown by region prefix (2/4/6/9/12 digits) on a scored date.

    ``weight``: "people" (each household counts its members, as Alkire–Foster counts persons)
    or "households". Rows scored under another hardship model version than the latest one of
    that date are left out (one date is normally scored under one version).
    """
    if level not in LEVEL_LENGTHS:
        raise ValueError(level)
    day = latest_score_date(actor=actor, on=on)
    empty = {"on": day, "rows": [], "indicators": [], "total": None}
    if day is None:
        return empty
    qs = scope(IndexScore.objects.filter(on=day), actor, perm="indices.view")
    model_id = qs.order_by("-hardship_model_id").values_list("hardship_model_id", flat=True).first()
    model = IndexModel.objects.get(pk=model_id)
    rows = list(qs.filter(hardship_model_id=model_id).values_list("region_code", "household_size", "hardship",
                                                                   "hardship_parts"))
    if not rows:
        return empty
    specs = model.config["indicators"]
    weights = np.array([float(s["weight"]) for s in specs])
    k = float(model.config["k"])
    codes = np.array([r[0][:level] for r in rows])
    population = np.array([r[1] if weight == "people" else 1 for r in rows], dtype=float)
    scores = np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=float)
    parts = np.array([[np.nan if v is None else v for v in (r[3] or [None] * len(specs))] for r in rows], dtype=float)
    groups, inverse = np.unique(codes, return_inverse=True)
    out = []
    for g, prefix in enumerate(groups):
        mask = inverse == g
        out.append({"prefix": str(prefix), **alkire_foster(scores=scores[mask], parts=parts[mask], weights=weights,
                                                           k=k, population=population[mask])})
    total = alkire_foster(scores=scores, parts=parts, weights=weights, k=k, population=population)
    indicators = [{"code": s["code"], "label": str(HARDSHIP[s["code"]].label) if s["code"] in HARDSHIP else s["code"],
                   "weight": float(s["weight"])} for s in specs]
    return {"on": day, "rows": out, "indicators": indicators, "total": total, "model": model, "weight": weight}


# ----------------------------------------------------------------------------------- preview

def model_preview(*, actor, model: IndexModel, on: dt.date | None = None) -> dict:
    """What activating ``model`` would change in the actor's area: households changing band (and
    poverty status) by township, against the active model, on ``on`` (today by default)."""
    from .config import config_problems

    problems = config_problems(model.kind, model.config)
    prefix = actor_prefix(actor, "indices.view")
    if problems or prefix is None:
        return {"problems": problems, "rows": [], "total": None}
    on = on or timezone.localdate()
    frame = household_frame(on=on, region_prefix=prefix)
    current = active_model(model.kind)
    other = active_model(IndexKind.DEVELOPMENT if model.kind == IndexKind.HARDSHIP else IndexKind.HARDSHIP)
    pair_now = (current, other) if model.kind == IndexKind.HARDSHIP else (other, current)
    pair_new = (model, other) if model.kind == IndexKind.HARDSHIP else (other, model)
    now_h, now_d = score_frame(frame, hardship=pair_now[0], development=pair_now[1])
    new_h, new_d = score_frame(frame, hardship=pair_new[0], development=pair_new[1])
    before, after = (now_h, new_h) if model.kind == IndexKind.HARDSHIP else (now_d, new_d)
    old_bands = np.array([b["code"] for b in current.config["bands"]] + [""], dtype=object)[before.band_index]
    new_bands = np.array([b["code"] for b in model.config["bands"]] + [""], dtype=object)[after.band_index]
    changed = old_bands != new_bands
    entered = after.poor & ~before.poor
    left = before.poor & ~after.poor
    towns = np.array([str(c)[:9] for c in frame.region_codes]) if len(frame) else np.zeros(0, dtype="<U9")
    rows = []
    for town in sorted(set(towns.tolist())):
        mask = towns == town
        rows.append({"prefix": town, "households": int(mask.sum()), "changed": int((changed & mask).sum()),
                     "entered": int((entered & mask).sum()), "left": int((left & mask).sum())})
    distribution = {
        "before": {b["code"]: int((old_bands == b["code"]).sum()) for b in current.config["bands"]},
        "after": {b["code"]: int((new_bands == b["code"]).sum()) for b in model.config["bands"]},
    }
    total = {"households": len(frame), "changed": int(changed.sum()), "entered": int(entered.sum()),
             "left": int(left.sum())}
    return {"problems": [], "rows": rows, "total": total, "distribution": distribution, "on": on,
            "against": current}


# ---------------------------------------------------------------------------- household page

def household_section(household: Household) -> dict:
    """Both indices now and over time, the breakdown in words, tiers and roster events."""
    series = list(household_scores(household))
    latest = series[-1] if series else None
    capitals = []
    if latest:
        lines = explain_development(latest)
        for code, label in CAPITALS.items():
            values = [line["value"] for line in lines if line["capital"] == str(label) and line["value"] is not None]
            capitals.append({"code": code, "label": str(label),
                             "value": round(sum(values) / len(values), 2) if values else None})
    chart = {
        "dates": [s.on.isoformat() for s in series],
        "hardship": [s.hardship for s in series],
        "development": [s.development for s in series],
    }
    return {
        "latest": latest,
        "hardship_lines": explain_hardship(latest) if latest else [],
        "development_lines": explain_development(latest) if latest else [],
        "capitals": capitals,
        "risks": risk_labels(latest.risk_types) if latest else [],
        "chart": chart,
        "tiers": list(household_tiers(household)),
        "events": list(RosterEvent.objects.filter(household=household).order_by("-on")[:20]),
        "hardship_band_label": _band_label(latest.hardship_model.config, latest.hardship_band) if latest else "",
        "development_band_label": _band_label(latest.development_model.config, latest.development_band) if latest else "",
    }


def _band_label(config: dict, code: str) -> str:
    for band in config.get("bands", []):
        if band["code"] == code:
            return band.get("label") or code
    return code or "—"

"""Index models as configuration: the defaults, and the checks an activation must pass.

Hardship model (Alkire–Foster)::

    {"k": 0.3333,
     "indicators": [{"code": "income_ratio", "weight": 0.25, "cutoff": 1.5},            # binary
                    {"code": "health", "weight": 0.15, "grades": [[1, 0.5], [2, 1.0]]}],  # graded
     "bands": [{"code": "low", "label": "…", "min": 0, "max": 0.2}, …]}

A binary indicator is deprived (g = 1) when its value is under the cut-off (direction
``below``) or at/over it (``above``). A graded one takes the largest g of the grades whose
threshold the value meets, in the same direction. Score c = Σ w_j g_j with Σ w_j = 1.

Development model (HDI style)::

    {"floor": 0.01,
     "indicators": [{"code": "income_per_capita", "capital": "financial", "min": 0, "max": 40000,
                     "weight": 1}, …],
     "bands": [...]}

Bands cover [0, 1] without gaps or overlaps: sorted by ``min``, the first starts at 0, each
starts where the previous ends, the last ends at 1 (the last band includes 1).
"""

from __future__ import annotations

import copy
import math

from django.utils.translation import gettext as _

from dajiuzhu.core.errors import DomainError

from .catalogue import CAPITALS, CATALOGUES

TOLERANCE = 1e-6

DEFAULT_HARDSHIP = {
    "k": 0.3333,
    "indicators": [
        {"code": "income_ratio", "weight": 0.25, "grades": [[0.5, 1.0], [1.0, 0.6], [1.5, 0.3]]},
        {"code": "asset_months", "weight": 0.10, "cutoff": 3},
        {"code": "rigid_share", "weight": 0.15, "cutoff": 0.7},
        {"code": "health", "weight": 0.15, "grades": [[1, 0.5], [2, 1.0]]},
        {"code": "disability", "weight": 0.05, "cutoff": 1},
        {"code": "labour", "weight": 0.10, "cutoff": 1},
        {"code": "dependants", "weight": 0.05, "cutoff": 0.75},
        {"code": "housing", "weight": 0.05, "cutoff": 2},
        {"code": "water", "weight": 0.05, "cutoff": 1},
        {"code": "education_share", "weight": 0.05, "cutoff": 0.3},
    ],
    "bands": [
        {"code": "low", "label": "低", "min": 0, "max": 0.2},
        {"code": "moderate", "label": "中", "min": 0.2, "max": 0.3333},
        {"code": "high", "label": "高", "min": 0.3333, "max": 0.6},
        {"code": "severe", "label": "很高", "min": 0.6, "max": 1},
    ],
}

DEFAULT_DEVELOPMENT = {
    "floor": 0.01,
    "indicators": [
        {"code": "healthy_share", "capital": "human", "min": 0, "max": 1, "weight": 1},
        {"code": "labour_share", "capital": "human", "min": 0, "max": 1, "weight": 1},
        {"code": "income_per_capita", "capital": "financial", "min": 0, "max": 40000, "weight": 2},
        {"code": "assets_per_capita", "capital": "financial", "min": 0, "max": 50000, "weight": 1},
        {"code": "housing_safety", "capital": "physical", "min": 0, "max": 3, "weight": 1},
        {"code": "employment_rate", "capital": "social", "min": 0, "max": 1, "weight": 1},
        {"code": "income_resilience", "capital": "social", "min": 0, "max": 1, "weight": 1},
        {"code": "safe_water", "capital": "natural", "min": 0, "max": 1, "weight": 1},
    ],
    "bands": [
        {"code": "fragile", "label": "脆弱", "min": 0, "max": 0.35},
        {"code": "developing", "label": "发展中", "min": 0.35, "max": 0.6},
        {"code": "stable", "label": "稳定", "min": 0.6, "max": 1},
    ],
}

DEFAULTS = {"hardship": DEFAULT_HARDSHIP, "development": DEFAULT_DEVELOPMENT}


def default_config(kind: str) -> dict:
    return copy.deepcopy(DEFAULTS[kind])


def _number(value, problems: list[str], where: str) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.append(_("%(where)s: a number is required") % {"where": where})
        return None
    return float(value)


def _check_bands(bands, problems: list[str]) -> None:
    if not isinstance(bands, list) or not bands:
        problems.append(_("bands: at least one band is required"))
        return
    parsed = []
    for i, band in enumerate(bands):
        if not isinstance(band, dict) or not band.get("code"):
            problems.append(_("band %(n)d: a code is required") % {"n": i + 1})
            return
        low = _number(band.get("min"), problems, f"{band['code']}.min")
        high = _number(band.get("max"), problems, f"{band['code']}.max")
        if low is None or high is None:
            return
        if low >= high:
            problems.append(_("band %(code)s: min must be below max") % {"code": band["code"]})
        parsed.append((low, high, band["code"]))
    codes = [code for _l, _h, code in parsed]
    if len(set(codes)) != len(codes):
        problems.append(_("bands: codes must be unique"))
    parsed.sort()
    if abs(parsed[0][0]) > TOLERANCE:
        problems.append(_("bands: the first band must start at 0 (gap below %(v)s)") % {"v": parsed[0][0]})
    if abs(parsed[-1][1] - 1) > TOLERANCE:
        problems.append(_("bands: the last band must end at 1 (gap above %(v)s)") % {"v": parsed[-1][1]})
    for (_l1, high1, code1), (low2, _h2, code2) in zip(parsed, parsed[1:]):
        if low2 > high1 + TOLERANCE:
            problems.append(_("bands: gap between %(a)s and %(b)s (%(x)s–%(y)s)")
                            % {"a": code1, "b": code2, "x": high1, "y": low2})
        elif low2 < high1 - TOLERANCE:
            problems.append(_("bands: %(a)s and %(b)s overlap (%(x)s–%(y)s)")
                            % {"a": code1, "b": code2, "x": low2, "y": high1})


def _check_indicators(kind: str, indicators, problems: list[str]) -> None:
    catalogue = CATALOGUES[kind]
    if not isinstance(indicators, list) or not indicators:
        problems.append(_("indicators: at least one indicator is required"))
        return
    seen = set()
    for spec in indicators:
        code = spec.get("code") if isinstance(spec, dict) else None
        if code not in catalogue:
            problems.append(_("unknown indicator %(code)s") % {"code": code})
            continue
        if code in seen:
            problems.append(_("indicator %(code)s appears twice") % {"code": code})
        seen.add(code)
        weight = _number(spec.get("weight"), problems, f"{code}.weight")
        if weight is not None and weight <= 0:
            problems.append(_("%(code)s: the weight must be positive") % {"code": code})
        if kind == "hardship":
            if "grades" in spec:
                grades = spec["grades"]
                if not isinstance(grades, list) or not grades:
                    problems.append(_("%(code)s: grades must be a list of [threshold, deprivation]") % {"code": code})
                    continue
                for grade in grades:
                    if not isinstance(grade, (list, tuple)) or len(grade) != 2:
                        problems.append(_("%(code)s: grades must be a list of [threshold, deprivation]")
                                        % {"code": code})
                        break
                    _number(grade[0], problems, f"{code}.grades")
                    g = _number(grade[1], problems, f"{code}.grades")
                    if g is not None and not 0 < g <= 1:
                        problems.append(_("%(code)s: a graded deprivation must be in (0, 1]") % {"code": code})
            else:
                _number(spec.get("cutoff"), problems, f"{code}.cutoff")
        else:
            capital = spec.get("capital", catalogue[code].capital)
            if capital not in CAPITALS:
                problems.append(_("%(code)s: unknown capital %(capital)s") % {"code": code, "capital": capital})
            elif capital != catalogue[code].capital:
                problems.append(_("%(code)s belongs to the %(capital)s capital")
                                % {"code": code, "capital": catalogue[code].capital})
            low = _number(spec.get("min"), problems, f"{code}.min")
            high = _number(spec.get("max"), problems, f"{code}.max")
            if low is not None and high is not None and low >= high:
                problems.append(_("%(code)s: goalpost min (%(min)s) must be below max (%(max)s)")
                                % {"code": code, "min": low, "max": high})


def config_problems(kind: str, config) -> list[str]:
    """Every reason this configuration may not be activated (empty when it may)."""
    if kind not in CATALOGUES:
        return [_("unknown index kind %(kind)s") % {"kind": kind}]
    if not isinstance(config, dict):
        return [_("the model must be a JSON object")]
    problems: list[str] = []
    indicators = config.get("indicators")
    _check_indicators(kind, indicators, problems)
    if kind == "hardship":
        k = _number(config.get("k"), problems, "k")
        if k is not None and not 0 < k <= 1:
            problems.append(_("the poverty cut-off k must be in (0, 1]"))
        if isinstance(indicators, list):
            weights = [s.get("weight") for s in indicators if isinstance(s, dict)]
            if all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights):
                total = sum(weights)
                if abs(total - 1) > TOLERANCE:
                    problems.append(_("the weights sum to %(total)s, not 1") % {"total": round(total, 6)})
    else:
        floor = _number(config.get("floor", 0.01), problems, "floor")
        if floor is not None and not 0 < floor <= 0.5:
            problems.append(_("the zero floor must be in (0, 0.5]"))
    _check_bands(config.get("bands"), problems)
    return problems


def validate_config(kind: str, config) -> None:
    problems = config_problems(kind, config)
    if problems:
        raise DomainError("; ".join(problems), field="config", details={"problems": problems})

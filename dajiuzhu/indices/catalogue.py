"""The indicators an index model may use, each computed for many households at once.

An indicator turns a ``registry.facts.FactFrame`` (and the standards) into a float value
per household and a ``known`` mask: a household whose economic facts are not on record has
unknown income, assets, spending and housing indicators (``has_facts`` is false), one without
living members has unknown member indicators. Unknown is never read as zero: the scoring
engine leaves the indicator out and shows the gap.

Hardship indicators have a direction: ``below`` (deprived when the value is under the
cut-off, e.g. income) or ``above`` (deprived at or over the cut-off, e.g. a spending share).
Development indicators belong to one of the five capitals and are normalised with the
model's goalposts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from django.utils.translation import gettext_lazy as _

from dajiuzhu.registry.facts import FactFrame

from .standards import StandardArrays

Compute = Callable[[FactFrame, StandardArrays], np.ndarray]

CAPITALS: dict[str, object] = {
    "human": _("human capital"),
    "financial": _("financial capital"),
    "physical": _("physical capital"),
    "social": _("social capital"),
    "natural": _("natural capital"),
}


@dataclasses.dataclass(frozen=True)
class Indicator:
    code: str
    label: object
    compute: Compute
    needs: str  # "facts" (economic facts on record) or "members" (living members)
    direction: str = "below"  # hardship: "below" or "above"; development: higher is better
    capital: str = ""  # development indicators only
    unit: str = ""


def _col(frame: FactFrame, name: str) -> np.ndarray:
    return frame.columns[name].astype(float)


def _ratio(numerator: np.ndarray, denominator: np.ndarray, *, cap: float = 99.0) -> np.ndarray:
    """numerator / denominator; a positive numerator over nothing is ``cap``, 0/0 is 0."""
    safe = np.where(denominator > 0, denominator, 1.0)
    out = np.where(denominator > 0, numerator / safe, np.where(numerator > 0, cap, 0.0))
    return np.minimum(out, cap)


def _size(frame: FactFrame) -> np.ndarray:
    return _col(frame, "household_size")


HARDSHIP: dict[str, Indicator] = {
    ind.code: ind
    for ind in [
        Indicator("income_ratio", _("per-capita income as a multiple of the minimum living standard"),
                  lambda f, s: _ratio(_col(f, "per_capita_income"), s.dibao.astype(float)), "facts", "below", unit="×"),
        Indicator("asset_months", _("per-capita financial assets in months of the minimum living standard"),
                  lambda f, s: _ratio(_col(f, "per_capita_financial_assets"), s.dibao.astype(float), cap=999.0),
                  "facts", "below", unit=_("months")),
        Indicator("rigid_share", _("rigid spending as a share of income"),
                  lambda f, s: _ratio(_col(f, "annual_rigid_expense"), np.maximum(_col(f, "annual_income"), 0)),
                  "facts", "above"),
        Indicator("education_share", _("education costs as a share of income"),
                  lambda f, s: _ratio(_col(f, "annual_education_expense"), np.maximum(_col(f, "annual_income"), 0)),
                  "facts", "above"),
        Indicator("health", _("members seriously ill, severely disabled or unable to care for themselves"),
                  lambda f, s: _col(f, "seriously_ill_members") + _col(f, "severely_disabled_members")
                  + (f.columns["max_adl_failed"] >= 4), "members", "above"),
        Indicator("disability", _("members with a disability certificate"),
                  lambda f, s: _col(f, "disabled_members"), "members", "above"),
        Indicator("labour", _("working able-bodied members aged 16–59"),
                  lambda f, s: _col(f, "labour_members") - _col(f, "unemployed_able_members"), "members", "below"),
        Indicator("dependants", _("share of members over 60 or under 16"),
                  lambda f, s: _ratio(_col(f, "members_over_60") + _col(f, "members_under_16"), _size(f)),
                  "members", "above"),
        Indicator("housing", _("housing condition (0 safe, 1 C-class, 2 D-class, 3 no house)"),
                  lambda f, s: _col(f, "housing_code"), "facts", "above"),
        Indicator("water", _("no safe drinking water"),
                  lambda f, s: (~f.columns["safe_water"].astype(bool)).astype(float), "facts", "above"),
    ]
}

DEVELOPMENT: dict[str, Indicator] = {
    ind.code: ind
    for ind in [
        Indicator("healthy_share", _("share of members neither seriously ill nor severely disabled"),
                  lambda f, s: np.clip(1 - _ratio(_col(f, "seriously_ill_members") + _col(f, "severely_disabled_members"),
                                                  _size(f)), 0, 1), "members", capital="human"),
        Indicator("labour_share", _("share of members able to work"),
                  lambda f, s: _ratio(_col(f, "labour_members"), _size(f)), "members", capital="human"),
        Indicator("income_per_capita", _("per-capita income, yuan per year"),
                  lambda f, s: _col(f, "per_capita_income") * 12 / 100, "facts", capital="financial", unit=_("yuan")),
        Indicator("assets_per_capita", _("per-capita financial assets, yuan"),
                  lambda f, s: _col(f, "per_capita_financial_assets") / 100, "facts", capital="financial",
                  unit=_("yuan")),
        Indicator("housing_safety", _("housing safety (3 safe … 0 no house)"),
                  lambda f, s: 3 - _col(f, "housing_code"), "facts", capital="physical"),
        Indicator("employment_rate", _("share of able members in work"),
                  lambda f, s: 1 - _ratio(_col(f, "unemployed_able_members"), _col(f, "labour_members")),
                  "labour", capital="social"),
        Indicator("income_resilience", _("income beyond rigid spending, share of income"),
                  lambda f, s: np.clip(1 - _ratio(_col(f, "annual_rigid_expense"),
                                                  np.maximum(_col(f, "annual_income"), 0)), 0, 1),
                  "facts", capital="social"),
        Indicator("safe_water", _("safe drinking water"),
                  lambda f, s: f.columns["safe_water"].astype(float), "facts", capital="natural"),
    ]
}

CATALOGUES = {"hardship": HARDSHIP, "development": DEVELOPMENT}

# How a deprivation reads to the family ("%(cutoff)s" is the threshold met).
DEPRIVED_WORDS: dict[str, object] = {
    "income_ratio": _("per-capita income below %(cutoff)s × the minimum living standard"),
    "asset_months": _("savings under %(cutoff)s months of the minimum living standard"),
    "rigid_share": _("rigid spending at least %(cutoff)s of income"),
    "education_share": _("education costs at least %(cutoff)s of income"),
    "health": _("%(cutoff)s or more members seriously ill, severely disabled or unable to care for themselves"),
    "disability": _("%(cutoff)s or more members with a disability"),
    "labour": _("fewer than %(cutoff)s working able-bodied members"),
    "dependants": _("at least %(cutoff)s of the members elderly or children"),
    "housing": _("dangerous house or no house of its own"),
    "water": _("no safe drinking water"),
}
PERCENT_CUTOFFS = {"rigid_share", "education_share", "dependants"}


def known_mask(indicator: Indicator, frame: FactFrame) -> np.ndarray:
    has_members = frame.columns["household_size"] > 0
    if indicator.needs == "facts":
        return frame.columns["has_facts"].astype(bool)
    if indicator.needs == "labour":
        return has_members & (frame.columns["labour_members"] > 0)
    return has_members


# Risk types (致贫返贫风险类型), derived here from the facts and used by the roster and alerts.
RISK_TYPES: dict[str, object] = {
    "illness": _("因病 illness"),
    "disability": _("因残 disability"),
    "schooling": _("因学 schooling"),
    "disaster": _("因灾 disaster"),
    "accident": _("因意外 accident"),
    "business": _("产业失败 failed business"),
    "unstable_work": _("务工不稳 unstable work"),
    "labour": _("缺劳动力 lack of labour"),
    "housing_water": _("住房/饮水 housing or water"),
    "other": _("其他 other"),
}


def fact_risk_types(frame: FactFrame) -> dict[str, np.ndarray]:
    """Which risk types each household's facts show (boolean arrays)."""
    c = frame.columns
    has_facts = c["has_facts"].astype(bool)
    income = np.maximum(c["annual_income"], 0)
    members = c["household_size"] > 0
    return {
        "illness": (c["seriously_ill_members"] > 0) | (has_facts & (c["annual_medical_expense"] * 2 > income)
                                                       & (c["annual_medical_expense"] > 0)),
        "disability": c["severely_disabled_members"] > 0,
        "schooling": has_facts & (c["students"] > 0) & (c["annual_education_expense"] * 5 > income)
        & (c["annual_education_expense"] > 0),
        "labour": members & (c["labour_members"] == 0),
        "unstable_work": c["unemployed_able_members"] > 0,
        "housing_water": has_facts & ((c["housing_code"] >= 2) | ~c["safe_water"].astype(bool)),
    }

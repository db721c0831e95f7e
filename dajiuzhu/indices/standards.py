"""The amounts the indices and the roster compare against, per household (vectorised).

Source of each standard, in order: ``programs.selectors.standard_value(name, on=, region_code=)``
when the county has the standard, else the demo catalogue's value (``programs.catalogue.STANDARDS``,
overridable with the ``INDICES_STANDARDS`` setting). ``StandardArrays.sources`` says which source
each standard came from, so pages and reports can say it. No policy number lives in this module
or in the roster: every amount, factor and period is a dated standard the county edits.

Standards: ``dibao`` 低保 standard, yuan per person per month; ``disposable_income`` last year's
per-capita disposable income, yuan per year; ``monitoring_line`` rural return-to-poverty
monitoring line, yuan per person per year (the threshold itself); ``rigid_share`` the local share
of income that rigid spending must exceed; ``near_poor_factor`` (低保边缘 line = factor × 低保);
``asset_months`` (financial assets per person ≤ months × 低保); ``sudden_income_fall`` (share of
last year's income lost that makes a sudden hardship); ``former_years`` (the transition period
after leaving 低保/特困); ``recent_leaver_months``; ``rigid_valid_months`` (how long a
rigid-expenditure determination stands).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import transaction

from dajiuzhu.programs.catalogue import STANDARDS as CATALOGUE_STANDARDS

NAMES = ("dibao", "disposable_income", "monitoring_line", "rigid_share", "near_poor_factor", "asset_months",
         "sudden_income_fall", "former_years", "recent_leaver_months", "rigid_valid_months")
DEMO_STANDARDS: dict[str, dict[str, str]] = {
    name: {"urban": CATALOGUE_STANDARDS[name][2], "rural": CATALOGUE_STANDARDS[name][3]} for name in NAMES}
MONEY_STANDARDS = ("dibao", "disposable_income", "monitoring_line")
FEN_PER_YUAN = 100


def configured_standards() -> dict[str, dict[str, str]]:
    custom = getattr(settings, "INDICES_STANDARDS", None) or {}
    return {name: {**values, **custom.get(name, {})} for name, values in DEMO_STANDARDS.items()}


def _programs_value(name: str, *, on: dt.date, region_code: str) -> Decimal | None:
    from .integration import model_ready

    if not model_ready("programs.Standard"):
        return None
    try:
        from dajiuzhu.programs import selectors  # type: ignore[attr-defined]
    except ImportError:
        return None
    fn = getattr(selectors, "standard_value", None)
    if fn is None:
        return None
    try:
        with transaction.atomic():  # a savepoint: a refusal must not abort the caller's transaction
            value = fn(name, on=on, region_code=region_code)
    except Exception:  # noqa: BLE001 - any refusal of the programs app means "not there": use the demo value
        return None
    return Decimal(value) if value is not None else None


@dataclasses.dataclass
class StandardArrays:
    """Per-household standards; money in fen (int64), shares as float."""

    dibao: np.ndarray  # fen per person per month
    disposable_income: np.ndarray  # fen per person per year
    monitoring_line: np.ndarray  # fen per person per year
    rigid_share: np.ndarray
    near_poor_factor: np.ndarray
    asset_months: np.ndarray
    sudden_income_fall: np.ndarray
    former_years: np.ndarray
    recent_leaver_months: np.ndarray
    rigid_valid_months: np.ndarray
    sources: dict[str, str]


def standards_for(*, on: dt.date, region_codes: np.ndarray, is_urban: np.ndarray) -> StandardArrays:
    """The standards of each household (by county and urban/rural), asking programs once per group."""
    n = len(region_codes)
    demo = configured_standards()
    out: dict[str, np.ndarray] = {}
    sources: dict[str, str] = {}
    # The county of each household: the first 6 characters (numpy truncates to a shorter string type).
    counties = np.asarray(region_codes).astype(str).astype("<U6") if n else np.zeros(0, dtype="<U6")
    for name in DEMO_STANDARDS:
        is_money = name in MONEY_STANDARDS
        values = np.zeros(n, dtype=np.int64 if is_money else float)
        for county in sorted(set(counties.tolist())):
            for urban in (True, False):
                mask = (counties == county) & (is_urban == urban)
                if not mask.any():
                    continue
                sample = str(region_codes[np.flatnonzero(mask)[0]])
                found = _programs_value(name, on=on, region_code=sample)
                if found is None:
                    found = Decimal(demo[name]["urban" if urban else "rural"])
                    sources.setdefault(name, "settings")
                else:
                    sources[name] = "programs"
                values[mask] = int(found * FEN_PER_YUAN) if is_money else float(found)
        out[name] = values
        sources.setdefault(name, "settings")
    return StandardArrays(sources=sources, **out)


def standard_yuan(name: str, *, on: dt.date, region_code: str, is_urban: bool) -> Decimal:
    """One standard for one household (for explanations)."""
    found = _programs_value(name, on=on, region_code=region_code)
    if found is not None:
        return found
    return Decimal(configured_standards()[name]["urban" if is_urban else "rural"])

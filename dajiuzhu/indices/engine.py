"""Scoring many households at once (numpy; no Python loop over households).

Missing facts: an indicator that is unknown for a household (see ``catalogue.known_mask``)
is left out. The hardship score is then Σ w_j g_j over the known indicators divided by the
known weight (so it stays on the 0–1 scale), and ``coverage`` = the known weight tells how
much of the model the score rests on; with nothing known the score is empty (None), never 0.
The development index takes the geometric mean over the capitals with at least one known
indicator, and ``coverage`` = the share of capitals known.

Zeros in the development index: a capital at 0 would make the geometric mean 0 whatever the
other capitals are, so each capital is floored at the model's ``floor`` (default 0.01)
before the geometric mean: DI = exp(mean(log(max(capital, floor)))). A household with water
unsafe (natural capital 0) and every other capital at 1 then scores 0.01^(1/5) ≈ 0.40 rather
than 0 — still the lowest of that household's capitals counts heavily, as intended.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dajiuzhu.registry.facts import FactFrame

from .catalogue import CAPITALS, DEVELOPMENT, HARDSHIP, known_mask
from .standards import StandardArrays


@dataclasses.dataclass
class Scored:
    """Scores of ``n`` households under one model."""

    codes: list[str]  # indicator codes, in the model's order (columns of ``parts``)
    values: np.ndarray  # n × J raw indicator values (nan = unknown)
    parts: np.ndarray  # n × J: deprivation g (hardship) or normalised value (development); nan = unknown
    score: np.ndarray  # n floats, nan = nothing known
    coverage: np.ndarray  # n floats in [0, 1]
    band_index: np.ndarray  # n ints, -1 = no score
    poor: np.ndarray  # n bools (hardship: c ≥ k; development: always False)
    capitals: np.ndarray | None = None  # development: n × 5 capital scores (nan = unknown)


def band_of(scores: np.ndarray, bands: list[dict]) -> np.ndarray:
    """Index into ``bands`` (sorted by min) of each score; the last band includes its max."""
    order = sorted(range(len(bands)), key=lambda i: float(bands[i]["min"]))
    lows = np.array([float(bands[i]["min"]) for i in order])
    position = np.searchsorted(lows, np.nan_to_num(scores, nan=-1.0), side="right") - 1
    position = np.clip(position, 0, len(order) - 1)
    mapped = np.array(order)[position]
    return np.where(np.isnan(scores), -1, mapped)


def deprivation(values: np.ndarray, spec: dict, direction: str) -> np.ndarray:
    """g in [0, 1] per household for one hardship indicator (binary or graded)."""
    grades = spec.get("grades") or [[spec["cutoff"], 1.0]]
    g = np.zeros(len(values))
    for threshold, weight in grades:
        met = values < float(threshold) if direction == "below" else values >= float(threshold)
        g = np.maximum(g, np.where(met, float(weight), 0.0))
    return g


def score_hardship(frame: FactFrame, standards: StandardArrays, config: dict) -> Scored:
    n = len(frame)
    specs = config["indicators"]
    codes = [s["code"] for s in specs]
    values = np.full((n, len(specs)), np.nan)
    parts = np.full((n, len(specs)), np.nan)
    weights = np.array([float(s["weight"]) for s in specs])
    known = np.zeros((n, len(specs)), dtype=bool)
    for j, spec in enumerate(specs):
        indicator = HARDSHIP[spec["code"]]
        raw = np.asarray(indicator.compute(frame, standards), dtype=float)
        mask = known_mask(indicator, frame)
        known[:, j] = mask
        values[:, j] = np.where(mask, raw, np.nan)
        parts[:, j] = np.where(mask, deprivation(raw, spec, indicator.direction), np.nan)
    known_weight = known.astype(float) @ weights
    weighted = np.nan_to_num(parts) @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(known_weight > 0, weighted / np.where(known_weight > 0, known_weight, 1), np.nan)
    score = np.round(score, 6)
    poor = np.nan_to_num(score, nan=-1) >= float(config["k"]) - 1e-9
    return Scored(codes, values, parts, score, np.round(known_weight, 6), band_of(score, config["bands"]), poor)


def score_development(frame: FactFrame, standards: StandardArrays, config: dict) -> Scored:
    n = len(frame)
    specs = config["indicators"]
    codes = [s["code"] for s in specs]
    floor = float(config.get("floor", 0.01))
    values = np.full((n, len(specs)), np.nan)
    parts = np.full((n, len(specs)), np.nan)
    capital_names = list(CAPITALS)
    sums = np.zeros((n, len(capital_names)))
    weight_sums = np.zeros((n, len(capital_names)))
    for j, spec in enumerate(specs):
        indicator = DEVELOPMENT[spec["code"]]
        raw = np.asarray(indicator.compute(frame, standards), dtype=float)
        mask = known_mask(indicator, frame)
        low, high = float(spec["min"]), float(spec["max"])
        normalised = np.clip((raw - low) / (high - low), 0.0, 1.0)
        values[:, j] = np.where(mask, raw, np.nan)
        parts[:, j] = np.where(mask, normalised, np.nan)
        c = capital_names.index(indicator.capital)
        w = float(spec.get("weight", 1))
        sums[:, c] += np.where(mask, normalised * w, 0.0)
        weight_sums[:, c] += np.where(mask, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        capitals = np.where(weight_sums > 0, sums / np.where(weight_sums > 0, weight_sums, 1), np.nan)
    used = np.array([any(DEVELOPMENT[s["code"]].capital == name for s in specs) for name in capital_names])
    capitals[:, ~used] = np.nan
    known_caps = ~np.isnan(capitals)
    count = known_caps.sum(axis=1)
    logs = np.where(known_caps, np.log(np.maximum(np.nan_to_num(capitals), floor)), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(count > 0, np.exp(logs.sum(axis=1) / np.where(count > 0, count, 1)), np.nan)
    score = np.round(score, 6)
    coverage = np.round(count / max(int(used.sum()), 1), 6)
    return Scored(codes, values, parts, score, coverage, band_of(score, config["bands"]),
                  np.zeros(n, dtype=bool), capitals)


def alkire_foster(*, scores: np.ndarray, parts: np.ndarray, weights: np.ndarray, k: float,
                  population: np.ndarray | None = None) -> dict:
    """H, A, M0 and the censored headcount and contribution of each indicator for one group.

    ``scores`` c_i (nan = not scored, left out), ``parts`` g_ij (nan = unknown, counted as not
    deprived in the censored headcount), ``population`` the weight of each unit (people per
    household; 1 each by default). H = q/n, A = mean c over the poor, M0 = H·A = mean censored c.
    """
    scored = ~np.isnan(scores)
    scores, parts = scores[scored], parts[scored]
    pop = np.ones(len(scores)) if population is None else np.asarray(population, dtype=float)[scored]
    total = pop.sum()
    if total <= 0:
        return {"n": 0, "q": 0, "H": 0.0, "A": 0.0, "M0": 0.0, "censored": [0.0] * len(weights),
                "contribution": [0.0] * len(weights)}
    poor = scores >= k - 1e-9
    q = pop[poor].sum()
    h = q / total
    a = float((scores[poor] * pop[poor]).sum() / q) if q > 0 else 0.0
    m0 = h * a
    censored = (np.nan_to_num(parts[poor]) * pop[poor, None]).sum(axis=0) / total if len(scores) else np.zeros(len(weights))
    contribution = (weights * censored / m0) if m0 > 0 else np.zeros(len(weights))
    return {"n": float(total), "q": float(q), "H": round(float(h), 6), "A": round(a, 6), "M0": round(float(m0), 6),
            "censored": [round(float(x), 6) for x in censored],
            "contribution": [round(float(x), 6) for x in contribution]}

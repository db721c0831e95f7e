# ruff: noqa
# indices/roster.py before the scale work (issue 7), verbatim except for imports: the reference
# the faster code must match exactly (test_reference_equality).
"""The low-income population database (低收入人群数据库): tiers by rule, entering and leaving.

Rules, evaluated for every household under a region prefix on a reference date (vectorised
over ``registry.facts.household_frame``); a household may be in several tiers:

- 低保 ``dibao`` / 特困 ``tekun``: an approved benefit in force whose item confers the tier
  (``cases.selectors.active_benefits``, ``item__tier``). Without the cases app these tiers are empty.
- 低保边缘 ``near_poor``: not 低保/特困; per-capita income < 1.5 × the 低保 standard; assets within
  the limits (per-capita financial assets ≤ 24 months of the standard, no vehicle other than one
  used for a disability, no house beyond the one lived in).
- 刚性支出困难 ``rigid``: not 低保/特困; 12-month rigid spending > the local share (70 %) of the
  household's 12-month income, and per-capita income < last year's per-capita disposable income.
  An entry is valid 12 months (``valid_until``): then it is closed and, if the rule still
  holds, opened again (a fresh determination).
- Rural monitoring targets (农村防止返贫监测对象; rural households only, not 低保/特困):
  - 脱贫不稳定户 ``unstable_escaped``: the household left 低保 or 特困 in the last 5 years (the
    transition period) and its per-capita income is under 1.5 × the monitoring line (7,000 yuan
    per person per year → 10,500);
  - 边缘易致贫户 ``edge_at_risk``: never left 低保/特困 in those 5 years, per-capita income under
    1.5 × the monitoring line;
  - 突发严重困难户 ``sudden_hardship``: 12-month rigid spending at or over the whole 12-month
    income, or the household income fell by more than half against a year before.
- 近期退出 ``recent_leaver``: left 低保 or 特困 in the last 12 months and is not back in either.

Each change is a ``RosterEvent`` (enter/leave, dated the reference date); re-running for the
same date changes nothing.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.registry.facts import FactFrame
from dajiuzhu.registry.tests.reference_facts import reference_household_frame as household_frame

from .bulk import insert_ignoring_conflicts, lock_region
from dajiuzhu.indices.models import RosterEntry, RosterEvent, Tier
from dajiuzhu.indices.standards import standards_for

RULES = {
    "asset_months": 24,
    "rigid_valid_months": 12,
    "monitoring_factor": 1,  # issue 16: the monitoring line itself is the threshold
    "sudden_income_fall": 0.5,
    "former_years": 5,
    "recent_leaver_months": 12,
}

TIER_REASONS = {
    Tier.DIBAO: _("approved 低保 benefit in force"),
    Tier.TEKUN: _("approved 特困 support in force"),
    Tier.NEAR_POOR: _("per-capita income under 1.5 × the 低保 standard, assets within limits"),
    Tier.RIGID: _("rigid spending over the local share of income"),
    Tier.UNSTABLE_ESCAPED: _("left 低保/特困 in the last 5 years, income under 1.5 × the monitoring line"),
    Tier.EDGE_AT_RISK: _("income under 1.5 × the monitoring line"),
    Tier.SUDDEN_HARDSHIP: _("rigid spending at or over income, or income halved in a year"),
    Tier.RECENT_LEAVER: _("left 低保/特困 in the last 12 months"),
}


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def benefit_tiers(*, on: dt.date, region_prefix: str) -> dict[str, set[int]]:
    """Households with an approved 低保/特困 benefit in force (empty without the cases app)."""
    from dajiuzhu.indices.integration import model_ready

    if not model_ready("cases.CaseItem"):
        return {}
    try:
        from dajiuzhu.cases.selectors import active_benefits  # type: ignore[attr-defined]
    except ImportError:
        return {}
    out: dict[str, set[int]] = {}
    qs = active_benefits(on=on, region_prefix=region_prefix)
    pairs = qs.values_list("household_id", "item__tier")
    for household_id, tier in pairs:
        if tier:
            out.setdefault(tier, set()).add(household_id)
    return out


def _left_since(region_prefix: str, since: dt.date, until: dt.date) -> set[int]:
    return set(
        RosterEvent.objects.filter(region_code__startswith=region_prefix, tier__in=[Tier.DIBAO, Tier.TEKUN],
                                   kind=RosterEvent.Kind.LEAVE, on__gt=since, on__lte=until)
        .values_list("household_id", flat=True)
    )


def money_on(*, on: dt.date, region_prefix: str) -> dict[str, np.ndarray]:
    """From the latest household facts on or before ``on`` (one query, no members): sorted ``ids``,
    ``monthly_income`` and ``annual_medical_expense`` in fen. Much cheaper than a whole frame."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT household_id,
                   CAST(ROUND((monthly_wages + monthly_business_income + monthly_property_income
                               + monthly_transfer_income - monthly_excluded_income) * 100) AS BIGINT),
                   CAST(ROUND(annual_medical_expense * 100) AS BIGINT)
            FROM registry_householdfacts f
            JOIN (SELECT household_id AS hid, MAX(as_of) AS last FROM registry_householdfacts
                  WHERE as_of <= %s GROUP BY household_id) latest ON latest.hid = f.household_id AND latest.last = f.as_of
            JOIN registry_household h ON h.id = f.household_id
            WHERE h.region_code LIKE %s ORDER BY f.household_id
            """, [on, region_prefix + "%"])
        rows = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
    return {"ids": rows[:, 0], "monthly_income": rows[:, 1], "annual_medical_expense": rows[:, 2]}


def _align(ids: np.ndarray, other_ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values`` (aligned with sorted ``other_ids``) for ``ids``, and whether each was found."""
    if not len(other_ids):
        return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
    position = np.clip(np.searchsorted(other_ids, ids), 0, len(other_ids) - 1)
    found = other_ids[position] == ids
    return np.where(found, values[position], 0), found


def tier_masks(frame: FactFrame, *, year_before: dict[str, np.ndarray], benefits: dict[str, set[int]], former: set[int],
               left_recently: set[int]) -> dict[str, np.ndarray]:
    """Which households qualify for each tier (boolean arrays aligned with ``frame``)."""
    c = frame.columns
    ids = frame.household_ids
    std = standards_for(on=frame.on, region_codes=frame.region_codes, is_urban=c["is_urban"])
    has = c["has_facts"].astype(bool)
    rural = ~c["is_urban"].astype(bool)
    dibao = np.isin(ids, list(benefits.get(Tier.DIBAO, ())))
    tekun = np.isin(ids, list(benefits.get(Tier.TEKUN, ())))
    assisted = dibao | tekun
    pc = c["per_capita_income"]
    income = np.maximum(c["annual_income"], 0)
    assets_ok = ((c["per_capita_financial_assets"] <= RULES["asset_months"] * std.dibao)
                 & (c["vehicles_non_disability"] == 0) & (c["extra_houses"] == 0))
    near_poor = has & ~assisted & (pc < std.near_poor_factor * std.dibao) & assets_ok
    rigid = has & ~assisted & (c["annual_rigid_expense"] > std.rigid_share * income) & (pc * 12 < std.disposable_income)
    under_line = pc * 12 < RULES["monitoring_factor"] * std.monitoring_line
    was_poor = np.isin(ids, list(former))
    unstable = rural & has & ~assisted & was_poor & under_line
    edge = rural & has & ~assisted & ~was_poor & under_line
    previous_income, found = _align(ids, year_before["ids"], year_before["monthly_income"])
    fell = found & (previous_income > 0) & (
        c["monthly_income"] < (1 - RULES["sudden_income_fall"]) * previous_income)
    sudden = rural & has & ~assisted & (((c["annual_rigid_expense"] >= income) & (c["annual_rigid_expense"] > 0)) | fell)
    leaver = np.isin(ids, list(left_recently)) & ~assisted
    return {Tier.DIBAO: dibao, Tier.TEKUN: tekun, Tier.NEAR_POOR: near_poor, Tier.RIGID: rigid,
            Tier.UNSTABLE_ESCAPED: unstable, Tier.EDGE_AT_RISK: edge, Tier.SUDDEN_HARDSHIP: sudden,
            Tier.RECENT_LEAVER: leaver}


def _apply(tier: str, qualifying: np.ndarray, frame: FactFrame, on: dt.date, open_entries: dict, counts: dict) -> None:
    region_of = dict(zip(frame.household_ids.tolist(), frame.region_codes.tolist()))
    wanted = set(frame.household_ids[qualifying].tolist())
    current = open_entries.get(tier, {})
    expired = {h for h, (_pk, valid_until) in current.items() if valid_until is not None and valid_until <= on}
    closing = (set(current) - wanted) | expired
    opening = (wanted - set(current)) | (expired & wanted)
    if closing:
        ids = [current[h][0] for h in closing]
        for start in range(0, len(ids), 5000):
            RosterEntry.objects.filter(pk__in=ids[start:start + 5000]).update(until=on)
    valid_months = RULES["rigid_valid_months"] if tier == Tier.RIGID else None
    valid_until = add_months(on, valid_months) if valid_months else None
    insert_ignoring_conflicts(
        RosterEntry, ("household_id", "region_code", "tier", "since", "valid_until", "reason"),
        [(h, region_of[h], tier, on, valid_until, {"rule": tier}) for h in sorted(opening)], conflicts_possible=False)
    events = [(h, region_of.get(h, ""), tier, RosterEvent.Kind.LEAVE, on,
               "expired" if h in expired and h in wanted else "") for h in sorted(closing)]
    events += [(h, region_of[h], tier, RosterEvent.Kind.ENTER, on, "") for h in sorted(opening)]
    insert_ignoring_conflicts(RosterEvent, ("household_id", "region_code", "tier", "kind", "on", "reason"), events,
                              conflicts_possible=False)
    counts[tier] = {"in": len(wanted), "entered": len(opening), "left": len(closing)}


def _open_entries(region_prefix: str) -> dict[str, dict[int, tuple[int, dt.date | None]]]:
    out: dict[str, dict[int, tuple[int, dt.date | None]]] = {}
    rows = RosterEntry.objects.filter(region_code__startswith=region_prefix, until__isnull=True).values_list(
        "pk", "household_id", "tier", "valid_until")
    for pk, household_id, tier, valid_until in rows:
        out.setdefault(tier, {})[household_id] = (pk, valid_until)
    return out


@transaction.atomic
def roster_compute(*, on: dt.date, region_prefix: str = "", actor=None, frame: FactFrame | None = None) -> dict:
    """Bring the roster of ``region_prefix`` up to date for ``on`` (idempotent for the same date)."""
    lock_region(region_prefix)
    frame = frame if frame is not None else household_frame(on=on, region_prefix=region_prefix)
    if not len(frame):
        return {}
    year_before = money_on(on=add_months(on, -12), region_prefix=region_prefix)
    benefits = benefit_tiers(on=on, region_prefix=region_prefix)
    open_entries = _open_entries(region_prefix)
    counts: dict[str, dict] = {}
    # First the benefit tiers, so that a 低保 exit today is seen by the leaver rules below.
    masks = tier_masks(frame, year_before=year_before, benefits=benefits, former=set(), left_recently=set())
    for tier in (Tier.DIBAO, Tier.TEKUN):
        _apply(tier, masks[tier], frame, on, open_entries, counts)
    former = _left_since(region_prefix, add_months(on, -12 * RULES["former_years"]), on)
    recent = _left_since(region_prefix, add_months(on, -RULES["recent_leaver_months"]), on)
    masks = tier_masks(frame, year_before=year_before, benefits=benefits, former=former, left_recently=recent)
    for tier in Tier.values:
        if tier not in (Tier.DIBAO, Tier.TEKUN):
            _apply(tier, masks[tier], frame, on, open_entries, counts)
    changed = sum(v["entered"] + v["left"] for v in counts.values())
    if changed:
        audit_record(actor=actor, action="indices.roster", object_type="indices.rosterentry",
                     object_id=on.isoformat(), region_code=region_prefix, new={"on": on, "tiers": counts})
    return counts

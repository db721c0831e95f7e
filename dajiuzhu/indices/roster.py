"""The low-income population database (低收入人群数据库): tiers by rule, entering and leaving.

Rules, evaluated for every household under a region prefix on a reference date (vectorised
over ``registry.facts.household_frame``); a household may be in several tiers:

- 低保 ``dibao`` / 特困 ``tekun``: an approved benefit in force whose item confers the tier
  (``cases.selectors.active_benefits``, ``item__tier``). Without the cases app these tiers are empty.
- 低保边缘 ``near_poor``: not 低保/特困; per-capita income < ``near_poor_factor`` × the 低保
  standard; assets within the limits (per-capita financial assets ≤ ``asset_months`` months of the
  standard, no vehicle other than one used for a disability, no house beyond the one lived in).
- 刚性支出困难 ``rigid``: not 低保/特困; 12-month rigid spending > the local share
  (``rigid_share``) of the household's 12-month income, and per-capita income < last year's
  per-capita disposable income. An entry is valid ``rigid_valid_months`` (``valid_until``): then it
  is closed and, if the rule still holds, opened again (a fresh determination).
- Rural monitoring targets (农村防止返贫监测对象; rural households only, not 低保/特困):
  - 脱贫不稳定户 ``unstable_escaped``: the household left 低保 or 特困 within the transition period
    (``former_years``) and its yearly per-capita income is under the monitoring line itself
    (``monitoring_line``, 7,000 yuan per person per year in the demo county);
  - 边缘易致贫户 ``edge_at_risk``: did not leave 低保/特困 in that period, per-capita income under
    the monitoring line;
  - 突发严重困难户 ``sudden_hardship``: 12-month rigid spending at or over the whole 12-month
    income, or the household income fell by more than ``sudden_income_fall`` against a year before.
- 近期退出 ``recent_leaver``: left 低保 or 特困 in the last ``recent_leaver_months`` and is not back.

Every amount, factor and period above is a dated standard of the household's county and area
(``indices.standards``, read from ``programs`` standards): none is written in this module.

Each change is a ``RosterEvent`` (enter/leave, dated the reference date); re-running for the
same date changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.registry.facts import FactFrame, fetch_columns, household_frame

from .bulk import Same, insert_columns, lock_region
from .models import RosterEntry, RosterEvent, Tier
from .standards import standards_for

MONTHS_PER_YEAR = 12

TIER_REASONS = {
    Tier.DIBAO: _("approved 低保 benefit in force"),
    Tier.TEKUN: _("approved 特困 support in force"),
    Tier.NEAR_POOR: _("per-capita income under the near-poor line (a multiple of the 低保 standard), assets within "
                      "limits"),
    Tier.RIGID: _("rigid spending over the local share of income"),
    Tier.UNSTABLE_ESCAPED: _("left 低保/特困 within the transition period, income under the monitoring line"),
    Tier.EDGE_AT_RISK: _("income under the monitoring line"),
    Tier.SUDDEN_HARDSHIP: _("rigid spending at or over income, or a sharp fall of income within a year"),
    Tier.RECENT_LEAVER: _("left 低保/特困 recently"),
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
    from .integration import model_ready

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


def _left_within(frame: FactFrame, months: np.ndarray, region_prefix: str, on: dt.date) -> set[int]:
    """Households of ``frame`` that left 低保/特困 within their own county's ``months`` before ``on``
    (the period is a standard, so it may differ between counties and areas)."""
    out: set[int] = set()
    ids = frame.household_ids
    for value in sorted(set(np.asarray(months).astype(np.int64).tolist())):
        left = _left_since(region_prefix, add_months(on, -value), on)
        if left:
            chosen = ids[np.asarray(months).astype(np.int64) == value]
            out |= left & set(chosen.tolist())
    return out


def money_on(*, on: dt.date, region_prefix: str) -> dict[str, np.ndarray]:
    """From the latest household facts on or before ``on`` (one query, no members): sorted ``ids``,
    ``monthly_income`` and ``annual_medical_expense`` in fen. Much cheaper than a whole frame.
    On PostgreSQL one index lookup per household (LATERAL), the columns packed server-side."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            got = fetch_columns(
                cursor,
                "SELECT {columns} FROM registry_household h CROSS JOIN LATERAL ("
                "  SELECT * FROM registry_householdfacts f1 WHERE f1.household_id = h.id AND f1.as_of <= %s"
                "  ORDER BY f1.as_of DESC LIMIT 1) f WHERE h.region_code LIKE %s",
                [on, region_prefix + "%"],
                (("ids", ">i8", "f.household_id"),
                 ("monthly_income", ">i8", "CAST(ROUND((f.monthly_wages + f.monthly_business_income"
                  " + f.monthly_property_income + f.monthly_transfer_income - f.monthly_excluded_income) * 100)"
                  " AS BIGINT)"),
                 ("annual_medical_expense", ">i8", "CAST(ROUND(f.annual_medical_expense * 100) AS BIGINT)")))
            order = np.argsort(got["ids"], kind="stable")
            return {name: values[order] for name, values in got.items()}
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


def _id_array(ids) -> np.ndarray:
    return np.fromiter(ids, dtype=np.int64, count=len(ids))


def tier_masks(frame: FactFrame, *, year_before: dict[str, np.ndarray], benefits: dict[str, set[int]], former: set[int],
               left_recently: set[int], std=None) -> dict[str, np.ndarray]:
    """Which households qualify for each tier (boolean arrays aligned with ``frame``); ``std``: the
    frame's ``standards_for`` if already known."""
    c = frame.columns
    ids = frame.household_ids
    if std is None:
        std = standards_for(on=frame.on, region_codes=frame.region_codes, is_urban=c["is_urban"])
    has = c["has_facts"].astype(bool)
    rural = ~c["is_urban"].astype(bool)
    dibao = np.isin(ids, _id_array(benefits.get(Tier.DIBAO, ())))
    tekun = np.isin(ids, _id_array(benefits.get(Tier.TEKUN, ())))
    assisted = dibao | tekun
    pc = c["per_capita_income"]
    income = np.maximum(c["annual_income"], 0)
    assets_ok = ((c["per_capita_financial_assets"] <= std.asset_months * std.dibao)
                 & (c["vehicles_non_disability"] == 0) & (c["extra_houses"] == 0))
    near_poor = has & ~assisted & (pc < std.near_poor_factor * std.dibao) & assets_ok
    rigid = has & ~assisted & (c["annual_rigid_expense"] > std.rigid_share * income) & (
        pc * MONTHS_PER_YEAR < std.disposable_income)
    # DOMAIN.md: the monitoring line (yuan per person per year) is itself the threshold.
    under_line = pc * MONTHS_PER_YEAR < std.monitoring_line
    was_poor = np.isin(ids, _id_array(former))
    unstable = rural & has & ~assisted & was_poor & under_line
    edge = rural & has & ~assisted & ~was_poor & under_line
    previous_income, found = _align(ids, year_before["ids"], year_before["monthly_income"])
    fell = found & (previous_income > 0) & (
        c["monthly_income"] < (1 - std.sudden_income_fall) * previous_income)
    sudden = rural & has & ~assisted & (((c["annual_rigid_expense"] >= income) & (c["annual_rigid_expense"] > 0)) | fell)
    leaver = np.isin(ids, _id_array(left_recently)) & ~assisted
    return {Tier.DIBAO: dibao, Tier.TEKUN: tekun, Tier.NEAR_POOR: near_poor, Tier.RIGID: rigid,
            Tier.UNSTABLE_ESCAPED: unstable, Tier.EDGE_AT_RISK: edge, Tier.SUDDEN_HARDSHIP: sudden,
            Tier.RECENT_LEAVER: leaver}


@dataclasses.dataclass
class _Open:
    """The open entries of one tier: sorted household ids, entry ids, whether past ``valid_until``."""

    household_ids: np.ndarray
    pks: np.ndarray
    expired: np.ndarray


def _regions(frame: FactFrame, household_ids: np.ndarray) -> list[str]:
    """The frame's region code of each household ("" for one not in the frame)."""
    if not len(household_ids):
        return []
    at = np.clip(np.searchsorted(frame.household_ids, household_ids), 0, max(len(frame) - 1, 0))
    found = frame.household_ids[at] == household_ids if len(frame) else np.zeros(len(household_ids), bool)
    codes = frame.region_codes[at].tolist() if len(frame) else [""] * len(household_ids)
    return [code if ok else "" for code, ok in zip(codes, found.tolist())]


def _close(pks: np.ndarray, on: dt.date) -> None:
    if not len(pks):
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("UPDATE indices_rosterentry SET until = %s WHERE id = ANY(%s::bigint[])",
                           [on, "{" + ",".join(map(str, pks.tolist())) + "}"])
        return
    ids = pks.tolist()
    for start in range(0, len(ids), 5000):
        RosterEntry.objects.filter(pk__in=ids[start:start + 5000]).update(until=on)


def _apply(tier: str, qualifying: np.ndarray, frame: FactFrame, on: dt.date, open_entries: dict, counts: dict,
           valid_months: np.ndarray | None = None) -> None:
    """Close the entries of ``tier`` that no longer qualify (or expired), open the new ones, date both.

    Set operations on sorted id arrays (numpy); the writes are one UPDATE and two bulk inserts."""
    wanted = frame.household_ids[qualifying]  # sorted: the frame's ids are
    empty = np.zeros(0, dtype=np.int64)
    current = open_entries.get(tier) or _Open(empty, empty, np.zeros(0, dtype=bool))
    still_wanted = np.isin(current.household_ids, wanted)
    closing = ~still_wanted | current.expired
    closing_ids = current.household_ids[closing]
    opening_ids = wanted[~np.isin(wanted, current.household_ids)
                         | np.isin(wanted, current.household_ids[current.expired])]
    _close(current.pks[closing], on)
    if valid_months is not None:  # each household's own county standard (``rigid_valid_months``)
        months, _found = _align(opening_ids, frame.household_ids, np.asarray(valid_months).astype(np.int64))
        valid_until: object = [add_months(on, int(m)) for m in months.tolist()]
    else:
        valid_until = Same(None)
    opening_regions = _regions(frame, opening_ids)
    insert_columns(
        RosterEntry,
        {"household_id": opening_ids, "region_code": opening_regions, "tier": Same(str(tier)), "since": Same(on),
         "valid_until": valid_until, "reason": Same({"rule": tier})},
        len(opening_ids), conflicts_possible=False)
    renewed = (still_wanted & current.expired)[closing]
    insert_columns(
        RosterEvent,
        {"household_id": np.concatenate([closing_ids, opening_ids]),
         "region_code": _regions(frame, closing_ids) + opening_regions, "tier": Same(str(tier)),
         "kind": [RosterEvent.Kind.LEAVE.value] * len(closing_ids) + [RosterEvent.Kind.ENTER.value] * len(opening_ids),
         "on": Same(on), "reason": np.where(renewed, "expired", "").tolist() + [""] * len(opening_ids)},
        len(closing_ids) + len(opening_ids), conflicts_possible=False)
    counts[tier] = {"in": len(wanted), "entered": len(opening_ids), "left": len(closing_ids)}


def _open_entries(region_prefix: str, on: dt.date) -> dict[str, _Open]:
    """The open roster entries under ``region_prefix`` by tier (one query, integer columns)."""
    tiers = list(Tier.values)
    code = "CASE e.tier " + " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(tiers)) + " ELSE -1 END"
    with connection.cursor() as cursor:
        got = fetch_columns(
            cursor,
            "SELECT {columns} FROM indices_rosterentry e WHERE e.region_code LIKE %s AND e.until IS NULL",
            [on, region_prefix + "%"],
            (("pk", ">i8", "e.id"), ("household_id", ">i8", "e.household_id"), ("tier", ">i4", code),
             ("expired", ">i4", "CASE WHEN e.valid_until IS NOT NULL AND e.valid_until <= %s THEN 1 ELSE 0 END")))
    order = np.lexsort((got["household_id"], got["tier"]))
    out: dict[str, _Open] = {}
    tier_codes = got["tier"][order]
    for i, tier in enumerate(tiers):
        rows = order[tier_codes == i]
        if len(rows):
            out[tier] = _Open(got["household_id"][rows], got["pk"][rows], got["expired"][rows].astype(bool))
    return out


@transaction.atomic
def roster_compute(*, on: dt.date, region_prefix: str = "", actor=None, frame: FactFrame | None = None) -> dict:
    """Bring the roster of ``region_prefix`` up to date for ``on`` (idempotent for the same date)."""
    lock_region(region_prefix)
    frame = frame if frame is not None else household_frame(on=on, region_prefix=region_prefix)
    if not len(frame):
        return {}
    year_before = money_on(on=add_months(on, -MONTHS_PER_YEAR), region_prefix=region_prefix)
    benefits = benefit_tiers(on=on, region_prefix=region_prefix)
    open_entries = _open_entries(region_prefix, on)
    counts: dict[str, dict] = {}
    # First the benefit tiers, so that a 低保 exit today is seen by the leaver rules below.
    std = standards_for(on=frame.on, region_codes=frame.region_codes, is_urban=frame.columns["is_urban"])
    masks = tier_masks(frame, year_before=year_before, benefits=benefits, former=set(), left_recently=set(), std=std)
    for tier in (Tier.DIBAO, Tier.TEKUN):
        _apply(tier, masks[tier], frame, on, open_entries, counts)
    former = _left_within(frame, std.former_years * MONTHS_PER_YEAR, region_prefix, on)
    recent = _left_within(frame, std.recent_leaver_months, region_prefix, on)
    masks = tier_masks(frame, year_before=year_before, benefits=benefits, former=former, left_recently=recent, std=std)
    for tier in Tier.values:
        if tier not in (Tier.DIBAO, Tier.TEKUN):
            _apply(tier, masks[tier], frame, on, open_entries, counts,
                   valid_months=std.rigid_valid_months if tier == Tier.RIGID else None)
    changed = sum(v["entered"] + v["left"] for v in counts.values())
    if changed:
        audit_record(actor=actor, action="indices.roster", object_type="indices.rosterentry",
                     object_id=on.isoformat(), region_code=region_prefix, new={"on": on, "tiers": counts})
    return counts

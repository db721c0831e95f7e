"""Where the figures come from: one set-based query per source, at village level.

Each source yields ``(region_code, period, metric, key, value)`` for 12-digit village (or
township) codes; ``services.dashboards_refresh`` adds them up for every prefix (village,
township, county, city, province). Only additive numbers are stored — an average is kept as a
sum and a count — so a parent's figure is always the sum of its children's.

Sources of apps that are not installed yet (cases, alerts, indices) yield nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal

from django.db import connection

Row = tuple[str, str, str, str, Decimal]


def _month_sql(expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"to_char({expr}, 'YYYY-MM')"
    return f"strftime('%%Y-%%m', {expr})"


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def _table_exists(name: str) -> bool:
    return name in connection.introspection.table_names()


# --- results ---------------------------------------------------------------------------------

def assistance_records(since: dt.date) -> Iterator[Row]:
    """Spending by month and category / item, material vs service, people by tier and item."""
    month = _month_sql("COALESCE(period_start, given_on)")
    base = "FROM results_assistancerecord WHERE status = 'given' AND COALESCE(period_start, given_on) >= %s"
    for code, period, category, kind, item, amount, count, hours in _rows(
        f"SELECT region_code, {month} AS m, category, kind, item_code, SUM(amount), COUNT(*), "
        f"SUM(COALESCE(service_hours, 0)) {base} GROUP BY region_code, m, category, kind, item_code", [since]
    ):
        amount = _dec(amount)
        yield code, period, "spending", category, amount
        yield code, period, "spending_total", "", amount
        yield code, period, "spending_item", item, amount
        yield code, period, "records_kind", kind, _dec(count)
        yield code, period, "amount_kind", kind, amount
        if kind == "service":
            yield code, period, "service_hours", "", _dec(hours)
        yield code, period, "records", "", _dec(count)
    # Households and people assisted, by tier and by item (a household counts once per month).
    for dimension, column in (("tier", "tier"), ("item", "item_code")):
        for code, period, key, households, persons in _rows(
            f"SELECT region_code, m, k, COUNT(*), SUM(p) FROM ("
            f"  SELECT region_code, {month} AS m, {column} AS k, household_id, MAX(persons) AS p {base}"
            f"  AND {column} <> '' GROUP BY region_code, m, k, household_id"
            f") AS per_household GROUP BY region_code, m, k", [since]
        ):
            yield code, period, f"households_{dimension}", key, _dec(households)
            yield code, period, f"persons_{dimension}", key, _dec(persons)
    for code, period, households in _rows(
        f"SELECT region_code, m, COUNT(*) FROM (SELECT DISTINCT region_code, {month} AS m, household_id {base}) AS d "
        "GROUP BY region_code, m", [since]
    ):
        yield code, period, "households_assisted", "", _dec(households)


def periodic_starts_and_ends(since: dt.date) -> Iterator[Row]:
    """New and leaving households of periodic assistance, from the payment records (used when
    the cases app is not installed): first month paid = new; the month after the last = leaving."""
    if _cases_installed() and _rows("SELECT COUNT(*) FROM cases_caseitem WHERE status <> 'pending'")[0][0]:
        return
    month = _month_sql("period_start")
    inner = (f"SELECT household_id, region_code, MIN({month}) AS first_m, MAX({month}) AS last_m "
             "FROM results_assistancerecord WHERE status = 'given' AND source = 'payment' "
             "GROUP BY household_id, region_code")
    latest = _rows(f"SELECT MAX({month}) FROM results_assistancerecord WHERE source = 'payment'")[0][0]
    earliest = _rows(f"SELECT MIN({month}) FROM results_assistancerecord WHERE source = 'payment'")[0][0]
    for code, period, count in _rows(f"SELECT region_code, first_m, COUNT(*) FROM ({inner}) AS h "
                                     "GROUP BY region_code, first_m"):
        # In the first month of the records everyone looks new: that month says nothing.
        if period >= f"{since:%Y-%m}" and period != earliest:
            yield code, period, "cases_new", "", _dec(count)
    for code, period, count in _rows(f"SELECT region_code, last_m, COUNT(*) FROM ({inner}) AS h "
                                     "WHERE last_m < %s GROUP BY region_code, last_m", [latest or ""]):
        following = _next_month(period)
        if following >= f"{since:%Y-%m}":
            yield code, following, "cases_leaving", "", _dec(count)


def _next_month(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + (month == 12)}-{month % 12 + 1:02d}"


# --- registry --------------------------------------------------------------------------------

def registry(since: dt.date) -> Iterator[Row]:
    for code, count in _rows("SELECT region_code, COUNT(*) FROM registry_household GROUP BY region_code"):
        yield code, "", "registry_households", "", _dec(count)
    for code, count in _rows("SELECT region_code, COUNT(*) FROM registry_person "
                             "WHERE household_id IS NOT NULL AND deceased_on IS NULL GROUP BY region_code"):
        yield code, "", "registry_people", "", _dec(count)


# --- cases (when installed) ------------------------------------------------------------------

def _cases_installed() -> bool:
    return _table_exists("cases_caseitem") and _table_exists("programs_assistanceitem")


def cases(since: dt.date) -> Iterator[Row]:
    """Applications, decisions and the time from application to decision; new and leaving items;
    people by tier and item among the benefits in force today."""
    if not _cases_installed():
        return
    created = _month_sql("c.created_at")
    for code, period, count in _rows(
        f"SELECT c.region_code, {created} AS m, COUNT(*) FROM cases_case c WHERE c.created_at >= %s "
        "GROUP BY c.region_code, m", [since]
    ):
        yield code, period, "applications", "", _dec(count)
    decided = _month_sql("c.decided_at")
    if connection.vendor == "postgresql":
        days = "EXTRACT(EPOCH FROM (c.decided_at - c.created_at)) / 86400.0"
    else:
        days = "julianday(c.decided_at) - julianday(c.created_at)"
    for code, period, count, total in _rows(
        f"SELECT c.region_code, {decided} AS m, COUNT(*), SUM({days}) FROM cases_case c "
        "WHERE c.decided_at IS NOT NULL AND c.decided_at >= %s GROUP BY c.region_code, m", [since]
    ):
        yield code, period, "decision_count", "", _dec(count)
        yield code, period, "decision_days_sum", "", Decimal(str(round(float(total or 0), 2)))
    start = _month_sql("ci.effective_from")
    for code, period, tier, count in _rows(
        f"SELECT ci.region_code, {start} AS m, i.tier, COUNT(*) FROM cases_caseitem ci "
        "JOIN programs_assistanceitem i ON i.id = ci.item_id "
        "WHERE ci.status IN ('approved', 'revoked', 'ended') AND ci.effective_from >= %s "
        "GROUP BY ci.region_code, m, i.tier", [since]
    ):
        yield code, period, "cases_new", "", _dec(count)
        if tier:
            yield code, period, "cases_new_tier", tier, _dec(count)
    end = _month_sql("ci.effective_to")
    for code, period, count in _rows(
        f"SELECT ci.region_code, {end} AS m, COUNT(*) FROM cases_caseitem ci "
        "WHERE ci.status IN ('revoked', 'ended') AND ci.effective_to IS NOT NULL AND ci.effective_to >= %s "
        "GROUP BY ci.region_code, m", [since]
    ):
        yield code, period, "cases_leaving", "", _dec(count)
    for code, status, count in _rows(
        "SELECT ci.region_code, ci.status, COUNT(*) FROM cases_caseitem ci "
        "WHERE ci.decided_at IS NOT NULL AND ci.decided_at >= %s GROUP BY ci.region_code, ci.status", [since]
    ):
        yield code, "", "decisions", status, _dec(count)


# --- alerts and indices (when installed) -----------------------------------------------------

def alerts(since: dt.date) -> Iterator[Row]:
    """Alert counts by level, status and follow-up outcome, per month raised, and their risk types."""
    if not _table_exists("alerts_alert"):
        return
    followups = _table_exists("alerts_followup")
    outcome = "COALESCE(f.outcome, '')" if followups else "''"
    join = "LEFT JOIN alerts_followup f ON f.alert_id = a.id" if followups else ""
    counts: dict[tuple[str, str, str, str], int] = defaultdict(int)
    month = _month_sql("a.created_at")
    for code, level, status, result, risks, period in _rows(
        f"SELECT a.region_code, a.level, a.status, {outcome}, a.risk_types, {month} FROM alerts_alert a {join}"
    ):
        counts[(code, "", "alerts_level", level)] += 1
        counts[(code, "", "alerts_total", "")] += 1
        counts[(code, "", "alerts_status", status)] += 1
        counts[(code, "", "alerts_outcome", result or ("pending" if status == "open" else "closed"))] += 1
        if period and period >= f"{since:%Y-%m}":
            counts[(code, period, "alerts", "")] += 1
        for risk in filter(None, (risks or "").split(",")):
            counts[(code, "", "alert_risk_types", risk)] += 1
    for (code, period, metric, key), count in counts.items():
        yield code, period, metric, key, Decimal(count)


INDEX_BUCKETS = ["0.0–0.2", "0.2–0.4", "0.4–0.6", "0.6–0.8", "0.8–1.0"]


def indices(since: dt.date) -> Iterator[Row]:
    """Distribution of each household's latest hardship and development index (fifths of 0–1),
    the risk types those scores show, and the open roster entries by tier."""
    if not _table_exists("indices_indexscore"):
        return
    latest = ('SELECT s.region_code, s.hardship, s.development, s.risk_types FROM indices_indexscore s '
              'WHERE s."on" = (SELECT MAX(t."on") FROM indices_indexscore t WHERE t.household_id = s.household_id)')
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for code, hardship, development, risks in _rows(latest):
        for metric, value in (("index_hardship", hardship), ("index_development", development)):
            if value is not None:
                counts[(code, metric, INDEX_BUCKETS[max(0, min(4, int(float(value) * 5)))])] += 1
        for risk in filter(None, (risks or "").split(",")):
            counts[(code, "risk_types", risk)] += 1
    for (code, metric, key), count in counts.items():
        yield code, "", metric, key, Decimal(count)
    if _table_exists("indices_rosterentry"):
        for code, tier, count in _rows("SELECT region_code, tier, COUNT(*) FROM indices_rosterentry "
                                       "WHERE until IS NULL GROUP BY region_code, tier"):
            yield code, "", "roster_tier", tier, _dec(count)


SOURCES: list[tuple[str, Callable[[dt.date], Iterator[Row]]]] = [
    ("registry", registry),
    ("results", assistance_records),
    ("results_starts", periodic_starts_and_ends),
    ("cases", cases),
    ("alerts", alerts),
    ("indices", indices),
]

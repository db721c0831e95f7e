"""The refresh of the pre-aggregated figures (the only writer of ``Figure``)."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from dajiuzhu.core.audit import audit_record

from .models import Figure, Refresh
from .sources import SOURCES

PREFIX_LENGTHS = (2, 4, 6, 9, 12)
MONTHS_KEPT = 13


def _since(today: dt.date) -> dt.date:
    year, month = today.year, today.month - (MONTHS_KEPT - 1)
    while month <= 0:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1)


def _prefixes(code: str) -> list[str]:
    """The prefixes a 12-digit code adds up into: 37, 3714, 371424, 371424100 and itself."""
    code = (code or "").ljust(12, "0")[:12]
    out = []
    for length in PREFIX_LENGTHS:
        prefix = code[:length]
        if length == 12 and code[9:] == "000":
            break  # a township-level record adds up only to the township and above
        if length == 9 and code[6:] == "000000":
            break
        out.append(prefix)
    return out


def compute(*, today: dt.date | None = None) -> tuple[dict[tuple[str, str, str, str], Decimal], list[str]]:
    today = today or timezone.localdate()
    since = _since(today)
    totals: dict[tuple[str, str, str, str], Decimal] = defaultdict(Decimal)
    used = []
    for name, source in SOURCES:
        produced = False
        for code, period, metric, key, value in source(since):
            produced = True
            for prefix in _prefixes(code):
                totals[(prefix, period or "", metric, (key or "")[:60])] += value
        if produced:
            used.append(name)
    return totals, used


PARENT_LENGTH = {2: 0, 4: 2, 6: 4, 9: 6, 12: 9}


def _write(totals: dict[tuple[str, str, str, str], Decimal]) -> None:
    rows = ((p, p[:PARENT_LENGTH[len(p)]], period, m, k, v.quantize(Decimal("0.01")))
            for (p, period, m, k), v in totals.items())
    if connection.vendor == "postgresql":
        table = Figure._meta.db_table
        with connection.cursor() as cursor:
            columns = "region_prefix, parent_prefix, period, metric, key, value"
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"ANALYZE {table}")
        return
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {Figure._meta.db_table} (region_prefix, parent_prefix, period, metric, key, "
                           "value) VALUES (%s, %s, %s, %s, %s, %s)", list(rows))


@transaction.atomic
def dashboards_refresh(*, actor=None, today: dt.date | None = None) -> Refresh:
    """Recompute every figure from the raw records and replace the table in one transaction
    (readers see the old figures until the commit, then the new ones)."""
    started = time.perf_counter()
    totals, used = compute(today=today)
    Figure.objects.all().delete()
    _write(totals)
    seconds = time.perf_counter() - started
    refresh, _created = Refresh.objects.update_or_create(
        region_prefix="", defaults={"refreshed_at": timezone.now(), "seconds": seconds, "figures": len(totals),
                                    "sources": used},
    )
    audit_record(actor=actor, action="dashboards.refresh", object_type="dashboards.refresh", object_id="all",
                 new={"figures": len(totals), "seconds": round(seconds, 3), "sources": used})
    return refresh

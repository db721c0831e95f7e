"""A per-process copy of the catalogue for the instant decision: items (with their current rule version
and "not together with" links), standards and standard labels.

The catalogue changes a few times a year and is read by every decision, so each process keeps what it
read and checks, with **one** small query per use (``catalogue_stamp``), that nothing changed since:

- items: how many, the latest ``updated_at`` and the sum of ``current_version_id`` (a new rule version
  always has a higher id than any before it, so pointing an item at one raises the sum — also through
  ``QuerySet.update``, as ``new_rule_version`` does);
- "not together with": how many links and a checksum of the pairs;
- standards: how many, the latest ``updated_at`` and the sum of the amounts.

Any catalogue write (``item_create``, ``item_update``, ``standard_set``, the admin, the demo loader,
a ``bulk_create``) changes the stamp, so the next decision of every process reloads. The stamp is
read before the data, so a copy is never older than its stamp (at worst newer, which only costs a
reload). A write rolled back never shows in the stamp of another transaction; a copy read inside a
transaction that is rolled back carries the stamp of what it read, which no committed state has
again (the timestamps of later writes differ).

What the stamp does not see: a raw SQL or ``QuerySet.update`` change of an item field other than
the current version, or of a standard's label, that leaves counts, timestamps and amounts alone.
The services never do that (every change goes through ``save()`` and a new rule version); a script
that does must call ``catalogue_clear()`` (or restart the web processes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from decimal import Decimal

from django.db import connection

from .models import AssistanceItem, Standard


def stamp_columns() -> str:
    """The stamp as a select list of uncorrelated scalar subqueries (``STAMP_WIDTH`` columns): another
    statement may carry it (the instant decision's household lock does), to spare a round trip."""
    items, standards = AssistanceItem._meta.db_table, Standard._meta.db_table
    links = AssistanceItem.excludes.through._meta.db_table
    return (f"(SELECT COUNT(*) FROM {items}), (SELECT MAX(updated_at) FROM {items}),"
            f" (SELECT SUM(current_version_id) FROM {items}),"
            f" (SELECT COUNT(*) FROM {links}),"
            f" (SELECT SUM(from_assistanceitem_id * 1000003 + to_assistanceitem_id) FROM {links}),"
            f" (SELECT COUNT(*) FROM {standards}), (SELECT MAX(updated_at) FROM {standards}),"
            f" (SELECT SUM(amount) FROM {standards})")


STAMP_WIDTH = 8


def _stamp_sql() -> str:
    return "SELECT " + stamp_columns()


def stamp_of(values) -> tuple:
    """The stamp from the ``stamp_columns`` values as read."""
    # Normalise what the drivers return (SQLite: text timestamps, float sums) so equal states compare equal.
    return tuple(str(v) if v is not None else None for v in values)


def catalogue_stamp() -> tuple:
    """What changes whenever the catalogue or a standard changes (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql())
        row = cursor.fetchone()
    return stamp_of(row)


@dataclasses.dataclass
class Catalogue:
    stamp: tuple
    items: list[AssistanceItem]  # in the catalogue's order, current version and excludes loaded
    by_code: dict[str, AssistanceItem]
    _standards: dict = dataclasses.field(default_factory=dict)
    _labels: dict | None = None
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def standards(self, *, on: dt.date, region_code: str) -> dict[str, Decimal]:
        """``selectors.standards_for`` (read once per county, area and year)."""
        from .selectors import area_of, standards_for

        key = (region_code[:6], area_of(region_code), on.year)
        hit = self._standards.get(key)
        if hit is None:
            hit = standards_for(on=on, region_code=region_code)
            with self._lock:
                self._standards[key] = hit
        return dict(hit)

    def labels(self) -> dict[str, str]:
        """``selectors.standard_labels`` (read once)."""
        from .selectors import standard_labels

        if self._labels is None:
            self._labels = standard_labels()
        return self._labels

    def tier_items(self) -> list[AssistanceItem]:
        """Active items with rules that confer a tier (what ``tier_facts`` derives the tier facts from)."""
        return [i for i in self.items if i.active and i.current_version_id is not None and i.tier]


_current: Catalogue | None = None


def catalogue(stamp: tuple | None = None) -> Catalogue:
    """The catalogue as of now: the process's copy if the stamp is unchanged, else read afresh.

    ``stamp``: the stamp (``stamp_of``) just read by the caller in one of its own statements of this
    transaction; otherwise it is read here."""
    global _current
    stamp = catalogue_stamp() if stamp is None else stamp
    held = _current
    if held is not None and held.stamp == stamp:
        return held
    items = list(AssistanceItem.objects.select_related("current_version").prefetch_related("excludes"))
    fresh = Catalogue(stamp=stamp, items=items, by_code={i.code: i for i in items})
    _current = fresh
    return fresh


def catalogue_clear() -> None:
    """Forget the process's copy (the next use reads the catalogue again)."""
    global _current
    _current = None

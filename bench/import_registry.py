"""Import of the registry file (社会救助对象信息登记表): rows/s, peak memory, and PostgreSQL's own COPY.

Writes the synthetic county (``registry.synthetic``, the demo generator) as a CSV file in the
registry template — one row per member, household facts on the head's row — and imports it
through the real pipeline (``registry.importing.registry_import``: scan, validation with the
form validators, encryption and blind index, staging by COPY, merge in SQL, audit per batch), with
the worker processes the settings give (``IMPORT_WORKERS``: one per core by default). References:
PostgreSQL's ``COPY`` of the same file into a plain table of text columns, nothing validated; the
same import in one process (``workers=1``, the import before it had workers); and the write floor,
PostgreSQL's own COPY of exactly the rows the import wrote into copies of its five tables with the
same indexes: what the server must do for this import whatever the client does.

The benchmark database already holds the synthetic registry of the same seed, so the file's ID
numbers are shifted into the sequence range 200–599 (the generator uses 600–999): every person
in the file is new and the import creates the whole registry again. The imported rows are
deleted afterwards, so the module can run again. A second figure imports the same file again:
nothing changes (the idempotent path: match by blind index, compare, write nothing).

Wall time on a shared machine mostly measures the other jobs, so the module also reports the CPU the
import used per row: the importing processes (every worker, both threads) and the PostgreSQL server
(every server process, read from ``/proc`` when the server runs on the same machine), with the phase
timings in the notes.

Standalone: ``python -m bench --only import_registry --people 1000000``.
"""

from __future__ import annotations

import contextlib
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


def _server_cpu() -> float | None:
    """CPU seconds used so far by the whole PostgreSQL server: the postmaster, the processes it has reaped
    (backends that ended, e.g. those of the import's worker processes) and the ones still running (backends,
    WAL writer, checkpointer, autovacuum). None when the server is not on this machine."""
    from django.db import connection

    tick = os.sysconf("SC_CLK_TCK")

    def stat(pid: int) -> list[str]:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        postmaster = int(stat(backend)[1])
        fields = stat(postmaster)
        total = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    child = stat(int(entry))
                    if int(child[1]) == postmaster:
                        total += int(child[11]) + int(child[12])
        return total / tick
    except (OSError, IndexError, ValueError):
        return None


def _python_cpu() -> float:
    """CPU seconds of this process and of its ended child processes (the import's workers, once joined)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


_FLOOR_TABLES = (  # what an import of new people writes, and which rows are the import's
    ("registry_household", "id", "household"),
    ("registry_person", "id", "person"),
    ("registry_membership", "person_id", "person"),
    ("registry_memberfacts", "person_id", "person"),
    ("registry_householdfacts", "household_id", "household"),
)


def write_floor(floors: dict, directory: Path, *, connections: int = 1) -> dict:
    """PostgreSQL alone writing what the import wrote: the rows the import created, COPYed (text) into copies of
    the five tables with the same indexes and checks (no foreign keys: the import checks those set-based), on
    ``connections`` connections at once (each a share of every table's rows, in one transaction). Seconds and
    server CPU seconds."""
    import threading

    import psycopg
    from django.db import connection

    directory.mkdir(parents=True, exist_ok=True)
    files: list[list[Path]] = [[] for _c in range(connections)]
    with connection.cursor() as cursor:
        for table, key, floor in _FLOOR_TABLES:
            outs = [open(directory / f"{table}.{n}.copy", "wb") for n in range(connections)]  # noqa: SIM115
            try:
                with cursor.cursor.copy(f"COPY (SELECT * FROM {table} WHERE {key} > {int(floors[floor])}) "
                                        "TO STDOUT") as source:
                    for number, line in enumerate(source):  # one row per chunk in text format
                        outs[number % connections].write(line)
            finally:
                for out in outs:
                    out.close()
            for n in range(connections):
                files[n].append(directory / f"{table}.{n}.copy")
            cursor.execute(f"DROP TABLE IF EXISTS bench_floor_{table}")
            cursor.execute(f"CREATE TABLE bench_floor_{table} (LIKE {table} INCLUDING ALL)")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    errors: list[BaseException] = []

    def load(share: list[Path]) -> None:
        try:
            with psycopg.connect(**params) as own, own.cursor() as cursor:
                for (table, _key, _floor), path in zip(_FLOOR_TABLES, share, strict=True):
                    with open(path, "rb") as source, cursor.copy(f"COPY bench_floor_{table} FROM STDIN") as sink:
                        while chunk := source.read(1 << 20):
                            sink.write(chunk)
                own.commit()
        except BaseException as exc:  # noqa: BLE001 - raised below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(share,)) for share in files]
    cpu_before = _server_cpu()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    cpu_after = _server_cpu()
    with connection.cursor() as cursor:
        for table, _key, _floor in _FLOOR_TABLES:
            cursor.execute(f"DROP TABLE bench_floor_{table}")
    for share in files:
        for path in share:
            path.unlink()
    if errors:
        raise errors[0]
    return {"seconds": seconds, "server_cpu": cpu_after - cpu_before if cpu_before is not None else None}


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
    report = path.with_suffix(".errors.csv")

    def timed_import(workers: int | None):
        """One import of the file into the registry: the result, and CPU of Python and of the server."""
        python_before, server_before = _python_cpu(), _server_cpu() if connection.vendor == "postgresql" else None
        result = registry_import(actor=None, path=path, batch_rows=BATCH_ROWS, report_path=report, workers=workers)
        server_after = _server_cpu() if server_before is not None else None
        return result, _python_cpu() - python_before, (server_after - server_before if server_after is not None
                                                       else None)

    marker = Job.objects.create(kind="bench.import_registry", status=Job.Status.RUNNING, params=floors)
    floor = single = None
    try:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result, python_cpu, server_cpu = timed_import(None)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        again = None
        if people <= REIMPORT_UP_TO:  # the idempotent path, measured where it keeps the run short
            again = registry_import(actor=None, path=path, batch_rows=BATCH_ROWS, report_path=report)
        if connection.vendor == "postgresql":
            floor = {n: write_floor(floors, path.parent / "floor", connections=n) for n in (1, 2)}
        if result.workers > 1:  # the reference: the same import in one process (as before the workers)
            _cleanup(floors)
            single = timed_import(1)
    finally:
        _cleanup(floors)
        marker.delete()

    rows = result.counts.rows
    seconds = result.seconds["total"]
    rate = rows / seconds
    if floor is not None:  # what the server alone does with these rows, on both cores
        reference = ("write floor: PostgreSQL alone COPYing the imported rows into the five tables' copies, "
                     "two connections", round(rows / floor[2]["seconds"]))
    else:
        reference = ("", None)
    figures.append({"name": "import rows/s (new registry, validated, encrypted, merged)", "value": round(rate),
                    "unit": "rows/s", "target": TARGET_ROWS_PER_S, "better": "higher",
                    "reference": reference[0], "reference_value": reference[1]})
    figures.append({"name": "import time", "value": round(seconds, 1), "unit": "s", "better": "lower",
                    "reference": "PostgreSQL COPY of the same file into a plain text table",
                    "reference_value": round(copy_seconds, 2) if copy_seconds else None})
    figures.append({"name": "worker processes", "value": result.workers, "unit": "", "better": "higher"})
    if single is not None:
        figures.append({"name": "import rows/s in one process (workers=1)",
                        "value": round(rows / single[0].seconds["total"]), "unit": "rows/s", "better": "higher"})
    if floor is not None:
        for n, words in ((1, "one connection"), (2, "two connections")):
            figures.append({"name": f"write floor: PostgreSQL alone writing the imported rows ({words})",
                            "value": round(rows / floor[n]["seconds"]), "unit": "rows/s", "better": "higher"})
        if floor[1]["server_cpu"] is not None:
            figures.append({"name": "write floor: PostgreSQL CPU per row", "value": round(
                floor[1]["server_cpu"] / rows * 1e6, 1), "unit": "µs", "better": "lower"})
    if again is not None:
        figures.append({"name": "re-import of the same file (nothing changes)",
                        "value": round(rows / again.seconds["total"]), "unit": "rows/s", "better": "higher"})
    figures.append({"name": "CPU of the importing processes per row (all workers, both threads each)",
                    "value": round(python_cpu / rows * 1e6, 1), "unit": "µs", "better": "lower"})
    if server_cpu is not None:
        figures.append({"name": "CPU of PostgreSQL per row (every server process)",
                        "value": round(server_cpu / rows * 1e6, 1), "unit": "µs", "better": "lower"})
    figures.append({"name": "peak RSS after the import", "value": round(rss_after / 1024), "unit": "MB",
                    "better": "lower", "reference": "peak RSS before the import",
                    "reference_value": round(rss_before / 1024)})
    phase = result.seconds
    notes = (f"{rows:,} rows ({size_mb:.0f} MB, written in {generate_seconds:.0f} s when not cached), "
             f"{result.counts.households_created:,} households created, {result.counts.rows_rejected} rows rejected, "
             f"{result.batches} batches of ~{BATCH_ROWS:,} rows, {result.workers} worker process(es). Phases "
             f"(scan is wall time; the others are summed over the workers, and validation runs in a second thread "
             f"beside each worker's merge): scan {phase['scan']:.1f} s, validate {phase['validate']:.1f} s, merge "
             f"{phase['merge']:.1f} s = prepare {phase.get('merge_prepare', 0):.1f} s (blind index, registry read, "
             f"numbers, AES-GCM) + plan {phase.get('merge_plan', 0):.1f} s + write {phase.get('merge_write', 0):.1f} s "
             f"(COPY, SQL) + check {phase.get('merge_check', 0):.1f} s (foreign keys of the new rows, set-based"
             + ("" if bulk_checks else ": not used, this role may not set session_replication_role")
             + f") + commit {phase.get('merge_commit', 0):.1f} s (deferred foreign-key checks), total "
             f"{phase['total']:.1f} s. CPU: importing processes {python_cpu:.1f} s"
             + (f", PostgreSQL {server_cpu:.1f} s" if server_cpu is not None else "")
             + f"; machine load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores. References: "
             "PostgreSQL's own COPY of the same file into one table of text columns (no validation, no encryption, "
             "no indexes, no foreign keys); the write floor, PostgreSQL's COPY of exactly the rows this import wrote "
             "into copies of the five tables with their indexes and checks (what the server must do whatever the "
             "client).")
    if floor is not None:
        notes += " Write floor: " + "; ".join(
            f"{n} connection(s) {floor[n]['seconds']:.1f} s"
            + (f", server CPU {floor[n]['server_cpu']:.1f} s" if floor[n]["server_cpu"] is not None else "")
            for n in (1, 2)) + "."
    if single is not None:
        notes += (f" One process: {single[0].seconds['total']:.1f} s, CPU Python {single[1]:.1f} s"
                  + (f", PostgreSQL {single[2]:.1f} s" if single[2] is not None else "") + ".")
    if again is not None:
        notes += (f" Re-import: {again.counts.households_unchanged:,} households unchanged, "
                  f"{again.counts.members_updated} members updated, {again.seconds['total']:.1f} s, "
                  f"{again.workers} worker(s).")
    return {"figures": figures, "notes": notes, "counts": result.counts.as_dict(), "seconds": result.seconds}

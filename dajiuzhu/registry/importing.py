"""Merging a registry file (社会救助对象信息登记表) into the registry: 数出一源, one source of data.

A file in ``registry.template`` is read twice, streamed, never whole:

1. **Scan**: count the rows, find where each household (户编号) ends, and find every ID
   number that appears more than once (numpy over 64-bit integers: a person in two
   households of one file is refused before anything is written).
2. **Merge**: rows are grouped into households and validated with the same validators as the
   forms (``registry.validation``). The household is the unit of acceptance: one invalid row
   sends every row of its household to the error report. Valid households are merged in
   batches, each batch one transaction with one audit event: people are matched by the blind
   index of their ID number and updated, never duplicated; a household whose members are all
   new is created with registry numbering. The validated, encrypted batch goes into staging
   tables (``COPY`` on PostgreSQL) and is merged with ``INSERT … ON CONFLICT`` / ``UPDATE …
   FROM`` (``core.intake.staging``).

Only what differs is written, so importing the same file again changes nothing: equal facts
give no new observation and the counts say "unchanged". A column missing from the file (or a
cell left empty) leaves the stored value as it is.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import dataclasses
import datetime as dt
import gc
import heapq
import itertools
import operator
import os
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dajiuzhu.core import crypto, fkchecks, regioncodes
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import Forbidden
from dajiuzhu.core.ids import mask_id_number, mask_phone, normalise_id_number
from dajiuzhu.core.intake import (
    ErrorReport,
    FileRefused,
    HeaderMap,
    Table,
    cell_problem,
    cell_text,
    file_digest,
    open_table,
)
from dajiuzhu.core.intake.cells import is_large_number_cell
from dajiuzhu.core.intake.report import report_rows
from dajiuzhu.core.intake.sealed import SUFFIX as SEALED_SUFFIX
from dajiuzhu.core.intake.staging import allocate_ids, drop_stage, load_rows, param, stage
from dajiuzhu.core.intake.template import column_letter
from dajiuzhu.core.normalise import clean_text, parse_date

from .models import FactSource, Relation
from .numbering import reserve_household_numbers
from .policies import can_register_in
from .template import HOUSEHOLD_FACT_KEYS, MEMBER_FACT_KEYS, REGISTRY_TEMPLATE
from .validation import (
    MONEY_FIELDS,
    MemberInput,
    RowInvalid,
    check_region_code,
    parse_household_facts,
    parse_household_facts_many,
    parse_member,
    parse_members,
)

DEFAULT_BATCH_ROWS = 10_000  # rows per transaction: about eight statements and one audit event each
_CHECK_VALUES = {c: i for i, c in enumerate("0123456789X")}
_SUSPECT = re.compile("\x1f[ \u3000]*[=+\\-@\t\r\n]|[<:]")  # a cell starting like a formula, or markup/script


def _suspect(text: str) -> bool:
    """``_SUSPECT.search(text)`` for a whole batch joined with \x1f, without walking it character by character:
    a match needs one of ``=+@<:`` or a tab/CR/LF somewhere, or a cell starting with ``-`` or a space (found with
    substring searches, a few times faster than the regex on a 2 MB batch); only then does the regex run."""
    if any(c in text for c in "=+@<:\t\r\n") or "\x1f-" in text or "\x1f " in text or "\x1f\u3000" in text:
        return _SUSPECT.search(text) is not None
    return False


PERSON_OPTIONAL = ("phone", "hukou_region_code", "ethnicity", "marital_status", "education")


@dataclasses.dataclass
class ImportCounts:
    rows: int = 0
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    households_rejected: int = 0
    members_created: int = 0
    members_updated: int = 0
    members_unchanged: int = 0
    rows_rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    def add(self, other: ImportCounts) -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


@dataclasses.dataclass
class ImportResult:
    counts: ImportCounts
    digest: str
    source: str  # "CSV file, encoding utf-8" / "XLSX file, sheet 登记表"
    report_path: Path | None
    unknown_columns: list[str]
    batches: int
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)  # scan, validate, merge
    workers: int = 1  # processes that validated and merged (``import_workers``)

    def as_dict(self) -> dict:
        return {"counts": self.counts.as_dict(), "digest": self.digest, "source": self.source,
                "report": str(self.report_path) if self.report_path else "", "unknown_columns": self.unknown_columns,
                "batches": self.batches, "workers": self.workers, "seconds": self.seconds}


@dataclasses.dataclass
class PlannedMember:
    row: int
    member: MemberInput
    given: frozenset[str]  # optional person and fact fields the file gives for this row
    id_hash: str = ""  # blind indexes, computed by the validating thread (``_Importer.seal``)
    phone_hash: str = ""


@dataclasses.dataclass
class PlannedHousehold:
    key: str
    rows: list[tuple[int, tuple]]
    members: list[PlannedMember]
    head: int  # index into members
    region_code: str
    hukou_region_code: str | None  # None: not given
    address: str | None
    facts: dict  # household facts given in the head's row
    as_of: dt.date


@dataclasses.dataclass
class _Scan:
    rows: int
    ordinals: dict[str, int]
    last_row: array.array
    duplicates: dict[int, list[int]]  # id value → household ordinals it appears in (one per row)
    keys_of: dict[int, str]  # ordinal → household key, for the households with duplicates
    # For cutting the file into worker parts by village: each household's residence cell as written on its
    # first row (a number per distinct text) and its number of rows.
    residence: array.array = dataclasses.field(default_factory=lambda: array.array("q"))
    sizes: array.array = dataclasses.field(default_factory=lambda: array.array("q"))


def registry_import(
    *,
    actor,
    path: str | Path,
    filename: str = "",
    report_path: str | Path | None = None,
    report_stem: str = "",
    job=None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    today: dt.date | None = None,
    progress: Callable[[int, int, ImportCounts], None] | None = None,
    workers: int | None = None,
) -> ImportResult:
    """Import a registry file as ``actor`` (None: the system, no jurisdiction limit).

    Raises ``FileRefused`` (nothing written) when the file itself cannot be used; otherwise
    every row is either merged or in the error report, and the result says how many of each.
    ``workers``: processes that validate and merge at once (None: ``settings.IMPORT_WORKERS``; see
    ``import_workers`` for when a file is imported by one process anyway).
    """
    if actor is not None and not actor.has_perm_code("registry.import"):
        raise Forbidden(_("you may not import registry files"))
    path = Path(path)
    digest = file_digest(path)
    with _fewer_collections(), open_table(path, REGISTRY_TEMPLATE, filename=filename or path.name) as table:
        importer = _Importer(actor=actor, table=table, digest=digest, job=job, batch_rows=batch_rows,
                             today=today or timezone.localdate(), progress=progress,
                             report_path=Path(report_path) if report_path else _default_report_path(table, digest,
                                                                                                    report_stem))
        return importer.run(filename=filename or path.name, workers=workers)


_collections_lock = threading.Lock()
_collections_users = 0
_collections_saved: tuple = ()


@contextlib.contextmanager
def _fewer_collections():
    """Run the cyclic garbage collector less often while importing (restored afterwards).

    An import creates millions of short-lived objects (rows, cells, plans) while a batch stays alive, and
    the default thresholds make the collector walk the live batch again and again: about a third of the
    validation's CPU. Nothing of the import forms reference cycles; reference counting frees it.
    """
    global _collections_users, _collections_saved
    with _collections_lock:
        if _collections_users == 0:
            _collections_saved = gc.get_threshold()
            gc.set_threshold(50_000, 20, 100)
        _collections_users += 1
    try:
        yield
    finally:
        with _collections_lock:
            _collections_users -= 1
            if _collections_users == 0:
                gc.set_threshold(*_collections_saved)


def import_workers(rows: int, batch_rows: int, wanted: int | None = None) -> int:
    """How many processes import a file of ``rows`` rows: ``wanted`` (None: ``settings.IMPORT_WORKERS``, where 0
    means one per core, at most four), but one where more would not help or would not be safe.

    More than one needs PostgreSQL (SQLite has one writer), a connection outside any transaction (each process
    commits its own batches: a caller's transaction could not hold them), a process that may fork (one thread
    only: a fork copies locks that other threads hold), and at least two batches per worker.
    """
    if wanted is None:
        wanted = settings.IMPORT_WORKERS or min(os.cpu_count() or 1, 4)
    wanted = min(wanted, rows // max(batch_rows * 2, 1))
    if wanted <= 1:
        return 1
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    if threading.active_count() > 1 or not hasattr(os, "fork"):
        return 1
    return wanted


def _fork(target: Callable, *args) -> int:
    """Run ``target(*args)`` in a forked child process; its pid. The child never returns into the caller's
    stack: it ends with ``os._exit`` (no ``atexit``, no ``finally`` of the parent's frames run twice).

    ``os.fork`` rather than ``multiprocessing``: a Celery (billiard) pool process is marked as a daemon, and
    ``multiprocessing`` refuses to start children from a daemon process. The child takes the default
    handlers of SIGTERM and SIGINT back (not the pool's).
    """
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _die_with_parent(parent)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        target(*args)
        code = 0
    finally:
        os._exit(code)


PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this (forked) process the moment its parent dies (Linux ``prctl``), so a worker
    of an import whose process was killed (``kill -9``, the out-of-memory killer, a gunicorn or Celery
    timeout) stops at once and its open batch rolls back with its connection. The signal fires when the
    *thread* that forked ends, which outlives the workers (it waits for them). Elsewhere, and as a second
    guard, every batch checks its parent before it commits (``_Importer.flush``)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the per-batch check remains
            pass
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)


class ParentGone(SystemExit):
    """The importing process is gone: a worker stops before committing another batch."""


def _picklable(exc: BaseException) -> BaseException:
    """``exc`` if it survives the pipe to the parent, else a RuntimeError with its type and message."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - the bytes made on the line itself
        return exc
    except Exception:  # noqa: BLE001 - any failure to pickle
        return RuntimeError(f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}")


def _default_report_path(table: Table, digest: str, stem: str = "") -> Path:
    """Under ``VAR_DIR/reports`` (not web-public), in the format of the imported file, sealed (``.enc``)."""
    stem = stem or f"registry-{timezone.now():%Y%m%d-%H%M%S}-{digest[:12]}"
    return Path(settings.VAR_DIR) / "reports" / f"{stem}.{table.kind}.enc"


def _id_value(number: str) -> int | None:
    """An 18-character ID number as one 64-bit integer (17 digits × 11 + check)."""
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in _CHECK_VALUES:
        return None
    return int(number[:17]) * 11 + _CHECK_VALUES[number[17]]


class _Importer:
    def __init__(self, *, actor, table: Table, digest: str, job, batch_rows: int, today: dt.date, progress,
                 report_path: Path):
        from dajiuzhu.regions.models import Region

        self.actor = actor
        self.table = table
        self.header_map: HeaderMap = table.header_map
        self.digest = digest
        self.job = job
        self.batch_rows = batch_rows
        self.today = today
        self.progress = progress
        self.report = ErrorReport(report_path, self.header_map.headers)
        self.counts = ImportCounts()
        self.levels = dict(Region.objects.values_list("code", "level"))
        self.known_codes = frozenset(self.levels)
        self._allowed: dict[str, bool] = {}
        self._labels: dict[str, str] = {}
        self.batches = 0
        self.workers = 1  # processes that validate and merge (``run`` decides)
        self.parent_pid = 0  # in a worker process: the importing process, checked before every commit
        self.seconds = {"scan": 0.0, "validate": 0.0, "merge": 0.0}
        # Inside the merge (main thread): prepare (blind index, reading the registry, numbers, encryption), plan
        # (deciding what changes, Python), write (COPY and SQL), check (the set-based foreign-key check of the rows
        # copied without row triggers, ``checks_in_bulk``), commit (deferred foreign-key checks, WAL flush).
        self.merge_seconds = {"prepare": 0.0, "plan": 0.0, "write": 0.0, "check": 0.0, "commit": 0.0}
        self.lock = threading.Lock()  # the error report and the counts are shared by the two threads
        index = self.header_map.index
        self._key_at = index["household_key"]
        self._id_at = index["id_number"]
        self._fact_defaults = parse_household_facts({})
        self._residences: dict[str, tuple[str, list[str]]] = {}
        self._text_cells = table.kind == "csv"  # CSV cells are text already
        if actor is not None:
            actor.jurisdiction_prefix  # noqa: B018 - loads the actor's region now: the validating thread never queries
        self.checks_in_bulk = checks_in_bulk_allowed()

    # -- helpers ---------------------------------------------------------------------------
    def label(self, key: str) -> str:
        """The column as the user knows it: ``公民身份号码 (C)``."""
        if key not in self._labels:
            if self.header_map.present(key):
                self._labels[key] = self.header_map.column_name(key)
            else:
                column = REGISTRY_TEMPLATE.by_key.get(key)
                self._labels[key] = column.header if column else key
        return self._labels[key]

    def position_label(self, position: int) -> str:
        headers = self.header_map.headers
        header = headers[position] if position < len(headers) and headers[position] else ""
        return f"{header} ({column_letter(position)})" if header else column_letter(position)

    def may_register(self, region_code: str) -> bool:
        if self.actor is None:
            return True
        if region_code not in self._allowed:
            self._allowed[region_code] = can_register_in(self.actor, region_code)
        return self._allowed[region_code]

    def residence(self, value: object) -> tuple[str, list[str]]:
        """The residence code of a row and its problems (the same text gives the same answer: cached)."""
        text = value if isinstance(value, str) else cell_text(value)
        cached = self._residences.get(text)
        if cached is None:
            problems: list[tuple[str, str]] = []
            region = check_region_code(text, "region_code", problems, known_codes=self.known_codes)
            if region and self.levels.get(region, 0) < regioncodes.LEVEL_TOWNSHIP:
                problems.append(("region_code", _("must be the code of a village or township, got %(code)s")
                                 % {"code": region}))
            elif region and not self.may_register(region):
                problems.append(("region_code", _("%(code)s is outside your jurisdiction") % {"code": region}))
            cached = (region, [f"{self.label(f)}: {r}" for f, r in problems])
            if len(self._residences) < 100_000:
                self._residences[text] = cached
        return cached[0], list(cached[1])

    def _key(self, number: int, values: tuple) -> str:
        value = values[self._key_at] if self._key_at < len(values) else None
        if value.__class__ is str and value.isascii() and value.isalnum():  # "H00000001": clean already
            return value
        key = clean_text(cell_text(value))
        return key or f"\x00{number}"

    def _id_of(self, values: tuple) -> int | None:
        value = values[self._id_at] if self._id_at < len(values) else None
        if type(value) is str and len(value) == 18:  # the common case, already clean: skip normalising
            number = _id_value(value)
            if number is not None:
                return number
        return _id_value(normalise_id_number(cell_text(value)))

    # -- pass 1 ------------------------------------------------------------------------------
    def scan(self) -> _Scan:
        ordinals: dict[str, int] = {}
        last_row = array.array("q")
        ids = array.array("q")
        owners = array.array("q")
        residence, sizes, residences = array.array("q"), array.array("q"), {}
        region_at = self.header_map.index.get("region_code", 1 << 30)
        rows = 0
        for number, values in self.table.rows():
            rows += 1
            key = self._key(number, values)
            ordinal = ordinals.get(key)
            if ordinal is None:
                ordinal = ordinals[key] = len(last_row)
                last_row.append(number)
                text = values[region_at] if region_at < len(values) else ""
                text = text if text.__class__ is str else cell_text(text)
                residence.append(residences.setdefault(text, len(residences)))
                sizes.append(1)
            else:
                last_row[ordinal] = number
                sizes[ordinal] += 1
            value = self._id_of(values)
            if value is not None:
                ids.append(value)
                owners.append(ordinal)
        duplicates: dict[int, list[int]] = {}
        if len(ids) > 1:
            values_np = np.frombuffer(ids, dtype=np.int64)
            owners_np = np.frombuffer(owners, dtype=np.int64)
            order = np.argsort(values_np, kind="stable")
            ordered = values_np[order]
            repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
            if repeated.size:
                for position in np.unique(np.concatenate([repeated, repeated + 1])):
                    duplicates.setdefault(int(ordered[position]), []).append(int(owners_np[order[position]]))
        involved = {o for owner_list in duplicates.values() for o in owner_list}
        keys_of = {o: k for k, o in ordinals.items() if o in involved} if involved else {}
        return _Scan(rows=rows, ordinals=ordinals, last_row=last_row, duplicates=duplicates, keys_of=keys_of,
                     residence=residence, sizes=sizes)

    def households(self, scan: _Scan, part: tuple[bytes, int] | None = None
                   ) -> Iterator[tuple[str, list[tuple[int, tuple]]]]:
        """Pass 2: rows grouped into households, each yielded at its last row (with ``part``, ``(owner, index)``:
        only the households whose ordinal ``owner`` gives to worker ``index``)."""
        open_groups: dict[int, list[tuple[int, tuple]]] = {}
        owner, mine = part if part is not None else (b"", 0)
        for number, values in self.table.rows():
            key = self._key(number, values)
            ordinal = scan.ordinals[key]
            if owner and owner[ordinal] != mine:
                continue
            group = open_groups.get(ordinal)
            if group is None:
                group = open_groups[ordinal] = []
            group.append((number, values))
            if scan.last_row[ordinal] == number:
                del open_groups[ordinal]
                yield key, group

    # -- run ---------------------------------------------------------------------------------
    def run(self, *, filename: str, workers: int | None = None) -> ImportResult:
        started = time.perf_counter()
        scan = self.scan()
        self.seconds["scan"] = time.perf_counter() - started
        if scan.rows == 0:
            raise FileRefused(_("the file has a header row but no data rows"))
        self._report_progress(0, scan.rows)
        owner, parts = self.parts(scan, import_workers(scan.rows, self.batch_rows, workers))
        self.workers = parts
        if parts > 1:
            self._run_parts(scan, owner, parts)
        else:
            self._pipeline(scan, None, scan.rows)
        report_path = self.report.close()
        self.seconds["total"] = time.perf_counter() - started
        seconds = {**self.seconds, **{f"merge_{k}": v for k, v in self.merge_seconds.items()}}
        result = ImportResult(counts=self.counts, digest=self.digest, source=self.table.describe(),
                              report_path=report_path, unknown_columns=self.header_map.unknown, batches=self.batches,
                              seconds={k: round(v, 3) for k, v in seconds.items()}, workers=self.workers)
        with transaction.atomic():
            audit_record(actor=self.actor, action="registry.import", object_type="core.job" if self.job else "file",
                         object_id=str(self.job.pk) if self.job else self.digest[:16], region_code=self._region(),
                         new={"file": filename, "digest": self.digest, "source": result.source,
                              "counts": self.counts.as_dict(), "batches": self.batches, "workers": self.workers,
                              "report": report_path.name if report_path else ""})
        return result

    def _pipeline(self, scan: _Scan, part: tuple[bytes, int] | None, total: int) -> None:
        """Validate (second thread) and merge (this thread) the households of ``part`` (None: all), batch by
        batch."""
        # Validation runs in a second thread while this one merges the previous batch: the merge mostly
        # waits on the database (the GIL is free then), so the two overlap. Only this thread uses the database.
        batches: queue.Queue = queue.Queue(maxsize=1)
        stop = threading.Event()
        producer = threading.Thread(target=self._produce, args=(scan, part, batches, stop, translation.get_language()),
                                    name="registry-import-validate", daemon=True)
        producer.start()
        done = 0
        try:
            while True:
                kind, batch, rows = batches.get()
                if kind == "error":
                    raise batch
                if batch:
                    self.flush(batch)
                done += rows
                self._report_progress(done, total)
                if kind == "end":
                    break
        finally:
            stop.set()
            producer.join(timeout=60)

    # -- several worker processes ---------------------------------------------------------------
    @staticmethod
    def parts(scan: _Scan, workers: int) -> tuple[bytes, int]:
        """Which worker imports each household (``owner[ordinal]``), and how many workers get any.

        Every household of one village goes to the same worker (by the residence written on its first row):
        a batch holds its villages' numbering locks until it commits, so two workers numbering households of
        the same villages would take turns, batch after batch. Villages are dealt largest first to the worker
        with the fewest rows so far. When that cannot balance the rows (a file of one or two villages), the
        households are cut into runs of the file instead, and the workers share villages.
        """
        households = len(scan.last_row)
        workers = max(1, min(workers, households))
        if workers == 1:
            return b"", 1
        sizes = np.frombuffer(scan.sizes, dtype=np.int64)
        residence = np.frombuffer(scan.residence, dtype=np.int64)
        load = np.bincount(residence, weights=sizes)
        worker_of = np.zeros(len(load), dtype=np.uint8)
        totals = [0.0] * workers
        for village in np.argsort(-load, kind="stable"):
            lightest = totals.index(min(totals))
            worker_of[village] = lightest
            totals[lightest] += load[village]
        if max(totals) <= 1.25 * scan.rows / workers:
            owner = worker_of[residence]
        else:  # runs of about as many rows, in order of appearance
            ends = np.cumsum(sizes)
            owner = np.minimum(((ends - 1) * workers) // max(int(ends[-1]), 1), workers - 1)
        used = np.unique(owner)
        if len(used) < workers:  # number the workers that have households 0, 1, …
            owner = np.searchsorted(used, owner)
        return owner.astype(np.uint8).tobytes(), len(used)

    def _run_parts(self, scan: _Scan, owner: bytes, parts: int) -> None:
        """Each part in its own process (forked: it shares the scan and this importer as they are now), with its
        own connection and transactions; this process gathers their progress and counts, then their refused
        rows into the one report.

        A batch is one transaction wherever it runs, so the registry ends as one process would leave it:
        people are matched by their blind index (no ID number is in two households of the file, the scan made
        sure), household numbers are reserved under the village's lock, the audit chain under its own.
        """
        from multiprocessing import Pipe

        part_reports = [self.report.path.with_name(f"{self.report.path.name}.part{index + 1}.csv{SEALED_SUFFIX}")
                        for index in range(parts)]
        connections.close_all()  # a child must never share this process's server connection
        channels, pids = [], []
        try:
            for index in range(parts):
                receiver, sender = Pipe(duplex=False)
                pids.append(_fork(self._part_main, scan, (owner, index), part_reports[index], sender))
                sender.close()
                channels.append(receiver)
            self._gather(scan, channels, pids)
            self._merge_reports(part_reports)
        finally:
            for path in part_reports:
                path.unlink(missing_ok=True)

    def _gather(self, scan: _Scan, channels: list, pids: list[int]) -> None:
        """Progress, counts and timings from the workers, until every one has finished; the first failure is
        raised once the others are stopped."""
        from multiprocessing.connection import wait

        done = [0] * len(channels)
        counts = [ImportCounts() for _c in channels]
        finished = [False] * len(channels)
        failure: BaseException | None = None
        open_channels = {channel: index for index, channel in enumerate(channels)}
        try:
            while open_channels and failure is None:
                for channel in wait(list(open_channels)):
                    index = open_channels[channel]
                    try:
                        message = channel.recv()
                    except EOFError:
                        del open_channels[channel]
                        if not finished[index] and failure is None:
                            failure = RuntimeError(_("import worker %(number)d stopped before it finished; the "
                                                     "batches it had committed stay, import the file again to "
                                                     "finish") % {"number": index + 1})
                        continue
                    if message[0] == "progress":
                        done[index], counts[index] = message[1], message[2]
                        if self.progress is not None:
                            merged = ImportCounts()
                            for part_counts in counts:
                                merged.add(part_counts)
                            self.progress(sum(done), scan.rows, merged)
                    elif message[0] == "done":
                        _kind, counts[index], seconds, merge_seconds, batches = message
                        finished[index] = True
                        self.batches += batches
                        for key, value in seconds.items():  # summed over the workers: time spent, not elapsed
                            self.seconds[key] = self.seconds.get(key, 0.0) + value
                        for key, value in merge_seconds.items():
                            self.merge_seconds[key] += value
                    elif message[0] == "error" and failure is None:
                        failure = message[1]
        finally:
            for pid in pids:
                if failure is not None:  # its open batch rolls back with its connection
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            for channel in channels:
                channel.close()
        for part_counts in counts:
            self.counts.add(part_counts)
        if failure is not None:
            raise failure

    def _merge_reports(self, part_reports: list[Path]) -> None:
        """The workers' refused rows into the one report, merged by row number (each worker wrote its own in the
        order of the file). Only after every worker finished: a failed import fails the job, its error is the
        report then."""
        streams = []
        for path in part_reports:
            if path.exists():
                rows = report_rows(path)
                next(rows)  # the header
                streams.append(rows)
        for row in heapq.merge(*streams, key=operator.itemgetter(-1)):
            self.report.add(row[-1], row[:-2], row[-2])

    def _part_main(self, scan: _Scan, part: tuple[bytes, int], report_path: Path, channel) -> None:
        """The body of a worker process: import ``part`` and tell the parent how it went."""
        try:
            self.report = ErrorReport(report_path, self.header_map.headers)  # sealed: the refused rows at rest
            self.counts = ImportCounts()
            self.seconds = {"validate": 0.0, "merge": 0.0}
            self.merge_seconds = dict.fromkeys(self.merge_seconds, 0.0)
            self.batches = 0

            parent = self.parent_pid = os.getppid()

            def progress(done: int, _total: int, counts: ImportCounts) -> None:
                if os.getppid() != parent:  # the importing process is gone (killed)
                    raise ParentGone(1)
                channel.send(("progress", done, dataclasses.replace(counts)))

            self.progress = progress
            if self.table.kind != "csv":  # an XLSX workbook reads through one open file: this process opens its own
                self.table = open_table(self.table.path, REGISTRY_TEMPLATE, inspect=False)  # the parent checked it
            try:
                self._pipeline(scan, part, scan.rows)
            finally:
                self.report.close()
            channel.send(("done", self.counts, self.seconds, self.merge_seconds, self.batches))
        except BaseException as exc:  # noqa: BLE001 - the parent raises it
            channel.send(("error", _picklable(exc)))
        finally:
            connections.close_all()
            channel.close()

    def _produce(self, scan: _Scan, part: tuple[bytes, int] | None, batches: queue.Queue, stop: threading.Event,
                 language: str | None) -> None:
        """Read and validate households; hand over batches of about ``batch_rows`` rows (the validating thread)."""

        def put(item) -> bool:
            while not stop.is_set():
                try:
                    batches.put(item, timeout=0.5)
                    return True
                except queue.Full:
                    continue
            return False

        started = time.perf_counter()
        try:
            with translation.override(language):
                pending: list[tuple[str, list[tuple[int, tuple]]]] = []
                rows_in_batch = 0
                for key, rows in self.households(scan, part):
                    if stop.is_set():
                        return
                    pending.append((key, rows))
                    rows_in_batch += len(rows)
                    if rows_in_batch >= self.batch_rows:
                        batch = self.validate_many(pending, scan)
                        self.seconds["validate"] += time.perf_counter() - started
                        if not put(("batch", batch, rows_in_batch)):
                            return
                        started = time.perf_counter()
                        pending, rows_in_batch = [], 0
                batch = self.validate_many(pending, scan)
                self.seconds["validate"] += time.perf_counter() - started
                put(("end", batch, rows_in_batch))
        except BaseException as exc:  # noqa: BLE001 - handed to the merging thread, which raises it
            put(("error", exc, 0))
        finally:
            connections.close_all()  # this thread's connections only (none, unless a validator queried)


    def _region(self) -> str:
        return getattr(self.actor, "region_id", "") or ""

    def _report_progress(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total, self.counts)

    # -- validation of one household -----------------------------------------------------------
    def validate(self, key: str, rows: list[tuple[int, tuple]], scan: _Scan) -> PlannedHousehold | None:
        """The household ready to merge, or None when it went to the error report."""
        outcome = self.check(key, rows, scan)
        if isinstance(outcome, PlannedHousehold):
            return outcome
        self.reject(key, rows, outcome)
        return None

    def validate_many(self, households: list[tuple[str, list[tuple[int, tuple]]]], scan: _Scan) -> list[PlannedHousehold]:
        """``validate`` for a batch of households (file order): the plans; the rejected ones go to the report."""
        planned: list[PlannedHousehold] = []
        rows = 0
        for (key, household_rows), outcome in zip(households, self.check_many(households, scan), strict=True):
            rows += len(household_rows)
            if isinstance(outcome, PlannedHousehold):
                planned.append(outcome)
            else:
                self.reject(key, household_rows, outcome)
        with self.lock:
            self.counts.rows += rows
        self.seal(planned)
        return planned

    @staticmethod
    def seal(planned: list[PlannedHousehold]) -> None:
        """The blind indexes of the members' ID and phone numbers (pure functions of the row: the validating
        thread computes them, off the merging thread's path)."""
        members = [m for h in planned for m in h.members if not m.id_hash]
        if not members:
            return
        id_hashes = crypto.blind_index_many([m.member.id_number for m in members])
        phone_hashes = crypto.blind_index_many([m.member.phone for m in members])
        for planned_member, id_hash, phone_hash in zip(members, id_hashes, phone_hashes, strict=True):
            planned_member.id_hash, planned_member.phone_hash = id_hash, phone_hash

    def check_many(self, households: list[tuple[str, list[tuple[int, tuple]]]],
                   scan: _Scan) -> list[PlannedHousehold | dict[int, list[str]]]:
        """``check`` of many households at once, column-wise: exactly ``[self.check(k, rows, scan) for …]``.

        Every column of the batch is validated at once (``registry.validation.parse_members``: each distinct
        cell value once, ID numbers with numpy); a household that is clean in every column and passes the
        household rules is planned here, and any other household goes through ``check`` row by row, which
        finds and words its problems. So the plans and the messages are those of the per-row path.
        XLSX cells (typed values) always take the per-row path.
        """
        if not self._text_cells or not households:
            return [self.check(key, rows, scan) for key, rows in households]
        index = self.header_map.index
        width = max(index.values()) + 1
        table = []
        for _key, rows in households:
            for _number, values in rows:
                # a short row's missing cells are empty (the validators treat None and "" alike)
                table.append(values if len(values) >= width else (*values, *([""] * (width - len(values)))))
        transposed = list(zip(*table, strict=False))
        columns = {key: transposed[position] for key, position in index.items()}
        members = parse_members(columns, len(table), today=self.today, known_codes=self.known_codes)
        suspect = _suspect("\x1f" + "\x1f".join(itertools.chain.from_iterable(table)))
        optional = [k for k in (*PERSON_OPTIONAL, *MEMBER_FACT_KEYS) if k in columns]
        given_of: dict[tuple, frozenset] = {}
        marks = list(zip(*(map(bool, map(str.strip, columns[k])) for k in optional), strict=True)) \
            if optional else [()] * len(table)
        region_column = columns["region_code"]
        fact_positions = [(k, index[k]) for k in HOUSEHOLD_FACT_KEYS if k in index]

        outcomes: list = [None] * len(households)
        heads: list[tuple[int, dict]] = []  # (household position, given household facts of its head row)
        draft: list = [None] * len(households)
        at = 0
        for h, (key, rows) in enumerate(households):
            start, at = at, at + len(rows)
            fast = not key.startswith("\x00")
            if fast and suspect:
                fast = not any(_SUSPECT.search("\x1f" + "\x1f".join(values)) for _n, values in rows)
            regions = []
            if fast:
                for i in range(start, at):
                    if isinstance(members[i], RowInvalid):
                        fast = False
                        break
                    region, problems = self.residence(region_column[i])
                    if problems:
                        fast = False
                        break
                    regions.append(region)
            if fast and scan.duplicates:
                fast = not any(self._id_of(values) in scan.duplicates for _n, values in rows)
            if fast:
                head_at = [i for i in range(start, at) if members[i].relation == Relation.HEAD]
                fast = len(head_at) == 1 and all(r == regions[0] for r in regions)
            if not fast:
                outcomes[h] = self.check(key, rows, scan)
                continue
            head = head_at[0]
            head_values = table[head]
            given_facts = {k: head_values[at] for k, at in fact_positions if head_values[at].strip()}
            as_of, address = self.today, None
            if "as_of" in index and (head_values[index["as_of"]] or "").strip():
                try:
                    as_of = parse_date(head_values[index["as_of"]]) or self.today
                except ValueError:
                    as_of = None
                if as_of is None or as_of > self.today:
                    outcomes[h] = self.check(key, rows, scan)
                    continue
            if "address" in index and (head_values[index["address"]] or "").strip():
                address = clean_text(head_values[index["address"]])
                if len(address) > 200:
                    outcomes[h] = self.check(key, rows, scan)
                    continue
            planned_members = []
            for i, (number, _values) in zip(range(start, at), rows, strict=True):
                mark = marks[i]
                given = given_of.get(mark)
                if given is None:
                    given = given_of[mark] = frozenset(k for k, m in zip(optional, mark, strict=True) if m)
                planned_members.append(PlannedMember(row=number, member=members[i], given=given))
            head_index = head - start
            hukou = members[head].hukou_region_code if "hukou_region_code" in planned_members[head_index].given else None
            draft[h] = PlannedHousehold(key=key, rows=rows, members=planned_members, head=head_index,
                                        region_code=regions[0], hukou_region_code=hukou, address=address, facts={},
                                        as_of=as_of)
            if given_facts:
                heads.append((h, given_facts))
        if heads:
            for (h, given_facts), values in zip(heads, parse_household_facts_many([g for _h, g in heads]), strict=True):
                if isinstance(values, RowInvalid):
                    draft[h] = None
                    key, rows = households[h]
                    outcomes[h] = self.check(key, rows, scan)
                else:
                    draft[h].facts = {k: values[k] for k in given_facts}
        return [outcome if outcome is not None else draft[h] for h, outcome in enumerate(outcomes)]

    def check(self, key: str, rows: list[tuple[int, tuple]], scan: _Scan) -> PlannedHousehold | dict[int, list[str]]:
        """Validate one household: the plan, or its problems by row number (no side effects)."""
        problems: dict[int, list[str]] = {}
        parsed: list[tuple[int, dict, MemberInput | None, str]] = []
        for number, values in rows:
            row_problems: list[str] = []
            refused_columns: set[int] = set()
            strings = values if self._text_cells else [v for v in values if type(v) is str]
            if not _SUSPECT.search("\x1f" + "\x1f".join(strings)):
                pass  # the common case: no text cell starts like a formula or holds markup (one regex per row)
            else:
                for position, value in enumerate(values):
                    if type(value) is str and value:  # a flagged row (rare): every cell through cell_problem
                        reason = cell_problem(value)
                        if reason:
                            row_problems.append(f"{self.position_label(position)}: {reason}")
                            refused_columns.add(position)
            raw_cells = self.header_map.extract(values)
            raw = raw_cells if self._text_cells else {k: cell_text(v) for k, v in raw_cells.items()}
            if key.startswith("\x00"):
                row_problems.append(f"{self.label('household_key')}: {_('is required')}")
            if not self._text_cells and is_large_number_cell(raw_cells.get("id_number")):
                row_problems.append(f"{self.label('id_number')}: " + _(
                    "was stored as a number and Excel kept only 15 digits; format the column as text and type the "
                    "number again"))
            member = None
            try:
                member = parse_member(raw, today=self.today, known_codes=self.known_codes)
            except RowInvalid as exc:
                for field, reason in exc.problems:
                    if self.header_map.index.get(field) not in refused_columns:
                        row_problems.append(f"{self.label(field)}: {reason}")
            region, region_problems = self.residence(raw.get("region_code"))
            row_problems.extend(region_problems)
            if scan.duplicates:
                value = self._id_of(values)
                owners = scan.duplicates.get(value) if value is not None else None
                if owners:
                    others = sorted({scan.keys_of[o] for o in owners} - {key})
                    if others:
                        row_problems.append(f"{self.label('id_number')}: " + _(
                            "the same person appears in another household of this file (户编号 %(keys)s)")
                            % {"keys": "、".join(k.lstrip("\x00") for k in others)})
                    else:
                        row_problems.append(f"{self.label('id_number')}: " + _(
                            "the same ID number appears twice in this household"))
            if row_problems:
                problems[number] = row_problems
            parsed.append((number, raw, member, region))

        head_index = -1
        facts: dict = {}
        as_of = self.today
        address: str | None = None
        if not problems:
            heads = [i for i, (_n, _r, m, _g) in enumerate(parsed) if m.relation == Relation.HEAD]
            if len(heads) != 1:
                reason = _("household %(key)s must have exactly one head (户主), found %(n)d") % {
                    "key": key.lstrip("\x00"), "n": len(heads)}
                for i in heads or range(len(parsed)):
                    problems.setdefault(parsed[i][0], []).append(f"{self.label('relation')}: {reason}")
            else:
                head_index = heads[0]
                head_number, head_raw, _m, head_region = parsed[head_index]
                for number, _raw, _m2, region in parsed:
                    if region != head_region:
                        problems.setdefault(number, []).append(f"{self.label('region_code')}: " + _(
                            "differs from the head's residence %(code)s") % {"code": head_region})
                head_problems = problems.setdefault(head_number, [])
                given_facts = {k: head_raw[k] for k in HOUSEHOLD_FACT_KEYS if (head_raw.get(k) or "").strip()}
                if given_facts:
                    try:
                        values = parse_household_facts(given_facts)
                        facts = {k: values[k] for k in given_facts}
                    except RowInvalid as exc:
                        head_problems.extend(f"{self.label(f)}: {r}" for f, r in exc.problems)
                if (head_raw.get("as_of") or "").strip():
                    try:
                        as_of = parse_date(head_raw["as_of"]) or self.today
                        if as_of > self.today:
                            head_problems.append(f"{self.label('as_of')}: " + _("facts cannot describe a future date"))
                    except ValueError as exc:
                        head_problems.append(f"{self.label('as_of')}: {exc}")
                if (head_raw.get("address") or "").strip():
                    address = clean_text(head_raw["address"])
                    if len(address) > 200:
                        head_problems.append(f"{self.label('address')}: " + _("is longer than %(n)d characters")
                                             % {"n": 200})
                if not head_problems:
                    del problems[head_number]
        if problems:
            return problems
        members = []
        for _number, raw, member, _region in parsed:
            given = frozenset(k for k in (*PERSON_OPTIONAL, *MEMBER_FACT_KEYS) if (raw.get(k) or "").strip())
            members.append(PlannedMember(row=_number, member=member, given=given))
        head = parsed[head_index]
        hukou = head[2].hukou_region_code if "hukou_region_code" in members[head_index].given else None
        return PlannedHousehold(key=key, rows=rows, members=members, head=head_index, region_code=head[3],
                                hukou_region_code=hukou, address=address, facts=facts, as_of=as_of)

    def reject(self, key: str, rows: list[tuple[int, tuple]], problems: dict[int, list[str]]) -> None:
        bad_rows = "、".join(str(n) for n in sorted(problems))
        other = _("not imported: another row of household %(key)s is invalid (row %(rows)s)") % {
            "key": key.lstrip("\x00"), "rows": bad_rows}
        with self.lock:
            for number, values in rows:
                own = problems.get(number)
                self.report.add(number, values, "；".join(own) if own else other)
            self.counts.rows_rejected += len(rows)
            self.counts.households_rejected += 1

    # -- the merge of one batch ------------------------------------------------------------------
    def flush(self, batch: list[PlannedHousehold]) -> None:
        self.batches += 1
        started = time.perf_counter()
        with transaction.atomic():
            merger = _BatchMerge(self, batch)
            counts = merger.run()
            audit_record(actor=self.actor, action="registry.import.batch",
                         object_type="core.job" if self.job else "file",
                         object_id=str(self.job.pk) if self.job else self.digest[:16], region_code=self._region(),
                         new={"job": str(self.job.pk) if self.job else "", "digest": self.digest,
                              "batch": self.batches,
                              "counts": {**counts.as_dict(), "rows": sum(len(h.rows) for h in batch)}})
            if self.parent_pid and os.getppid() != self.parent_pid:
                # A worker whose importing process died (killed) commits nothing more: the batch rolls back.
                raise ParentGone(1)
            committing = time.perf_counter()
        finished = time.perf_counter()
        self.merge_seconds["commit"] += finished - committing  # deferred foreign-key checks, WAL flush
        self.seconds["merge"] += finished - started
        for household, reason in merger.rejected:
            self.reject(household.key, household.rows, {n: [reason] for n, _v in household.rows})
        with self.lock:
            self.counts.add(counts)


def _rows_in(cursor, sql: str, values: list, chunk: int = 900) -> list[tuple]:
    """``sql`` has one ``IN (%s)`` placeholder list; run it in chunks (PostgreSQL: one ``= ANY(array)``)."""
    result: list[tuple] = []
    if not values:
        return result
    if connection.vendor == "postgresql":
        if all(value.__class__ is int for value in values):  # ids as one text: no array quoting per element
            cursor.execute(sql.replace(" IN (%s)", " = ANY(string_to_array(%s, ',')::bigint[])"),
                           [",".join(map(str, values))])
        else:
            cursor.execute(sql.replace(" IN (%s)", " = ANY(%s)"), [list(values)])
        return cursor.fetchall()
    for start in range(0, len(values), chunk):
        part = values[start:start + chunk]
        cursor.execute(sql.replace("(%s)", "(" + ", ".join(["%s"] * len(part)) + ")"), part)
        result.extend(cursor.fetchall())
    return result


_PERSON_COLUMNS = ("id", "id_hash", "name", "id_number", "sex", "birth_date", "ethnicity", "phone", "phone_hash",
                   "phone_masked", "hukou_region_code", "household_id", "relation", "region_code", "marital_status",
                   "education", "id_masked")
_MEMBER_FACT_COLUMNS = ("health", "illness", "disability_category", "disability_grade", "disability_certificate",
                        "adl_failed", "labour", "employment")
_HOUSEHOLD_FACT_COLUMNS = HOUSEHOLD_FACT_KEYS


_CHECKED_TABLES = ("registry_household", "registry_person", "registry_membership", "registry_memberfacts",
                   "registry_householdfacts")


def checks_in_bulk_allowed() -> bool:
    """May the import write its new rows without PostgreSQL's per-row foreign-key triggers, and check them itself?

    ``core.fkchecks.allowed`` for the tables the import writes (``fkchecks.ENABLED`` switches it off):
    ``_BatchMerge._check_references`` does the triggers' work set-based before the batch commits.
    """
    return fkchecks.allowed(_CHECKED_TABLES)


class _BatchMerge:
    """Decide what changes for one batch (reads first), then write it set-based."""

    def __init__(self, importer: _Importer, batch: list[PlannedHousehold]):
        self.importer = importer
        self.batch = batch
        self.counts = ImportCounts()
        self.rejected: list[tuple[PlannedHousehold, str]] = []
        self.now = timezone.now()
        actor = importer.actor
        self.user_id = actor.pk if getattr(actor, "is_authenticated", False) else None
        self.referenced: dict[str, set[int]] = {}  # parent table → ids the rows copied without triggers refer to
        self.check_seconds = 0.0

    def run(self) -> ImportCounts:
        cursor = connection.cursor()
        clock = time.perf_counter()
        _Importer.seal(self.batch)  # done already when the batch comes from ``validate_many``
        planned_all = [m for h in self.batch for m in h.members]
        hashes = [m.id_hash for m in planned_all]
        lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
        if connection.vendor == "postgresql":  # the hashes (hex) as one comma-separated text: quoting a list of
            # 10,000 strings into an array literal cost psycopg a regular expression per element
            cursor.execute(f"SELECT {', '.join(_PERSON_COLUMNS)} FROM registry_person "
                           "WHERE id_hash = ANY(string_to_array(%s, ',')) FOR UPDATE", [",".join(hashes)])
            found = cursor.fetchall()
        else:
            found = _rows_in(cursor, f"SELECT {', '.join(_PERSON_COLUMNS)} FROM registry_person WHERE id_hash IN (%s)",
                             hashes)
        people = {row[1]: dict(zip(_PERSON_COLUMNS, row, strict=True)) for row in found}
        home_ids = sorted({p["household_id"] for p in people.values() if p["household_id"]})
        homes = {row[0]: dict(zip(("id", "number", "region_code", "hukou_region_code", "address", "head_id"), row,
                                  strict=True)) for row in _rows_in(
            cursor, "SELECT id, number, region_code, hukou_region_code, address, head_id FROM registry_household "
                    f"WHERE id IN (%s){lock}", home_ids)}
        member_facts = self._latest(cursor, "registry_memberfacts", "person_id", _MEMBER_FACT_COLUMNS,
                                    [p["id"] for p in people.values()])
        household_facts = self._latest(cursor, "registry_householdfacts", "household_id", _HOUSEHOLD_FACT_COLUMNS,
                                       home_ids)

        new_households: list[tuple] = []  # (number, region, hukou, address, is_urban, head id_hash)
        household_updates: list[tuple] = []  # (id, region, hukou, address, is_urban)
        person_rows: list[tuple] = []  # staged person rows; household id or ("new", number)
        memberships: list[tuple] = []  # (id_hash, household ref, relation, start)
        relation_updates: list[tuple] = []  # (id_hash, relation)
        heads: list[tuple] = []  # (registry household without a head, head id_hash)
        member_fact_rows: list[tuple] = []  # (id_hash, region, as_of, *values)
        household_fact_rows: list[tuple] = []  # (household ref, region, as_of, *values)
        next_number = reserve_household_numbers(cursor, {
            h.region_code for h in self.batch
            if not any((people.get(m.id_hash) or {}).get("household_id") for m in h.members)})
        # The ciphers of new people, in bulk (one os.urandom for the batch's nonces).
        fresh = [m for m in planned_all if m.id_hash not in people]
        ciphers = crypto.encrypt_many([v for m in fresh for v in (m.member.id_number, m.member.phone)])
        self.sealed = {id(m.member): (ciphers[2 * i], ciphers[2 * i + 1], m.phone_hash) for i, m in enumerate(fresh)}
        phases = self.importer.merge_seconds
        phases["prepare"] += time.perf_counter() - clock
        clock = time.perf_counter()

        for household in self.batch:
            existing = [people.get(m.id_hash) for m in household.members]
            home_set = {p["household_id"] for p in existing if p and p["household_id"]}
            if len(home_set) > 1:
                numbers = "、".join(sorted(homes[h]["number"] for h in home_set if h in homes))
                self.rejected.append((household, _(
                    "members of this household are in different households of the registry (%(numbers)s); move them "
                    "with the household form first") % {"numbers": numbers}))
                continue
            home = homes.get(next(iter(home_set))) if home_set else None
            if home is not None and not self.importer.may_register(home["region_code"]):
                self.rejected.append((household, _(
                    "a member is registered in a household outside your jurisdiction")))
                continue
            head_person = existing[household.head]
            if home is not None and home["head_id"] and (head_person is None or head_person["id"] != home["head_id"]):
                self.rejected.append((household, _(
                    "household %(number)s in the registry has another head (户主); change the head with the "
                    "household form") % {"number": home["number"]}))
                continue
            region = household.region_code
            household_changed = False
            if home is None:
                ref: object = ("new", self._number(region, next_number))
                new_households.append((ref[1], region, household.hukou_region_code or "", household.address or "",
                                       regioncodes.is_urban_village(region), household.members[household.head].id_hash))
                self.counts.households_created += 1
            else:
                ref = home["id"]
                wanted = {"region_code": region}
                if household.hukou_region_code is not None:
                    wanted["hukou_region_code"] = household.hukou_region_code
                if household.address is not None:
                    wanted["address"] = household.address
                if any(home[k] != v for k, v in wanted.items()):
                    merged = {**home, **wanted}
                    household_updates.append((home["id"], merged["region_code"], merged["hukou_region_code"],
                                              merged["address"], regioncodes.is_urban_village(merged["region_code"])))
                    household_changed = True
                if not home["head_id"]:
                    heads.append((ref, household.members[household.head].id_hash))
                    household_changed = True

            for planned, person in zip(household.members, existing, strict=True):
                changed = self._plan_person(planned, person, ref, region, household.as_of, person_rows, memberships,
                                            relation_updates)
                facts_changed = self._plan_member_facts(planned, person, region, household.as_of, member_facts,
                                                        member_fact_rows)
                if person is None:
                    self.counts.members_created += 1
                    household_changed = True  # a registry household gains a member
                elif changed or facts_changed:
                    self.counts.members_updated += 1
                    household_changed = True
                else:
                    self.counts.members_unchanged += 1
            if household.facts:
                base = household_facts.get(home["id"]) if home else None
                values = self._overlay(base, household.as_of, household.facts, self.importer._fact_defaults)
                if values is not None:
                    if values["vehicles_for_disability"] > values["vehicles"]:
                        values["vehicles_for_disability"] = values["vehicles"]
                    household_fact_rows.append((ref, region, household.as_of,
                                                *(values[k] for k in _HOUSEHOLD_FACT_COLUMNS)))
                    household_changed = True
            if home is not None:
                if household_changed:
                    self.counts.households_updated += 1
                else:
                    self.counts.households_unchanged += 1

        phases["plan"] += time.perf_counter() - clock
        clock = time.perf_counter()
        self._write(cursor, people, new_households, household_updates, person_rows, memberships, relation_updates,
                    heads, member_fact_rows, household_fact_rows)
        phases["write"] += time.perf_counter() - clock - self.check_seconds
        phases["check"] += self.check_seconds
        return self.counts

    # -- decisions -----------------------------------------------------------------------------
    @staticmethod
    def _number(region: str, next_number: dict[str, int]) -> str:
        """Registry numbering (``<village code>-00001``), continued from the highest number in use."""
        sequence = next_number[region]
        next_number[region] = sequence + 1
        return f"{region}-{sequence:05d}"

    def _plan_person(self, planned: PlannedMember, person: dict | None, ref, region: str, as_of: dt.date,
                     person_rows: list, memberships: list, relation_updates: list) -> bool:
        member, given = planned.member, planned.given
        if person is None:
            phone = member.phone
            id_cipher, phone_cipher, phone_hash = self.sealed[id(member)]
            person_rows.append((
                planned.id_hash, member.name, id_cipher, mask_id_number(member.id_number),
                member.sex, member.birth_date, member.ethnicity or "汉族", phone_cipher,
                phone_hash, mask_phone(phone), member.hukou_region_code, ref, member.relation, region,
                member.marital_status, member.education,
            ))
            memberships.append((planned.id_hash, ref, member.relation, as_of))
            return True
        wanted = {"name": member.name, "sex": member.sex, "birth_date": member.birth_date,
                  "relation": member.relation, "region_code": region}
        if "hukou_region_code" in given:
            wanted["hukou_region_code"] = member.hukou_region_code
        if "ethnicity" in given:
            wanted["ethnicity"] = member.ethnicity
        if "marital_status" in given:
            wanted["marital_status"] = member.marital_status
        if "education" in given:
            wanted["education"] = member.education
        phone_changed = "phone" in given and person["phone_hash"] != planned.phone_hash
        joins = person["household_id"] is None
        if not joins and ref != person["household_id"]:  # cannot happen: the household was chosen from its members
            raise AssertionError("person planned into a household they are not in")
        differs = phone_changed or joins or any(_differs(person[k], v) for k, v in wanted.items())
        if not differs:
            return False
        merged = {**person, **wanted}
        phone_cipher, phone_hash, phone_masked = person["phone"], person["phone_hash"], person["phone_masked"]
        if phone_changed:
            phone_cipher = crypto.encrypt(member.phone)
            phone_hash, phone_masked = planned.phone_hash, mask_phone(member.phone)
        person_rows.append((
            planned.id_hash, merged["name"], person["id_number"], person["id_masked"], merged["sex"],
            merged["birth_date"], merged["ethnicity"], phone_cipher, phone_hash, phone_masked,
            merged["hukou_region_code"], ref, merged["relation"], region, merged["marital_status"],
            merged["education"],
        ))
        if joins:
            memberships.append((planned.id_hash, ref, member.relation, as_of))
        elif person["relation"] != member.relation:
            relation_updates.append((planned.id_hash, member.relation))
        return True

    def _plan_member_facts(self, planned: PlannedMember, person: dict | None, region: str, as_of: dt.date,
                           latest: dict, rows: list) -> bool:
        member = planned.member
        if person is None:  # a new person: the observation is the row's status ({**status, **given} is status)
            rows.append((planned.id_hash, region, as_of, member.health, member.illness, member.disability_category,
                         member.disability_grade, member.disability_certificate, member.adl_failed, member.labour,
                         member.employment))
            return True
        status = member.status_values()
        given = {k: status[k] for k in MEMBER_FACT_KEYS if k in planned.given}
        base = latest.get(person["id"])
        values = self._overlay(base, as_of, given, status)
        if values is None:
            return False
        rows.append((planned.id_hash, region, as_of, *(values[k] for k in _MEMBER_FACT_COLUMNS)))
        return True

    @staticmethod
    def _overlay(observations: list | None, as_of: dt.date, given: dict, defaults: dict) -> dict | None:
        """The new observation (latest on or before ``as_of`` with the given values), or None if equal."""
        base = None
        for observed_on, values in observations or ():
            if observed_on <= as_of:
                base = values
        if base is None:
            return {**defaults, **given}
        merged = {**base, **given}
        if all(not _differs(base[k], merged[k]) for k in merged):
            return None
        return merged

    def _latest(self, cursor, table: str, key: str, columns, ids: list) -> dict[int, list]:
        """Every observation of the subjects, oldest first: subject id → [(as_of, values)]."""
        if not ids:
            return {}
        found: dict[int, list] = {}
        for row in _rows_in(cursor, f"SELECT {key}, as_of, {', '.join(columns)} FROM {table} WHERE {key} IN (%s) "
                                    f"ORDER BY {key}, as_of", ids):
            as_of = row[1] if isinstance(row[1], dt.date) else dt.date.fromisoformat(str(row[1]))
            found.setdefault(row[0], []).append((as_of, dict(zip(columns, row[2:], strict=True))))
        return found

    # -- writes ----------------------------------------------------------------------------------
    def _write(self, cursor, people, new_households, household_updates, person_rows, memberships, relation_updates,
               heads, member_fact_rows, household_fact_rows) -> None:
        now = param(self.now)
        # New people and households get their ids first, so a household is written with its head at once.
        new_hashes = [row[0] for row in person_rows if row[0] not in people]
        person_ids = {h: p["id"] for h, p in people.items()}
        person_ids.update(zip(new_hashes, allocate_ids(cursor, "registry_person", len(new_hashes)), strict=True))
        household_ids = dict(zip((h[0] for h in new_households),
                                 allocate_ids(cursor, "registry_household", len(new_households)), strict=True))

        def resolve(ref) -> int:
            return household_ids[ref[1]] if isinstance(ref, tuple) else ref

        if new_households:  # straight into the table (COPY): their numbers are reserved (see ``_reserve_numbers``)
            self._load(cursor, "registry_household", ["id", "number", "region_code", "hukou_region_code", "address",
                                                      "is_urban", "head_id", "created_at", "updated_at"],
                       ((household_ids[number], number, region, hukou, address, urban, person_ids[head], self.now,
                         self.now) for number, region, hukou, address, urban, head in new_households),
                       {"head_id": "registry_person"})

        if household_updates:
            stage(cursor, "import_household_update", [("id", "bigint"), ("region_code", "text"), ("hukou", "text"),
                                                      ("address", "text"), ("is_urban", "boolean")], household_updates)
            cursor.execute(
                "UPDATE registry_household SET region_code = s.region_code, hukou_region_code = s.hukou, "
                "address = s.address, is_urban = s.is_urban, updated_at = %s FROM import_household_update s "
                "WHERE registry_household.id = s.id", [now])
            cursor.execute(
                "UPDATE registry_person SET region_code = s.region_code, updated_at = %s FROM import_household_update s "
                "WHERE registry_person.household_id = s.id AND registry_person.region_code <> s.region_code", [now])
            drop_stage(cursor, "import_household_update")

        if person_rows:
            columns = [("id", "bigint"), ("id_hash", "text"), ("name", "text"), ("id_number", "text"),
                       ("id_masked", "text"), ("sex", "text"), ("birth_date", "date"), ("ethnicity", "text"),
                       ("phone", "text"), ("phone_hash", "text"), ("phone_masked", "text"),
                       ("hukou_region_code", "text"), ("household_id", "bigint"), ("relation", "text"),
                       ("region_code", "text"), ("marital_status", "text"), ("education", "text")]
            # New people straight into the table (COPY): a person another transaction inserts at the same moment
            # fails the batch on the unique id_hash (as the one open membership would fail it anyway).
            self._load(cursor, "registry_person", [c for c, _k in columns] + ["created_at", "updated_at"],
                       ((person_ids[row[0]], *row[:11], resolve(row[11]), *row[12:], self.now, self.now)
                        for row in person_rows if row[0] not in people), {"household_id": "registry_household"})
            known = [row for row in person_rows if row[0] in people]  # locked above (FOR UPDATE)
            if known:
                stage(cursor, "import_person", columns,
                      ((person_ids[row[0]], *row[:11], resolve(row[11]), *row[12:]) for row in known))
                names = ", ".join(c for c, _k in columns)
                updates = ", ".join(f"{c} = excluded.{c}" for c, _k in columns if c not in ("id", "id_hash"))
                cursor.execute(
                    f"INSERT INTO registry_person ({names}, created_at, updated_at) SELECT {names}, %s, %s "
                    f"FROM import_person WHERE true ON CONFLICT (id_hash) DO UPDATE SET {updates}, "
                    "updated_at = excluded.updated_at", [now, now])
                drop_stage(cursor, "import_person")

        if memberships:
            self._load(cursor, "registry_membership", ["person_id", "household_id", "relation", "start"],
                       ((person_ids[h], resolve(ref), relation, start) for h, ref, relation, start in memberships),
                       {"person_id": "registry_person", "household_id": "registry_household"})
        if relation_updates:
            stage(cursor, "import_relation", [("person_id", "bigint"), ("relation", "text")],
                  ((person_ids[h], relation) for h, relation in relation_updates))
            cursor.execute('UPDATE registry_membership SET relation = s.relation FROM import_relation s '
                           'WHERE registry_membership.person_id = s.person_id AND registry_membership."end" IS NULL')
            drop_stage(cursor, "import_relation")
        if heads:  # registry households that had no head yet
            stage(cursor, "import_head", [("household_id", "bigint"), ("head_id", "bigint")],
                  ((resolve(ref), person_ids[h]) for ref, h in heads))
            cursor.execute("UPDATE registry_household SET head_id = s.head_id FROM import_head s "
                           "WHERE registry_household.id = s.household_id")
            drop_stage(cursor, "import_head")
        if member_fact_rows:
            self._write_facts(cursor, "registry_memberfacts", "person_id",
                              [("disability_grade", "integer"), ("adl_failed", "integer")], _MEMBER_FACT_COLUMNS,
                              [(person_ids[h], *rest) for h, *rest in member_fact_rows],
                              new={person_ids[h] for h in new_hashes})
        if household_fact_rows:
            types = [(k, "numeric(14, 2)") for k in HOUSEHOLD_FACT_KEYS[:12]] + [
                ("vehicles", "integer"), ("vehicles_for_disability", "integer"), ("extra_houses", "integer"),
                ("safe_water", "boolean")]
            amounts = _AmountText()  # the amounts as COPY text: each distinct amount formatted once
            money = slice(2, 2 + len(MONEY_FIELDS))  # in (region, as_of, *values): the amounts lead the values
            rows = []
            for ref, *rest in household_fact_rows:
                rest[money] = map(amounts.__getitem__, rest[money])
                rows.append((resolve(ref), *rest))
            self._write_facts(cursor, "registry_householdfacts", "household_id", types, _HOUSEHOLD_FACT_COLUMNS, rows,
                              new=set(household_ids.values()))
        if self.referenced:
            clock = time.perf_counter()
            self._check_references(cursor, created={"registry_person": set(person_ids[h] for h in new_hashes),
                                                    "registry_household": set(household_ids.values())})
            self.check_seconds = time.perf_counter() - clock

    def _load(self, cursor, table: str, columns: list[str], rows, references: dict[str, str]) -> None:
        """COPY new rows into ``table``; with ``checks_in_bulk`` without the per-row foreign-key triggers, noting
        the ids the rows refer to (``references``: column → parent table) for ``_check_references``.

        PostgreSQL checks a foreign key row by row: a trigger per row and key, run at commit, each a query that
        also locks the parent row — four keys per new person and two per new household, about 30 µs of server
        CPU per imported row. Here the replica role skips those triggers for these COPY statements only (it is
        decided as each row is written; the role is back to ``origin`` for every other statement of the batch).
        """
        if not self.importer.checks_in_bulk:
            load_rows(cursor, table, columns, rows)
            return
        rows = list(rows)
        for column, parent in references.items():
            ids = self.referenced.setdefault(parent, set())
            ids.update(map(operator.itemgetter(columns.index(column)), rows))
            ids.discard(None)
        with fkchecks.triggers_off(cursor):
            load_rows(cursor, table, columns, rows)

    def _check_references(self, cursor, *, created: dict[str, set[int]]) -> None:
        """The foreign-key triggers' work for the rows ``_load`` wrote, one statement per parent table.

        Every referred id must exist (else ``IntegrityError``: the batch rolls back, as a failed trigger would
        make it). A parent this transaction created is invisible to everyone else until it commits; any other
        parent is locked ``FOR KEY SHARE``, as the trigger would lock it, so nobody deletes it before the commit.
        """
        for parent, ids in self.referenced.items():
            fkchecks.check_references(cursor, parent, ids, created=created.get(parent, ()), what="registry import")

    def _write_facts(self, cursor, table: str, key: str, typed: list, columns, rows: list, *, new: set) -> None:
        """Observations of new subjects go straight in (COPY); others are upserted through a staging table."""
        fresh = [row for row in rows if row[0] in new]
        if fresh:
            self._load(cursor, table, [key, "region_code", "as_of", *columns, "source", "recorded_at", "recorded_by_id"],
                       ((*row, FactSource.IMPORT.value, self.now, self.user_id) for row in fresh),
                       {key: "registry_person" if key == "person_id" else "registry_household",
                        "recorded_by_id": get_user_model()._meta.db_table})
        known = [row for row in rows if row[0] not in new]
        if known:
            self._upsert_facts(cursor, table, key, typed, columns, known)

    def _upsert_facts(self, cursor, table: str, key: str, typed: list, columns, rows) -> None:
        kinds = dict(typed)
        spec = [(key, "bigint"), ("region_code", "text"), ("as_of", "date")] + [(c, kinds.get(c, "text"))
                                                                                for c in columns]
        stage(cursor, "import_facts", spec, rows)
        names = ", ".join(c for c, _k in spec)
        updates = ", ".join(f"{c} = excluded.{c}" for c in ("region_code", *columns))
        cursor.execute(
            f"INSERT INTO {table} ({names}, source, recorded_at, recorded_by_id) SELECT {names}, %s, %s, %s "
            f"FROM import_facts WHERE true ON CONFLICT ({key}, as_of) DO UPDATE SET {updates}, source = excluded.source, "
            "recorded_at = excluded.recorded_at, recorded_by_id = excluded.recorded_by_id",
            [FactSource.IMPORT.value, param(self.now), self.user_id])
        drop_stage(cursor, "import_facts")


class _AmountText(dict):
    """Decimal → its text for COPY (psycopg dumps a Decimal through ``as_tuple()``, about 1 µs; a county's
    amounts repeat — 0.00 above all — so each distinct one is formatted once)."""

    def __missing__(self, amount):
        text = self[amount] = None if amount is None else str(amount)
        return text


def _differs(stored: object, wanted: object) -> bool:
    """Compare a stored value with a parsed one (SQLite returns dates and decimals as text)."""
    if stored == wanted:
        return False
    if stored is None or wanted is None:
        return (stored or "") != (wanted or "")
    if isinstance(wanted, bool):
        return bool(stored) != wanted
    if isinstance(wanted, dt.date):
        return str(stored)[:10] != wanted.isoformat()
    try:
        from decimal import Decimal

        return Decimal(str(stored)) != Decimal(str(wanted))
    except ArithmeticError:
        return str(stored) != str(wanted)

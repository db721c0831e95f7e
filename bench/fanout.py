"""Fan-out: per-township monthly jobs on one Celery worker, then on two, against one Redis broker.

Each job is the per-region monthly work of the indices job (``indices.jobs.compute_job``, the
per-county job of docs/scaling.md sections 4–5) for one township: read the township's household
fact frame (``registry.facts.household_frame``), score both indices (``indices.services.score_frame``,
numpy) and write one score row per household the way ``index_scores_compute`` does (COPY, or COPY
into a temporary table and one upsert when the date is already scored), fire the deferred constraint
checks (the commit's work) and roll the transaction back, so every run finds the same state. The
job writes directly rather than through ``index_scores_compute`` because that function also appends
to the audit chain, whose head is an advisory lock held until the transaction ends: a job that commits
at once (production) holds it for milliseconds, but these jobs hold their transaction to roll it back
and would queue behind each other. (The region lock, ``indices.bulk.lock_region``, does not serialise
townships of one county: each takes its county's lock shared and only its own exclusively.) Production
fans out per county (``indices_fan_out``). ``BENCH_FANOUT_MONTHS`` (default 1) computes that many monthly
reference dates per job (a year's catch-up is 12).

Two phases, each through the platform's own path (a ``core.Job`` row per township, the Celery
task runs ``core.jobs.job_run``): the reference — the same jobs one after another in ONE worker
process — and the fan-out on TWO workers (solo pool, prefetch 1, acks late). Workers are started
as subprocesses, answer a ping, and run one untimed warm-up job each (imports, the database
connection, the index models) before the timing starts, and the score table is vacuumed (the dead
rows of earlier rolled-back runs would slow the unique-index checks run after run); the workers are
stopped at the end (bounded in time), whatever happens.

PostgreSQL parallel query is set per job (``SET LOCAL max_parallel_workers_per_gather``) to the
same value in both phases: ``BENCH_FANOUT_PARALLEL_GATHER`` (default 0: each job is one worker
process plus one backend, so the reference really is one core's worth of processes; ``server``
keeps the server's setting). The CPU split comes from ``/proc``: the worker processes' CPU over
the timed phase and each job's backend CPU (parallel workers, if allowed, are not counted).

Broker: ``BENCH_BROKER_URL``, else ``CELERY_BROKER_URL``, else ``redis://127.0.0.1:6379/14``;
each phase uses its own queue name, so runs never take each other's jobs.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from celery import shared_task

TITLE = "Fan-out of per-township monthly index jobs: one Celery worker, then two (one broker)"
POSTGRES_ONLY = True  # the workers must share the database with this process
BROKER_URL = os.environ.get("BENCH_BROKER_URL") or os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/14"
JOB_KIND = "bench.township_month"
ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_worker_name = ""


class _RollBack(Exception):
    """Leaves the job's transaction without committing (every run starts from the same state)."""


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process from ``/proc`` (None when it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15 of stat)


def _months_back(day: dt.date, months: int) -> dt.date:
    from dajiuzhu.indices.roster import add_months

    return add_months(day, -months)


def _township_month(job, *, prefix: str, on: str, months: int = 1, gather: int | None = 0) -> dict:
    """The monthly index work of one township for ``months`` reference dates, rolled back."""
    from django.db import connection, transaction

    from dajiuzhu.indices.models import IndexKind, IndexScore
    from dajiuzhu.indices.services import _copy_new, _score_columns, _write_postgres, active_model, score_frame
    from dajiuzhu.registry.facts import household_frame

    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    backend_started = cpu_seconds(backend)
    households = people = 0
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if gather is not None:
                    cursor.execute(f"SET LOCAL max_parallel_workers_per_gather = {int(gather)}")
                cursor.execute("SHOW max_parallel_workers_per_gather")
                gather_used = int(cursor.fetchone()[0])
            hmodel, dmodel = active_model(IndexKind.HARDSHIP), active_model(IndexKind.DEVELOPMENT)
            for back in range(months):
                day = _months_back(dt.date.fromisoformat(on), back)
                frame = household_frame(on=day, region_prefix=prefix)
                if not len(frame):
                    continue
                hard, dev = score_frame(frame, hardship=hmodel, development=dmodel)
                columns = _score_columns(frame, hard, dev, hmodel, dmodel)
                first = not IndexScore.objects.filter(on=day, region_code__startswith=prefix).exists()
                if not (first and _copy_new(columns, len(frame))):
                    _write_postgres(columns, len(frame))
                households += len(frame)
                people += int(frame.columns["household_size"].sum())
            with connection.cursor() as cursor:  # what the commit would check
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            raise _RollBack
    except _RollBack:
        pass
    backend_done = cpu_seconds(backend)
    return {"worker": _worker_name or "in-process", "pid": os.getpid(), "households": households, "people": people,
            "seconds": round(time.perf_counter() - started, 3),
            "cpu_seconds": round(time.process_time() - cpu_started, 3),
            "backend_cpu_seconds": (round(backend_done - backend_started, 3)
                                    if backend_started is not None and backend_done is not None else None),
            "parallel_workers_per_gather": gather_used}


@shared_task(name="bench.fanout.township", bind=True, acks_late=True)
def township_task(self, job_id: str) -> str:
    """Worker side: run the job through the platform's job runner."""
    global _worker_name
    from dajiuzhu.core.jobs import job_handler, job_run

    _worker_name = self.request.hostname or ""
    job_handler(JOB_KIND)(_township_month)
    return job_run(job_id).status


def _database_url() -> str:
    from dajiuzhu.core.dburl import database_url

    return database_url()


def start_workers(names: list[str], queue: str, log_dir: Path) -> list[subprocess.Popen]:
    """One solo-pool worker per name, on the shared queue and on its own (``<queue>.<index>``, the warm-up)."""
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": BROKER_URL, "DAJIUZHU_JOBS": "celery",
           "PYTHONPATH": str(ROOT)}
    workers = []
    for index, name in enumerate(names, start=1):
        log = (log_dir / f"fanout-worker{index}.log").open("w")
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-n", name,
                   "-Q", f"{queue},{queue}.{index}", "--include", "bench.fanout", "--without-gossip",
                   "--without-mingle", "--prefetch-multiplier", "1", "--loglevel", "WARNING"]
        workers.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                        start_new_session=True))
    return workers


def stop_workers(workers: list[subprocess.Popen], *, grace: float = 10.0) -> None:
    for proc in workers:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in workers:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def _producer():
    from celery import Celery

    return Celery("bench-fanout", broker=BROKER_URL, set_as_current=False)


def wait_ready(producer, names: list[str], workers: list[subprocess.Popen], *, timeout: float = 180.0) -> float:
    """Seconds until every worker answers a ping (start-up takes ~5–10 s; much longer on a loaded machine)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if any(p.poll() is not None for p in workers):
            raise RuntimeError("a Celery worker exited during start-up (see var/bench/fanout-worker*.log)")
        replies = producer.control.ping(destination=names, timeout=1.0)
        answered = {name for reply in replies for name in reply}
        if answered >= set(names):
            return time.monotonic() - started
    raise RuntimeError(f"workers did not answer a ping within {timeout:.0f} s (load average "
                       f"{os.getloadavg()[0]:.1f}; see var/bench/fanout-worker*.log)")


def _send(producer, queue: str, params: dict, *, region: str) -> object:
    from dajiuzhu.core.models import Job

    job = Job.objects.create(kind=JOB_KIND, params=params, region_code=region.ljust(12, "0"))
    producer.send_task("bench.fanout.township", args=[str(job.pk)], queue=queue)
    return job.pk


def _wait(jobs: list, *, timeout: float) -> None:
    from dajiuzhu.core.models import Job

    deadline = time.monotonic() + timeout
    while Job.objects.filter(pk__in=jobs, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("fan-out jobs did not finish in time")
        time.sleep(0.02)
    failed = list(Job.objects.filter(pk__in=jobs).exclude(status=Job.Status.DONE).values_list("message", flat=True))
    if failed:
        raise RuntimeError(f"{len(failed)} fan-out jobs failed: {failed[0].splitlines()[:1]}")


def vacuum_scores() -> None:
    """Clear the dead rows that rolled-back jobs leave in the score table (untimed, before each phase).

    Every rolled-back COPY leaves its rows and index entries behind as dead; the next insert of the same
    (household, date) keys checks all of them in the unique index, so without this each run would be
    slower than the one before (measured: backend CPU 3.1 s → 5.2 s over five runs, 770,000 dead rows)."""
    from django.db import connection

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) indices_indexscore")


def run_phase(townships: list[str], *, workers_count: int, params: dict, log_dir: Path, timeout: float) -> dict:
    """Start ``workers_count`` workers, warm each up, run one job per township, stop them; the figures."""
    from dajiuzhu.core.models import Job

    run_id = uuid.uuid4().hex[:8]
    names = [f"fanout{i}of{workers_count}-{run_id}@bench" for i in range(1, workers_count + 1)]
    queue = f"bench-fanout-{run_id}"
    producer = _producer()
    workers = start_workers(names, queue, log_dir)
    try:
        startup = wait_ready(producer, names, workers)
        _wait([_send(producer, f"{queue}.{i}", {**params, "prefix": townships[0], "months": 1}, region=townships[0])
               for i in range(1, workers_count + 1)], timeout=timeout)
        vacuum_scores()
        cpu_before = [cpu_seconds(p.pid) for p in workers]
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        jobs = [_send(producer, queue, {**params, "prefix": prefix}, region=prefix) for prefix in townships]
        _wait(jobs, timeout=timeout)
        wall = time.perf_counter() - started
        cpu_after = [cpu_seconds(p.pid) for p in workers]
    finally:
        stop_workers(workers)
        producer.close()
    per_worker = {name: {"jobs": 0, "households": 0, "seconds": 0.0, "backend_cpu": 0.0} for name in names}
    for result in Job.objects.filter(pk__in=jobs).values_list("result", flat=True):
        slot = per_worker.setdefault(result["worker"], {"jobs": 0, "households": 0, "seconds": 0.0, "backend_cpu": 0.0})
        slot["jobs"] += 1
        slot["households"] += result["households"]
        slot["seconds"] += result["seconds"]
        slot["backend_cpu"] += result["backend_cpu_seconds"] or 0.0
        slot["gather"] = result["parallel_workers_per_gather"]
    for name, before, after in zip(names, cpu_before, cpu_after, strict=True):
        per_worker[name]["worker_cpu"] = (after - before) if before is not None and after is not None else None
    return {"wall": wall, "startup": startup, "names": names, "per_worker": per_worker, "load": load_before}


def run(people: int, *, county: str = "371424", smoke: bool = False, **_context) -> dict:
    from dajiuzhu.indices.services import index_models_bootstrap
    from dajiuzhu.regions.models import Region

    # The active index models, committed once before any job (as in production). Left to the jobs, the
    # first job's rolled-back transaction would create them and every other worker's job would wait on
    # that transaction's lock (unique model version, audit chain): the two workers would run in turn.
    index_models_bootstrap()

    on = dt.date.today().isoformat()
    months = max(1, int(os.environ.get("BENCH_FANOUT_MONTHS", "1")))
    gather_setting = os.environ.get("BENCH_FANOUT_PARALLEL_GATHER", "0")
    gather = None if gather_setting == "server" else int(gather_setting)
    townships = list(Region.objects.filter(level=4, code__startswith=county).order_by("code")
                     .values_list("prefix", flat=True))
    params = {"on": on, "months": months, "gather": gather}
    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    timeout = max(180.0, people / 1000.0 * months)
    one = run_phase(townships, workers_count=1, params=params, log_dir=log_dir, timeout=timeout)
    two = run_phase(townships, workers_count=2, params=params, log_dir=log_dir, timeout=timeout)

    def cpu_split(phase: dict) -> tuple[float, float]:
        slots = phase["per_worker"].values()
        return (sum(s.get("worker_cpu") or 0.0 for s in slots), sum(s["backend_cpu"] for s in slots))

    one_worker_cpu, one_pg_cpu = cpu_split(one)
    two_worker_cpu, two_pg_cpu = cpu_split(two)
    reference = one["per_worker"][one["names"][0]]
    gather_used = reference.get("gather")
    figures = [
        {"name": "wall time, 2 workers", "value": round(two["wall"], 3), "unit": "s", "better": "lower",
         "reference": "same jobs one after another in one worker process", "reference_value": round(one["wall"], 3)},
        {"name": "speed-up over one worker", "value": round(one["wall"] / two["wall"], 2) if two["wall"] else None,
         "unit": "×", "better": "higher"},
        {"name": "1 worker: wall time (the reference)", "value": round(one["wall"], 3), "unit": "s"},
        {"name": "1 worker: busy time (sum of job times)", "value": round(reference["seconds"], 3), "unit": "s"},
        {"name": "1 worker: CPU, worker process", "value": round(one_worker_cpu, 2), "unit": "s"},
        {"name": "1 worker: CPU, PostgreSQL backend", "value": round(one_pg_cpu, 2), "unit": "s"},
        {"name": "1 worker: cores busy (CPU / wall)",
         "value": round((one_worker_cpu + one_pg_cpu) / one["wall"], 2) if one["wall"] else None, "unit": "cores"},
        {"name": "2 workers: CPU, worker processes", "value": round(two_worker_cpu, 2), "unit": "s"},
        {"name": "2 workers: CPU, PostgreSQL backends", "value": round(two_pg_cpu, 2), "unit": "s"},
        {"name": "2 workers: cores busy (CPU / wall)",
         "value": round((two_worker_cpu + two_pg_cpu) / two["wall"], 2) if two["wall"] else None, "unit": "cores"},
        {"name": "worker start-up (both answering a ping)", "value": round(two["startup"], 2), "unit": "s"},
    ]
    for index, name in enumerate(two["names"], start=1):
        slot = two["per_worker"][name]
        figures += [
            {"name": f"worker {index}: jobs", "value": slot["jobs"], "unit": "jobs"},
            {"name": f"worker {index}: households", "value": slot["households"], "unit": "households"},
            {"name": f"worker {index}: busy time", "value": round(slot["seconds"], 3), "unit": "s"},
            {"name": f"worker {index}: CPU (worker process + its backend)",
             "value": round((slot.get("worker_cpu") or 0.0) + slot["backend_cpu"], 2), "unit": "s"},
        ]
    notes = (f"{len(townships)} township jobs, each the monthly index work of its township for {months} reference "
             f"date(s) up to {on} (fact frame, both indices, score rows written by COPY, constraints checked, "
             f"rolled back); broker {BROKER_URL}; workers: solo pool, prefetch 1, acks late, one untimed warm-up "
             f"job each; PostgreSQL max_parallel_workers_per_gather = {gather_used} in both phases "
             f"(BENCH_FANOUT_PARALLEL_GATHER={gather_setting}); load average at the timed phases: "
             f"{one['load']:.1f} (1 worker), {two['load']:.1f} (2 workers). The two workers and their PostgreSQL "
             "backends share the machine's cores: the speed-up is bounded by the cores (< 2 on 2 cores), not by "
             "the broker; the cores busy show how much of them the other processes on the machine left to the "
             "workers (speed-up ≈ ratio of the cores busy, as the CPU of the work is the same in both phases).")
    return {"figures": figures, "notes": notes}

"""Fan-out: two Celery workers on one Redis broker divide per-township jobs between them.

Starts two workers (``celery -A config worker``, solo pool, one process each) as subprocesses
against the same broker and database, enqueues one ``core.Job`` per township (each computes
the township's household fact frame — the first step of screening, indices and the warning
scan), waits until every job is done, and reports how the jobs divided between the workers
and the wall time against running the same jobs one after another in this process. The
workers are stopped at the end (bounded in time), whatever happens.

The jobs go through the platform's own path: a ``core.Job`` row, the Celery task runs
``core.jobs.job_run`` which records status, times and the result on the row.
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

TITLE = "Fan-out of per-township jobs to two Celery workers (one broker)"
POSTGRES_ONLY = True  # the workers must share the database with this process
# BENCH_BROKER_URL, else the environment's Celery broker (each engineer's own Redis database), else db 14;
# the queue name is unique per run, so runs never take each other's jobs.
BROKER_URL = os.environ.get("BENCH_BROKER_URL") or os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/14"
JOB_KIND = "bench.township_frame"
ROOT = Path(__file__).resolve().parent.parent
_worker_name = ""


def _township_frame(job, *, prefix: str, on: str) -> dict:
    from dajiuzhu.registry.facts import household_frame

    started = time.perf_counter()
    frame = household_frame(on=dt.date.fromisoformat(on), region_prefix=prefix)
    return {"worker": _worker_name or "in-process", "pid": os.getpid(), "households": len(frame),
            "people": int(frame.columns["household_size"].sum()) if len(frame) else 0,
            "seconds": round(time.perf_counter() - started, 3)}


@shared_task(name="bench.fanout.township", bind=True, acks_late=True)
def township_task(self, job_id: str) -> str:
    """Worker side: run the job through the platform's job runner."""
    global _worker_name
    from dajiuzhu.core.jobs import job_handler, job_run

    _worker_name = self.request.hostname or ""
    job_handler(JOB_KIND)(_township_frame)
    return job_run(job_id).status


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor != "postgresql":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_workers(names: list[str], queue: str, log_dir: Path) -> list[subprocess.Popen]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": BROKER_URL, "DAJIUZHU_JOBS": "celery",
           "PYTHONPATH": str(ROOT)}
    workers = []
    for index, name in enumerate(names, start=1):
        log = (log_dir / f"fanout-worker{index}.log").open("w")
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-n", name,
                   "-Q", queue, "--include", "bench.fanout", "--without-gossip", "--without-mingle",
                   "--loglevel", "WARNING"]
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
    """Seconds until every worker answers a ping (start-up takes ~10 s; much longer on a loaded machine)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if any(p.poll() is not None for p in workers):
            raise RuntimeError("a Celery worker exited during start-up (see var/bench/*.log)")
        replies = producer.control.ping(destination=names, timeout=1.0)
        answered = {name for reply in replies for name in reply}
        if answered >= set(names):
            return time.monotonic() - started
    raise RuntimeError(f"workers did not answer a ping within {timeout:.0f} s (load average "
                       f"{os.getloadavg()[0]:.1f}; see var/bench/fanout-worker*.log)")


def run(people: int, *, county: str = "371424", smoke: bool = False, **_context) -> dict:
    from dajiuzhu.core.jobs import job_handler, job_run
    from dajiuzhu.core.models import Job
    from dajiuzhu.regions.models import Region

    job_handler(JOB_KIND)(_township_frame)
    on = dt.date.today().isoformat()
    townships = list(Region.objects.filter(level=4, code__startswith=county).order_by("code")
                     .values_list("prefix", flat=True))
    # Reference: the same jobs one after another in this process.
    started = time.perf_counter()
    for prefix in townships:
        job = Job.objects.create(kind=JOB_KIND, params={"prefix": prefix, "on": on}, region_code=prefix.ljust(12, "0"))
        job_run(job.pk)
    sequential = time.perf_counter() - started

    run_id = uuid.uuid4().hex[:8]
    names = [f"fanout1-{run_id}@bench", f"fanout2-{run_id}@bench"]
    queue = f"bench-fanout-{run_id}"
    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    producer = _producer()
    workers = start_workers(names, queue, log_dir)
    try:
        startup = wait_ready(producer, names, workers)
        started = time.perf_counter()
        jobs = []
        for prefix in townships:
            job = Job.objects.create(kind=JOB_KIND, params={"prefix": prefix, "on": on},
                                     region_code=prefix.ljust(12, "0"))
            producer.send_task("bench.fanout.township", args=[str(job.pk)], queue=queue)
            jobs.append(job.pk)
        deadline = time.monotonic() + max(120.0, sequential * 5)
        while Job.objects.filter(pk__in=jobs, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exists():
            if time.monotonic() > deadline:
                raise RuntimeError("fan-out jobs did not finish in time")
            time.sleep(0.05)
        parallel = time.perf_counter() - started
    finally:
        stop_workers(workers)
        producer.close()
    done = list(Job.objects.filter(pk__in=jobs).values_list("status", "result"))
    failed = [r for s, r in done if s != Job.Status.DONE]
    if failed:
        raise RuntimeError(f"{len(failed)} fan-out jobs failed")
    per_worker: dict[str, dict] = {}
    for _status, result in done:
        slot = per_worker.setdefault(result["worker"], {"jobs": 0, "households": 0, "seconds": 0.0})
        slot["jobs"] += 1
        slot["households"] += result["households"]
        slot["seconds"] += result["seconds"]
    figures = [
        {"name": "wall time, 2 workers", "value": round(parallel, 3), "unit": "s", "better": "lower",
         "reference": "same jobs one after another in one process", "reference_value": round(sequential, 3)},
        {"name": "speed-up over one process", "value": round(sequential / parallel, 2) if parallel else None,
         "unit": "×", "better": "higher"},
        {"name": "worker start-up (both answering a ping)", "value": round(startup, 2), "unit": "s"},
    ]
    for index, name in enumerate(names, start=1):
        slot = per_worker.get(name, {"jobs": 0, "households": 0, "seconds": 0.0})
        figures.append({"name": f"worker {index}: jobs", "value": slot["jobs"], "unit": "jobs", "better": "higher"})
        figures.append({"name": f"worker {index}: households", "value": slot["households"], "unit": "households",
                        "better": "higher"})
        figures.append({"name": f"worker {index}: busy time", "value": round(slot["seconds"], 3), "unit": "s"})
    notes = (f"{len(townships)} township jobs (household fact frame of each township on {on}); broker {BROKER_URL}, "
             f"queue {queue}; workers: solo pool, prefetch 1, acks late. Both workers and PostgreSQL share the "
             "machine's cores, so the speed-up is bounded by the cores, not by the broker.")
    return {"figures": figures, "notes": notes}

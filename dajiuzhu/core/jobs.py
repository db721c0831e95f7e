"""One abstraction for long work.

A job is a row (``core.Job``) with status, progress, counts and an error report, and a
handler registered by kind. ``job_enqueue`` runs it according to ``settings.JOBS_BACKEND``:
``celery`` on the workers (production), ``thread`` in a background thread of the web
process (the embedded default, so the page can show progress), ``inline`` at once in the
caller (tests, commands). Enqueueing happens on commit, so a job never sees a half-written
transaction.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from . import context
from .models import Job

log = logging.getLogger(__name__)

Handler = Callable[..., dict | None]
_HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``fn(job, **params) -> result dict`` as the handler of ``kind``."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def handler_for(kind: str) -> Handler:
    if kind not in _HANDLERS:
        # Handlers register on import of their app's jobs module.
        from importlib import import_module

        from django.apps import apps

        for app in apps.get_app_configs():
            if app.name.startswith("dajiuzhu."):
                try:
                    import_module(f"{app.name}.jobs")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app.name}.jobs":
                        raise
    return _HANDLERS[kind]


def job_enqueue(*, kind: str, actor=None, params: dict[str, Any] | None = None, region_code: str = "",
                backend: str | None = None) -> Job:
    handler_for(kind)  # fail early on an unknown kind
    user = actor if getattr(actor, "is_authenticated", False) else None
    job = Job.objects.create(kind=kind, params=params or {}, created_by=user, region_code=region_code)
    backend = backend or settings.JOBS_BACKEND
    if backend == "inline":
        transaction.on_commit(lambda: job_run(job.pk))
    elif backend == "thread":
        transaction.on_commit(lambda: _start_thread(job.pk))
    elif backend == "celery":
        from .tasks import run_job

        transaction.on_commit(lambda: run_job.delay(str(job.pk)))
    else:
        raise ValueError(f"unknown jobs backend {backend!r}")
    return job


def _start_thread(job_id) -> None:
    def target() -> None:
        try:
            job_run(job_id)
        finally:
            close_old_connections()

    threading.Thread(target=target, name=f"job-{job_id}", daemon=True).start()


def job_run(job_id) -> Job:
    """Run a queued job to the end; a failure is recorded on the job, never lost."""
    job = Job.objects.get(pk=job_id)
    if job.status != Job.Status.QUEUED:
        return job
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    job.refresh_from_db()
    try:
        with context.source("import" if job.kind.endswith(".import") else "job"):
            result = handler_for(job.kind)(job, **job.params) or {}
    except Exception as exc:  # noqa: BLE001 - the job records every failure
        log.exception("job %s (%s) failed", job.pk, job.kind)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED, finished_at=timezone.now(), message=f"{exc}\n\n{traceback.format_exc(limit=5)}"
        )
    else:
        Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE, finished_at=timezone.now(), result=result)
    job.refresh_from_db()
    return job


def job_progress(job: Job, *, done: int | None = None, add: int | None = None, total: int | None = None,
                 counts: dict | None = None, message: str | None = None) -> None:
    """Persist progress from inside a handler (outside its data transaction)."""
    updates: dict[str, Any] = {}
    if done is not None:
        updates["done"] = done
    if add is not None:
        updates["done"] = F("done") + add
    if total is not None:
        updates["total"] = total
    if counts is not None:
        updates["counts"] = counts
    if message is not None:
        updates["message"] = message
    if updates:
        Job.objects.filter(pk=job.pk).update(**updates)


AUDIT_VERIFY = "core.audit_verify"


@job_handler(AUDIT_VERIFY)
def audit_verify_job(job: Job) -> dict:
    """Walk the whole audit chain in the background (the page button and the nightly beat entry).

    The result keeps the reason's code words; pages translate them. A broken chain is also logged
    as an error, so monitoring that watches the log sees it without anyone opening the page.
    """
    from .audit import audit_verify
    from .models import AuditEvent

    job_progress(job, total=AuditEvent.objects.count())
    report = audit_verify(progress=lambda checked: job_progress(job, done=checked))
    job_progress(job, done=report.checked)
    if not report.ok:
        log.error("audit chain broken at event #%s: %s (%s events before it intact)",
                  report.broken_at, report.reason, report.checked)
    result = {"intact": report.ok, "checked": report.checked, "broken_at": report.broken_at, "reason": report.reason}
    if report.checkpoint is not None:
        result["checkpoint"] = {"sig": report.checkpoint.sig, "event_id": report.checkpoint.event_id,
                                "count": report.checkpoint.count}
    return result


REPORT_PURGE = "core.report_purge"


@job_handler(REPORT_PURGE)
def report_purge_job(job: Job) -> dict:
    """Nightly: delete the error reports past the retention period (``core.retention``), and uploads that no
    live job refers to past their grace period (``core.uploads``: left by a process that died)."""
    from .retention import report_purge
    from .uploads import upload_purge

    return {**report_purge(), **upload_purge()}

"""Data retention of error reports: how long a report file is kept, and the purge that ends it.

An error report (the refused rows of an import, under ``VAR_DIR/reports``, sealed) is kept for
``REPORT_RETENTION_DAYS`` days after its job finished (setting, else the environment variable
``DAJIUZHU_REPORT_RETENTION_DAYS``, default 30). The nightly purge (``core.report_purge`` job,
beat entry in ``core.schedule``) deletes the files of older jobs, marks those jobs' reports as
expired (``result["report_expired_at"]``, so the job page says so instead of offering a
download) and deletes files in the folder that no job refers to once they are older than the
retention period (reports of the ``registry_import`` command). The same nightly job purges the
uploads a dead process left behind (``core.uploads.upload_purge``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Job

DEFAULT_RETENTION_DAYS = 30


def report_retention_days() -> int:
    value = getattr(settings, "REPORT_RETENTION_DAYS", None)
    if value is None:
        value = os.environ.get("DAJIUZHU_REPORT_RETENTION_DAYS", "") or DEFAULT_RETENTION_DAYS
    return max(1, int(value))


def reports_dir() -> Path:
    return Path(settings.VAR_DIR) / "reports"


def report_expires_at(job: Job) -> dt.datetime | None:
    """When the job's error report will be deleted (None while the job runs)."""
    finished = job.finished_at
    return finished + dt.timedelta(days=report_retention_days()) if finished else None


def report_expired_at(job: Job) -> str:
    """The ISO time the job's report was purged, or ''."""
    return (job.result or {}).get("report_expired_at", "") if isinstance(job.result, dict) else ""


def report_purge(*, now: dt.datetime | None = None) -> dict:
    """Delete the error reports past the retention period; the counts."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=report_retention_days())
    folder = reports_dir().resolve()
    expired = Job.objects.exclude(error_report="").filter(finished_at__lt=cutoff)
    jobs = files = 0
    for job in expired.iterator():
        path = Path(job.error_report)
        if path.resolve().parent == folder and path.is_file():
            path.unlink()
            files += 1
        with transaction.atomic():
            result = dict(job.result) if isinstance(job.result, dict) else {}
            result["report_expired_at"] = now.isoformat()
            Job.objects.filter(pk=job.pk).update(error_report="", result=result)
        jobs += 1
    kept = {Path(p).name for p in Job.objects.exclude(error_report="").values_list("error_report", flat=True)}
    orphans = 0
    if folder.is_dir():
        for path in folder.iterdir():
            if (path.is_file() and path.name not in kept
                    and dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) < cutoff):
                path.unlink()
                orphans += 1
    return {"jobs": jobs, "files": files + orphans, "orphan_files": orphans,
            "retention_days": report_retention_days(), "cutoff": cutoff.isoformat()}

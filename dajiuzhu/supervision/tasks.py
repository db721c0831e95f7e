"""Celery beat entry point: enqueue the time-limit scan of every county (the job does the work)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="dajiuzhu.supervision.tasks.scan_time_limits")
def scan_time_limits() -> list[str]:
    from django.db import transaction
    from django.utils import timezone

    from .jobs import scan_counties

    with transaction.atomic():
        jobs = scan_counties(on=timezone.localdate())
    return [str(job.pk) for job in jobs]

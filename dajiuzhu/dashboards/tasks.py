"""Celery beat entry point: enqueue the ``dashboards.refresh`` job (the job does the work)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="dajiuzhu.dashboards.tasks.refresh_dashboards")
def refresh_dashboards() -> str:
    from django.db import transaction

    from dajiuzhu.core.jobs import job_enqueue

    with transaction.atomic():
        job = job_enqueue(kind="dashboards.refresh")
    return str(job.pk)

"""Celery beat entry point: the daily expiry of dishonesty records, as a ``core.jobs`` job."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction


@shared_task(name="dajiuzhu.credit.tasks.expire_records")
def expire_records() -> str:
    from dajiuzhu.core.jobs import job_enqueue

    with transaction.atomic():
        job = job_enqueue(kind="credit.expire")
    return str(job.pk)

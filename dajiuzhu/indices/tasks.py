"""Celery tasks (beat entry points): thin, they only fan out ``core.jobs`` jobs per county."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="dajiuzhu.indices.tasks.run_indices")
def run_indices(on: str | None = None, region_prefix: str = "") -> int:
    import datetime as dt

    from .jobs import indices_fan_out

    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    return len(indices_fan_out(on=day, region_prefix=region_prefix))

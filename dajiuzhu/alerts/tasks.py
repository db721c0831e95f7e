"""Celery beat entry points: fan out one ``core.jobs`` job per county."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone


@shared_task(name="dajiuzhu.alerts.tasks.scan_alerts")
def scan_alerts(on: str | None = None, region_prefix: str = "") -> int:
    from .jobs import scan_fan_out

    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    return len(scan_fan_out(on=day, region_prefix=region_prefix))


@shared_task(name="dajiuzhu.alerts.tasks.escalate_alerts")
def escalate_alerts(on: str | None = None, region_prefix: str = "") -> int:
    from .jobs import escalate_fan_out

    day = dt.date.fromisoformat(on) if on else timezone.localdate()
    return len(escalate_fan_out(on=day, region_prefix=region_prefix))

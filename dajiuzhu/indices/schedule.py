"""Celery beat entries for the indices and the warning scan (the deploy engineer wires them in).

``settings.CELERY_BEAT_SCHEDULE = {**CELERY_BEAT_SCHEDULE, ...}`` with this module's dict.
Each entry runs a fan-out task that enqueues one ``core.jobs`` job per county:
- indices and roster on the 1st of each month at 01:30 (the monthly snapshot);
- the warning scan every day at 03:00 (after the night's department data);
- escalation of overdue alerts every day at 07:00.
"""

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE = {
    "indices-monthly": {
        "task": "dajiuzhu.indices.tasks.run_indices",
        "schedule": crontab(minute=30, hour=1, day_of_month=1),
    },
    "alerts-scan-daily": {
        "task": "dajiuzhu.alerts.tasks.scan_alerts",
        "schedule": crontab(minute=0, hour=3),
    },
    "alerts-escalate-daily": {
        "task": "dajiuzhu.alerts.tasks.escalate_alerts",
        "schedule": crontab(minute=0, hour=7),
    },
}

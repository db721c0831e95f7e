"""Celery beat: the time-limit scan every working morning at 06:15 and at 13:15."""

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE = {
    "supervision-scan-time-limits": {
        "task": "dajiuzhu.supervision.tasks.scan_time_limits",
        "schedule": crontab(minute=15, hour="6,13"),
    },
}

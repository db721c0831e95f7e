"""Celery beat: refresh the dashboard figures every night at 04:30 (after the warning scan and the
night's department data) and at 12:30 (so the morning's payments and decisions show the same day)."""

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE = {
    "dashboards-refresh": {
        "task": "dajiuzhu.dashboards.tasks.refresh_dashboards",
        "schedule": crontab(minute=30, hour="4,12"),
    },
}

"""Celery beat entries of the credit record (gathered by settings.CELERY_BEAT_SCHEDULE)."""

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE = {
    # Records past their expiry date are marked expired every night (the date check on every
    # read already ignores them; this keeps the list and the notices in step).
    "credit-expire-daily": {"task": "dajiuzhu.credit.tasks.expire_records", "schedule": crontab(minute=15, hour=0)},
}

"""Celery beat entries of the kernel (gathered by settings.CELERY_BEAT_SCHEDULE)."""

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE = {
    # The whole audit chain is re-verified every night; a broken link is logged as an error and
    # shown on the supervisor's audit page.
    "core-audit-verify-daily": {"task": "dajiuzhu.core.tasks.verify_audit_chain", "schedule": crontab(minute=40, hour=2)},
    # A signed checkpoint of the audit chain's head, to the append-only file outside the database
    # (core.audit_checkpoint); nothing is written when the head has not moved.
    "core-audit-checkpoint": {"task": "dajiuzhu.core.tasks.audit_checkpoint", "schedule": crontab(minute="*/15")},
    # Error reports (refused rows with ID numbers and names, sealed) are deleted once past
    # DAJIUZHU_REPORT_RETENTION_DAYS (default 30); the job page then says the report expired. The same job
    # deletes uploads (sealed) that no queued or running job refers to after UPLOAD_GRACE_HOURS (default 24).
    "core-report-purge-daily": {"task": "dajiuzhu.core.tasks.purge_reports", "schedule": crontab(minute=10, hour=3)},
}

"""Celery entry point: a task takes the job id and runs the registered handler."""

from celery import shared_task


@shared_task(name="dajiuzhu.run_job", acks_late=True)
def run_job(job_id: str) -> str:
    from .jobs import job_run

    return job_run(job_id).status


@shared_task(name="dajiuzhu.core.tasks.verify_audit_chain")
def verify_audit_chain() -> str:
    """Nightly: verify the audit chain as a job (its result shows on the audit page)."""
    from django.db import transaction

    from .jobs import AUDIT_VERIFY, job_enqueue

    with transaction.atomic():
        job = job_enqueue(kind=AUDIT_VERIFY)
    return str(job.pk)


@shared_task(name="dajiuzhu.core.tasks.purge_reports")
def purge_reports() -> str:
    """Nightly: delete the error reports past the retention period, as a job."""
    from django.db import transaction

    from .jobs import REPORT_PURGE, job_enqueue

    with transaction.atomic():
        job = job_enqueue(kind=REPORT_PURGE)
    return str(job.pk)


@shared_task(name="dajiuzhu.core.tasks.audit_checkpoint")
def audit_checkpoint() -> str:
    """Every 15 minutes: sign the audit chain's head into the checkpoint file (core.audit_checkpoint)."""
    from .audit_checkpoint import checkpoint_write

    written = checkpoint_write(reason="scheduled")
    return f"#{written.event_id} ({written.count} events)" if written else "unchanged"

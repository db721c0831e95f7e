"""Celery entry point: a task takes the job id and runs the registered handler."""

from celery import shared_task


@shared_task(name="dajiuzhu.run_job", acks_late=True)
def run_job(job_id: str) -> str:
    from .jobs import job_run

    return job_run(job_id).status

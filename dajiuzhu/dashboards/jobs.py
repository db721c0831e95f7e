"""Background entry point: ``dashboards.refresh`` (enqueue with ``core.jobs.job_enqueue``)."""

from dajiuzhu.core.jobs import job_handler

from .services import dashboards_refresh


@job_handler("dashboards.refresh")
def refresh_job(job, **params) -> dict:
    refresh = dashboards_refresh(actor=job.created_by)
    return {"figures": refresh.figures, "seconds": round(refresh.seconds, 3), "sources": refresh.sources}

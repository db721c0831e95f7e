"""Background jobs of the registry: ``registry.import`` (a file in the registry template)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from dajiuzhu.core.jobs import job_handler, job_progress
from dajiuzhu.core.models import Job
from dajiuzhu.core.uploads import upload_delete

from .importing import DEFAULT_BATCH_ROWS, ImportCounts, registry_import


@job_handler("registry.import")
def registry_import_job(job: Job, *, path: str, filename: str = "", actor_id: int | None = None,
                        keep_upload: bool = False, batch_rows: int = DEFAULT_BATCH_ROWS) -> dict:
    """Import the uploaded file as its uploader; progress and counts go onto the job as it runs.

    A file that cannot be read fails the job with the reason (nothing written). The upload is
    removed afterwards: the registry and the error report are what remain. ``batch_rows``: rows per
    transaction (the default, except in tests of the worker processes).
    """
    actor = get_user_model().objects.get(pk=actor_id) if actor_id else None

    def progress(done: int, total: int, counts: ImportCounts) -> None:
        job_progress(job, done=done, total=total, counts=counts.as_dict())

    try:
        result = registry_import(actor=actor, path=path, filename=filename, job=job, report_stem=f"registry-{job.pk}",
                                 progress=progress, batch_rows=batch_rows)
    finally:
        if not keep_upload:
            upload_delete(path)
    Job.objects.filter(pk=job.pk).update(error_report=str(result.report_path or ""), counts=result.counts.as_dict())
    return result.as_dict()

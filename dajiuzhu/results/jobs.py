"""Background jobs of the results database: files uploaded on its pages, read here, never in the request.

``results.delivery``: a department's or organisation's file of assistance records; ``results.reconcile``: a
bank's return file for a payment batch. The page keeps the upload sealed (``core.uploads``) and hands
it over at once; the file is checked (limits of ``core.intake.guard``) and read in the job.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.intake import FileRefused
from dajiuzhu.core.jobs import job_progress
from dajiuzhu.core.models import Job
from dajiuzhu.core.uploads import upload_job_handler, upload_read

from . import payments, selectors, services
from .intake import delivery_file_digest, read_delivery_path

DELIVERY = "results.delivery"
RECONCILE = "results.reconcile"
RETURN_FILE_LIMIT = 20 * 1024 * 1024  # a bank's return file: one short line per payee


@upload_job_handler(DELIVERY)
def delivery_job(job: Job, *, actor, path: str, filename: str) -> dict:
    try:
        rows = read_delivery_path(path, filename=filename)
    except FileRefused as exc:
        raise DomainError(exc.message, field="file") from None
    job_progress(job, total=len(rows))
    result = services.delivery_receive(actor=actor, rows=rows, filename=filename, sha256=delivery_file_digest(path))
    job_progress(job, done=len(rows))
    if services.may_see_matching(actor):
        summary = _("%(created)d records created, %(dup)d already recorded, %(kept)d kept aside") % {
            "created": result.created, "dup": result.duplicates, "kept": len(result.kept_aside)}
    else:  # the same answer whether or not the people are in the registry (no counts that tell who is)
        summary = _("%(accepted)d rows accepted, %(invalid)d refused for their values") % {
            "accepted": result.accepted, "invalid": len(result.invalid)}
    return {"delivery": result.delivery.pk, "url": reverse("results:delivery", args=[result.delivery.pk]),
            "link": _("Open the delivery"), "summary": summary}


@upload_job_handler(RECONCILE)
def reconcile_job(job: Job, *, actor, path: str, filename: str, batch_id: int) -> dict:
    batch = selectors.batch_get(actor=actor, pk=batch_id)
    try:
        content = upload_read(path, limit=RETURN_FILE_LIMIT)
    except ValueError:
        raise DomainError(_("the return file is larger than %(n)d MB; it is not a bank's return file of one batch")
                          % {"n": RETURN_FILE_LIMIT // (1024 * 1024)}, field="file") from None
    batch = payments.payment_batch_reconcile(actor=actor, batch=batch, content=content, filename=filename)
    return {"batch": batch.pk, "url": reverse("results:batch", args=[batch.pk]), "link": _("Open the batch"),
            "summary": _("reconciled: %(paid)d paid, %(failed)d failed")
            % {"paid": batch.paid_count, "failed": batch.failed_count}}

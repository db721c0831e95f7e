"""Background jobs of the checks app: ``checks.delivery`` (a department's uploaded data file).

The page keeps the upload sealed and hands it here at once (``core.uploads``): the file is checked
(limits of ``core.intake.guard``), read and stored in the job, never in the web request.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.jobs import job_progress
from dajiuzhu.core.models import Job
from dajiuzhu.core.uploads import upload_job_handler

from .datatypes import DATA_TYPES
from .delivery import delivery_receive
from .files import read_rows_at
from .models import Channel

DELIVERY = "checks.delivery"


@upload_job_handler(DELIVERY)
def delivery_job(job: Job, *, actor, path: str, filename: str, data_type: str) -> dict:
    spec = DATA_TYPES.get(data_type)
    if spec is None:
        raise DomainError(_("unknown data type %(type)s") % {"type": data_type}, field="data_type")
    rows = read_rows_at(path, name=filename, spec=spec)
    job_progress(job, total=len(rows))
    delivery = delivery_receive(actor=actor, data_type=data_type, rows=rows, channel=Channel.UPLOAD,
                                file_name=filename)
    job_progress(job, done=len(rows))
    return {"delivery": delivery.pk, "url": reverse("checks:delivery", args=[delivery.pk]),
            "link": _("Open the delivery"),
            "summary": _("Delivery received: %(n)d records.") % {"n": delivery.created + delivery.updated
                                                                 + delivery.unchanged}}

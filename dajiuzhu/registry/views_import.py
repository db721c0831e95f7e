"""Pages of the registry import: upload → job → progress (htmx) → result and error report.

The upload is kept sealed (``core.uploads``) and handed to the job at once: nothing of the file is
parsed in the request (a small XLSX bomb would hold it for minutes). A job of kind ``registry.import`` belongs to the uploader's region; the progress page and the
error report are found through ``core.scoping`` (another township's job is a 404), and the
report is served from ``VAR_DIR/reports`` (not web-public) by ``import_report`` only: it is kept
sealed there (``core.intake.sealed``) and decrypted into the CSV/XLSX only in that response. After
the retention period (``core.retention``) the nightly purge deletes it and the page says so.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.intake.report import report_content
from dajiuzhu.core.intake.sealed import SealedFileError, is_sealed_path
from dajiuzhu.core.jobs import job_enqueue
from dajiuzhu.core.models import Job
from dajiuzhu.core.retention import report_expired_at, report_expires_at, report_retention_days
from dajiuzhu.core.scoping import get_scoped, scope
from dajiuzhu.core.uploads import upload_delete, upload_save
from dajiuzhu.core.views import perm_required

from .template import COLUMNS, template_csv, template_xlsx

JOB_KIND = "registry.import"
ALLOWED_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX in the registry template)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than %(n)d MB; import it with the registry_import "
                                          "command.") % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)})
        return upload


def import_jobs(user):
    """Import jobs the user may see: those of their jurisdiction."""
    return scope(Job.objects.filter(kind=JOB_KIND), user, perm="registry.import")


@perm_required("registry.import")
def import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        # Kept sealed (encrypted from the first byte) and handed to the job at once: the file is checked
        # (limits, layout, encoding) and read there, never in this request.
        path = upload_save(upload)
        try:
            with transaction.atomic():
                job = job_enqueue(kind=JOB_KIND, actor=request.user, region_code=request.user.region_id or "",
                                  params={"path": str(path), "filename": upload.name, "actor_id": request.user.pk})
        except BaseException:
            upload_delete(path)
            raise
        return redirect("registry:import_status", pk=job.pk)
    recent = import_jobs(request.user).order_by("-created_at")[:10]
    return render(request, "registry/import.html", {
        "form": form, "recent": recent, "columns": COLUMNS,
    })


@perm_required("registry.import")
def import_template(request, fmt: str):
    if fmt == "xlsx":
        response = HttpResponse(template_xlsx(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    elif fmt == "csv":
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    chinese = quote(f"社会救助对象信息登记表.{fmt}")
    response["Content-Disposition"] = f"attachment; filename=\"registry-template.{fmt}\"; filename*=UTF-8''{chinese}"
    return response


COUNT_LABELS = (
    ("rows", gettext_lazy("rows read")),
    ("households_created", gettext_lazy("households created")),
    ("households_updated", gettext_lazy("households updated")),
    ("households_unchanged", gettext_lazy("households unchanged")),
    ("households_rejected", gettext_lazy("households rejected")),
    ("members_created", gettext_lazy("members created")),
    ("members_updated", gettext_lazy("members updated")),
    ("members_unchanged", gettext_lazy("members unchanged")),
    ("rows_rejected", gettext_lazy("rows rejected")),
)


@perm_required("registry.import")
def import_status(request, pk):
    job = get_scoped(import_jobs(request.user), request.user, perm="registry.import", pk=pk)
    counts = job.counts or (job.result or {}).get("counts") or {}
    context = {
        "job": job,
        "counts": [(label, counts.get(key, 0)) for key, label in COUNT_LABELS] if counts else [],
        "failure": job.message.split("\n\n", 1)[0] if job.status == Job.Status.FAILED else "",
        "has_report": bool(job.error_report),
        "report_expires_at": report_expires_at(job) if job.error_report else None,
        "report_expired_at": parse_datetime(report_expired_at(job) or ""),
        "retention_days": report_retention_days(),
        "result": job.result or {},
    }
    template = "registry/import_progress.html" if request.headers.get("HX-Request") else "registry/import_status.html"
    return render(request, template, context)


@perm_required("registry.import")
def import_report(request, pk):
    job = get_scoped(import_jobs(request.user), request.user, perm="registry.import", pk=pk)
    reports = (Path(settings.VAR_DIR) / "reports").resolve()
    path = Path(job.error_report).resolve() if job.error_report else None
    if path is None or reports not in path.parents or not path.is_file():
        raise Http404(_("This import has no error report."))
    with transaction.atomic():
        audit_record(actor=request.user, action="registry.import.report_download", object_type="core.job",
                     object_id=str(job.pk), region_code=job.region_code, new={"report": path.name})
    if not is_sealed_path(path):  # a report written before reports were sealed (purged after the retention)
        return FileResponse(open(path, "rb"), as_attachment=True,  # noqa: SIM115 - FileResponse closes it
                            filename=f"registry-errors-{str(job.pk)[:8]}{path.suffix}")
    try:
        content, kind = report_content(path)
    except SealedFileError as exc:  # sealed under another key (FIELD_ENCRYPTION_KEY rotated) or altered
        raise Http404(_("This import's error report can no longer be read.")) from exc
    response = StreamingHttpResponse(content, content_type=REPORT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="registry-errors-{str(job.pk)[:8]}.{kind}"'
    response["Cache-Control"] = "no-store"
    return response


REPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

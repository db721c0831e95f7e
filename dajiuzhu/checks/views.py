"""Pages: department deliveries, verification reports (printable), the approver's decision, the batch."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dajiuzhu.core import context
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.uploads import upload_job_enqueue, upload_job_url
from dajiuzhu.core.views import require_perm
from dajiuzhu.registry.selectors import household_get

from . import batch as batch_mod
from . import selectors
from .datatypes import DATA_TYPES, owned_types
from .files import error_file, template_csv
from .forms import BatchForm, DecisionForm, DeliveryForm, VerifyForm
from .jobs import DELIVERY
from .models import ReportStatus
from .services import report_decide as report_decide_service
from .services import verify_household


@login_required
def deliveries(request):
    user = request.user
    if not (user.has_perm_code("checks.deliver") or user.has_perm_code("checks.view")):
        raise PermissionDenied
    can_deliver = user.has_perm_code("checks.deliver") and user.department_id
    form = DeliveryForm(request.POST or None, request.FILES or None, department=user.department) if can_deliver else None
    if request.method == "POST":
        if not can_deliver:
            raise PermissionDenied
        if form.is_valid():
            # The file is kept sealed and read by a job (never in this request); its page shows the outcome.
            job = upload_job_enqueue(form.cleaned_data["file"], kind=DELIVERY, actor=user,
                                     title=_("Department data delivery"),
                                     params={"data_type": form.cleaned_data["data_type"]},
                                     region_code=user.region_id or "")
            return redirect(upload_job_url(job))
    page = Paginator(selectors.delivery_list(actor=user), 50).get_page(request.GET.get("page"))
    types = [(code, spec) for code, spec in DATA_TYPES.items() if code in owned_types(user.department)]
    return render(request, "checks/deliveries.html", {"form": form, "page": page, "types": types})


@login_required
def delivery_detail(request, pk: int):
    delivery = selectors.delivery_get(actor=request.user, pk=pk)
    unmatched = selectors.delivery_unmatched(delivery=delivery)[:200]
    return render(request, "checks/delivery.html", {"delivery": delivery, "spec": DATA_TYPES.get(delivery.data_type),
                                                    "unmatched": unmatched, "errors": delivery.errors[:200]})


@login_required
def delivery_errors(request, pk: int):
    """The refused rows in the data type's file layout, with the reasons: correct them and deliver again."""
    delivery = selectors.delivery_get(actor=request.user, pk=pk)
    spec = DATA_TYPES.get(delivery.data_type)
    if spec is None:
        raise Http404
    response = HttpResponse(error_file(spec, delivery.errors), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="delivery-{delivery.pk}-refused-rows.csv"'
    return response


@login_required
def template_download(request, data_type: str):
    spec = DATA_TYPES.get(data_type)
    if spec is None:
        raise Http404
    response = HttpResponse(template_csv(spec.headers), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{data_type}.csv"'
    return response


@login_required
def reports(request):
    require_perm(request, "checks.view")
    status = request.GET.get("status", "")
    qs = selectors.report_list(actor=request.user, status=status, outcome=request.GET.get("outcome", ""))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "checks/reports.html", {"page": page, "status": status,
                                                   "statuses": ReportStatus.choices,
                                                   "can_batch": request.user.has_perm_code("checks.run")})


@login_required
def report_detail(request, pk: int):
    report = selectors.report_get(actor=request.user, pk=pk)
    can_decide = (report.status == ReportStatus.AWAITING_DECISION and request.user.has_perm_code("cases.approve"))
    return render(request, "checks/report.html", {
        "report": report, "items": report.all_lines(), "form": DecisionForm() if can_decide else None,
        "supporters": selectors.report_supporters(report),
    })


@login_required
@require_POST
def report_decide(request, pk: int):
    report = selectors.report_get(actor=request.user, pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with context.source("web"):
                report_decide_service(actor=request.user, report=report, decision=data["decision"],
                                      reason=data["reason"], amount=data["amount"], not_due_from=data["not_due_from"],
                                      dishonest=data["dishonest"],
                                      dishonesty_reason=data["dishonesty_reason"] or "concealment")
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The decision was recorded."))
    else:
        messages.error(request, _("Check the decision form."))
    return redirect("checks:report", pk=report.pk)


@login_required
@require_POST
def household_verify(request, household_id: int):
    require_perm(request, "checks.run")
    household = household_get(actor=request.user, pk=household_id)
    form = VerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a valid reference date."))
        return redirect(request.META.get("HTTP_REFERER") or "checks:reports")
    try:
        with context.source("web"):
            report = verify_household(actor=request.user, household=household, as_of=form.cleaned_data["as_of"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(request.META.get("HTTP_REFERER") or "checks:reports")
    return redirect("checks:report", pk=report.pk)


@login_required
def batch(request):
    require_perm(request, "checks.view")
    form = BatchForm(request.POST or None)
    if request.method == "POST":
        require_perm(request, "checks.run")
        if form.is_valid():
            try:
                with context.source("web"):
                    job = batch_mod.batch_start(actor=request.user, as_of=form.cleaned_data["as_of"])
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                return redirect("checks:batch_detail", job_id=job.pk)
    jobs = batch_mod.batch_jobs(actor=request.user)
    return render(request, "checks/batch.html", {"form": form, "jobs": jobs,
                                                 "can_run": request.user.has_perm_code("checks.run")})


@login_required
def batch_detail(request, job_id):
    require_perm(request, "checks.view")
    job = batch_mod.batch_job_get(actor=request.user, pk=job_id)
    worklist = batch_mod.worklist(actor=request.user, job=job)
    template = "checks/_batch_progress.html" if request.headers.get("HX-Request") else "checks/batch_detail.html"
    return render(request, template, {"job": job, "worklist": worklist,
                                      "townships": batch_mod.worklist_by_township(worklist)})

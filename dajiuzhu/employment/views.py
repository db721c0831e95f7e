"""Pages of public-welfare jobs and training. Thin: parse → one service or selector → render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.views import perm_required
from dajiuzhu.registry.selectors import household_list
from dajiuzhu.results.xlsx import list_to_xlsx

from . import forms, selectors, services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _refused(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@perm_required("employment.view")
def overview(request):
    figures = selectors.figures(actor=request.user)
    if request.GET.get("format") == "xlsx":
        rows = [[p.job.title, p.person.name, p.region_code, p.start.isoformat(), p.get_status_display(),
                 p.ended_on.isoformat() if p.ended_on else ""] for p in selectors.placement_list(actor=request.user)]
        content = list_to_xlsx(title=_("Public-welfare posts"), headers=[
            _("Post"), _("Name"), _("Region"), _("From"), _("Status"), _("Left on")], rows=rows)
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="public-welfare-posts-{timezone.localdate():%Y%m%d}.xlsx"'
        return response
    return render(request, "employment/overview.html", {"figures": figures})


@perm_required("employment.view")
def job_list(request):
    form = forms.JobForm(request.POST or None) if request.user.has_perm_code("employment.manage") else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            job = services.job_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Post created."))
            return redirect("employment:job", pk=job.pk)
    return render(request, "employment/job_list.html", {"jobs": selectors.job_list(actor=request.user), "form": form})


@perm_required("employment.view")
def job_detail(request, pk: int):
    job = selectors.job_get(actor=request.user, pk=pk)
    can_manage = request.user.has_perm_code("employment.manage")
    form = forms.PlacementForm(request.POST or None, initial={"start": timezone.localdate()})
    if can_manage and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = next((c["person"] for c in selectors.candidates(actor=request.user)
                       if c["person"].pk == data["person"]), None)
        try:
            if person is None:
                raise DomainError(_("choose a candidate proposed from the roster"), field="person")
            services.placement_create(actor=request.user, job=job, person=person, start=data["start"],
                                      contract_number=data["contract_number"], contract_end=data["contract_end"])
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("%(name)s placed in the post.") % {"name": person.name})
            return redirect("employment:job", pk=job.pk)
    return render(request, "employment/job_detail.html", {
        "job": job, "placements": job.placements.select_related("person"), "form": form, "can_manage": can_manage,
        "candidates": selectors.candidates(actor=request.user, region=job.region_code[:9]) if can_manage else []})


@perm_required("employment.view")
def placement_detail(request, pk: int):
    placement = selectors.placement_get(actor=request.user, pk=pk)
    can_manage = request.user.has_perm_code("employment.manage")
    wage_form = forms.WageForm(request.POST if request.POST.get("form") == "wage" else None)
    exit_form = forms.ExitForm(request.POST if request.POST.get("form") == "exit" else None,
                               initial={"on": timezone.localdate()})
    if can_manage and request.method == "POST":
        try:
            if request.POST.get("form") == "wage" and wage_form.is_valid():
                services.wage_record(actor=request.user, placement=placement, **wage_form.cleaned_data)
                messages.success(request, _("Wage recorded; the household's income includes it."))
                return redirect("employment:placement", pk=placement.pk)
            if request.POST.get("form") == "exit" and exit_form.is_valid():
                services.placement_end(actor=request.user, placement=placement, **exit_form.cleaned_data)
                messages.success(request, _("The placement has ended."))
                return redirect("employment:placement", pk=placement.pk)
        except DomainError as exc:
            _refused(wage_form if request.POST.get("form") == "wage" else exit_form, exc)
    return render(request, "employment/placement_detail.html", {
        "placement": placement, "wages": placement.wages.all(), "wage_form": wage_form, "exit_form": exit_form,
        "can_manage": can_manage})


@perm_required("employment.view")
def course_list(request):
    form = forms.CourseForm(request.POST or None) if request.user.has_perm_code("employment.manage") else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Course created."))
            return redirect("employment:course", pk=course.pk)
    return render(request, "employment/course_list.html", {"courses": selectors.course_list(actor=request.user),
                                                           "form": form})


@perm_required("employment.view")
def course_detail(request, pk: int):
    course = selectors.course_get(actor=request.user, pk=pk)
    can_manage = request.user.has_perm_code("employment.manage")
    form = forms.EnrolForm(request.POST or None)
    if can_manage and request.method == "POST" and form.is_valid():
        household = household_list(actor=request.user).filter(number=form.cleaned_data["household_number"]).first()
        person = household.members.filter(name=form.cleaned_data["name"]).first() if household else None
        try:
            if person is None:
                raise DomainError(_("no member of that name in that household of your area"), field="name")
            services.enrolment_create(actor=request.user, course=course, person=person)
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Enrolled."))
            return redirect("employment:course", pk=course.pk)
    return render(request, "employment/course_detail.html", {
        "course": course, "enrolments": course.enrolments.select_related("person"), "form": form,
        "can_manage": can_manage, "complete_form": forms.CompleteForm(initial={"on": timezone.localdate()}),
        "follow_form": forms.FollowUpForm(initial={"on": timezone.localdate()}), "today": timezone.localdate()})


@require_POST
@perm_required("employment.manage")
def enrolment_action(request, pk: int, action: str):
    enrolment = selectors.enrolment_get(actor=request.user, pk=pk)
    try:
        if action == "complete":
            form = forms.CompleteForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("give the days attended and the date"))
            services.enrolment_complete(actor=request.user, enrolment=enrolment, **form.cleaned_data)
        elif action == "follow-up":
            form = forms.FollowUpForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("give the date of the follow-up"))
            services.enrolment_follow_up(actor=request.user, enrolment=enrolment, **form.cleaned_data)
        else:
            raise Http404
        messages.success(request, _("Recorded."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("employment:course", pk=enrolment.course_id)

"""Pages of the supervision app: the supervisor's page, time limits, evaluation, spot checks, complaints,
training, the county's settings, the regional comparison, and the public complaint form."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dajiuzhu.accounts.models import User
from dajiuzhu.core import context
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.net import client_address
from dajiuzhu.core.scoping import actor_prefix, scope
from dajiuzhu.core.views import run_service

from . import complaints, evaluation, selectors, spotchecks, training
from .calendar import holidays_replace, step_limit_set
from .forms import (
    AnswerForm,
    AssignForm,
    AttendanceForm,
    ComplaintForm,
    CourseForm,
    DrawForm,
    ExamForm,
    HolidaysForm,
    LimitForm,
    PublicComplaintForm,
    QuestionForm,
    RecordForm,
    SessionForm,
    SettingForm,
    WeightsForm,
)
from .models import Complaint, Exam, ExamAttempt, Holiday, Question, SpotCheck, StepLimit
from .policies import is_regional


def _require(request, perm: str) -> None:
    if not request.user.has_perm_code(perm):
        raise Http404


def _month(request) -> dt.date:
    value = request.GET.get("month", "")
    try:
        return dt.date.fromisoformat(value + "-01") if len(value) == 7 else timezone.localdate().replace(day=1)
    except ValueError:
        return timezone.localdate().replace(day=1)


@login_required
def home(request):
    """The supervisor's page (and every staff member's view of their own lists)."""
    _require(request, "supervision.view")
    user = request.user
    if is_regional(user):
        return redirect("supervision:region", code=user.region_id)
    month = _month(request)
    prefix = actor_prefix(user, "supervision.view")
    result = evaluation.evaluate_cached(region_prefix=prefix, month=month) if len(prefix) >= 6 else None
    return render(request, "supervision/home.html", {
        "month": month, "overdue": selectors.overdue_list(actor=user)[:50],
        "warnings": selectors.warnings_for(actor=user)[:50], "mine": selectors.my_overdue(actor=user)[:50],
        "result": result, "checks": selectors.spot_checks(actor=user).order_by("-draw__month", "id")[:30],
        "complaints": selectors.complaint_list(actor=user, status=Complaint.Status.OPEN)[:30],
        "groups": selectors.complaint_groups(actor=user)[:20],
        "cert_warnings": training.certificate_warnings(actor=user)[:50],
        "my_certificate": training.valid_certificate(user),
        "can_manage": user.has_perm_code("supervision.manage"),
    })


@login_required
def steps(request):
    """Open steps with the days left (the handler's list; overdue first)."""
    _require(request, "cases.view")
    rows = selectors.open_steps_for(actor=request.user)
    return render(request, "supervision/steps.html", {"rows": rows[:500], "total": len(rows)})


@login_required
def evaluation_page(request):
    _require(request, "supervision.view")
    code = request.GET.get("region") or request.user.region_id
    region = selectors.region_for(actor=request.user, code=code)
    month = _month(request)
    result = evaluation.evaluate_cached(region_prefix=region.prefix, month=month)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(evaluation.evaluation_xlsx(result),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="evaluation-{region.code}-{month:%Y-%m}.xlsx"'
        return response
    return render(request, "supervision/evaluation.html", {
        "region": region, "month": month, "result": result,
        "indicators": [(k, evaluation.indicator_label(k)) for k in evaluation.INDICATORS]})


@login_required
def region(request, code: str):
    """A region's children compared (a city's counties, a county's townships, …), with drill-down."""
    _require(request, "supervision.view")
    place = selectors.region_for(actor=request.user, code=code)
    rows = selectors.compare_children(actor=request.user, code=code)
    overdue = selectors.overdue_list(actor=request.user, region_prefix=place.prefix)[:100]
    return render(request, "supervision/region.html", {"region": place, "rows": rows, "overdue": overdue})


@login_required
def settings_page(request):
    _require(request, "supervision.manage")
    user = request.user
    county = user.region_id[:6]
    limit_form, holidays_form = LimitForm(), HolidaysForm(initial={"year": timezone.localdate().year})
    setting = spotchecks.county_setting(county)
    setting_form = SettingForm(initial={f: getattr(setting, f) for f in SettingForm.base_fields})
    formula = evaluation.current_formula(county)
    indicators = [(k, evaluation.indicator_label(k)) for k in evaluation.INDICATORS]
    weights_form = WeightsForm(indicators=indicators,
                               initial={f"w_{k}": formula.weights.get(k, 0) for k in evaluation.INDICATORS})
    if request.method == "POST":
        if "w_handled" in request.POST:
            weights_form = WeightsForm(request.POST, indicators=indicators)
            if weights_form.is_valid() and run_service(request, evaluation.formula_set, weights=weights_form.weights(),
                                                       note=weights_form.cleaned_data["note"]):
                messages.success(request, _("a new version of the weights was saved"))
                return redirect("supervision:settings")
        elif "spot_share" in request.POST:
            setting_form = SettingForm(request.POST)
            if setting_form.is_valid() and run_service(request, spotchecks.county_setting_update,
                                                       **setting_form.cleaned_data):
                messages.success(request, _("the settings were saved"))
                return redirect("supervision:settings")
        elif "days" in request.POST:
            limit_form = LimitForm(request.POST)
            if limit_form.is_valid():
                d = limit_form.cleaned_data
                if run_service(request, step_limit_set, item_code=d["item"], step=d["step"], days=d["days"],
                               unit=d["unit"], kind=d["kind"]):
                    messages.success(request, _("the time limit was saved"))
                    return redirect("supervision:settings")
        else:
            holidays_form = HolidaysForm(request.POST)
            if holidays_form.is_valid():
                if run_service(request, holidays_replace, year=holidays_form.cleaned_data["year"],
                               rows=holidays_form.parsed()):
                    messages.success(request, _("the calendar was saved"))
                    return redirect("supervision:settings")
    return render(request, "supervision/settings.html", {
        "limits": StepLimit.objects.filter(county_code=county).select_related("item"),
        "holidays": Holiday.objects.filter(county_code=county), "limit_form": limit_form,
        "holidays_form": holidays_form, "formula": formula, "setting_form": setting_form,
        "weights_form": weights_form})


@login_required
def spot_list(request):
    _require(request, "supervision.view")
    form = DrawForm(initial={"month": timezone.localdate().replace(day=1)})
    if request.method == "POST":
        _require(request, "supervision.manage")
        form = DrawForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            if run_service(request, spotchecks.spot_draw, month=d["month"], size=d["size"], seed=d["seed"]):
                messages.success(request, _("the sample was drawn"))
                return redirect("supervision:spotchecks")
    return render(request, "supervision/spotchecks.html", {
        "draws": selectors.draws(actor=request.user)[:12], "form": form,
        "checks": selectors.spot_checks(actor=request.user).order_by("-draw__month", "id")[:200],
        "can_manage": request.user.has_perm_code("supervision.manage")})


@login_required
def spot_detail(request, pk: int):
    check = selectors.spot_check_get(actor=request.user, pk=pk)
    user = request.user
    assign_form, record_form = AssignForm(), RecordForm(initial={"visited_on": timezone.localdate()})
    if request.method == "POST":
        if "checker" in request.POST:
            assign_form = AssignForm(request.POST)
            if assign_form.is_valid():
                checker = scope(User.objects.filter(username=assign_form.cleaned_data["checker"]), user,
                                perm="supervision.manage", fields=("region__code",)).first()
                if checker is None:
                    messages.error(request, _("no user of your county has that user name"))
                elif run_service(request, spotchecks.spot_assign, check=check, checker=checker):
                    messages.success(request, _("the spot check was assigned"))
                    return redirect("supervision:spotcheck", pk=pk)
        else:
            record_form = RecordForm(request.POST, request.FILES)
            if record_form.is_valid():
                d = record_form.cleaned_data
                upload = d.get("photos")
                photos = [(upload.name, upload.read())] if upload else []
                if run_service(request, spotchecks.spot_record, check=check, visited_on=d["visited_on"],
                               findings={k: d[k] for k in spotchecks.FINDINGS}, outcome=d["outcome"],
                               difference=d["difference"], photos=photos):
                    messages.success(request, _("the spot check was recorded"))
                    return redirect("supervision:spotcheck", pk=pk)
    return render(request, "supervision/spotcheck.html", {
        "check": check, "assign_form": assign_form, "record_form": record_form,
        "can_assign": user.has_perm_code("supervision.manage") and check.status != SpotCheck.Status.RECORDED,
        "can_record": check.checker_id == user.pk and check.status == SpotCheck.Status.ASSIGNED,
        "regional": is_regional(user)})


@login_required
def complaint_list(request):
    _require(request, "supervision.view")
    form = ComplaintForm()
    if request.method == "POST":
        _require(request, "supervision.complaints")
        form = ComplaintForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                made = complaints.complaint_submit(actor=request.user, kind=d["kind"], text=d["text"],
                                                   region_code=d["region"], channel=Complaint.Channel.STAFF,
                                                   case_number=d["case_number"], anonymous=d["anonymous"],
                                                   contact=d["contact"])
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("complaint %(n)s recorded") % {"n": made.number})
                return redirect("supervision:complaint", pk=made.pk)
    return render(request, "supervision/complaints.html", {
        "complaints": selectors.complaint_list(actor=request.user, status=request.GET.get("status", ""))[:200],
        "groups": selectors.complaint_groups(actor=request.user), "form": form,
        "can_record": request.user.has_perm_code("supervision.complaints")})


@login_required
def complaint_detail(request, pk: int):
    complaint = selectors.complaint_get(actor=request.user, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        ok = False
        if action == "assign":
            assignee = scope(User.objects.filter(username=request.POST.get("assignee", "")), request.user,
                             perm="supervision.manage", fields=("region__code",)).first()
            if assignee is None:
                messages.error(request, _("no user of your county has that user name"))
            else:
                ok = run_service(request, complaints.complaint_assign, complaint=complaint, assignee=assignee)
        elif action == "answer":
            ok = run_service(request, complaints.complaint_answer, complaint=complaint,
                             answer=request.POST.get("answer", ""))
        elif action == "close":
            ok = run_service(request, complaints.complaint_close, complaint=complaint)
        elif action == "verify":
            ok = run_service(request, complaints.complaint_open_verification, complaint=complaint)
        if ok:
            messages.success(request, _("done"))
        return redirect("supervision:complaint", pk=pk)
    regional = is_regional(request.user)
    return render(request, "supervision/complaint.html", {
        "c": complaint, "answer_form": AnswerForm(), "regional": regional,
        "can_manage": request.user.has_perm_code("supervision.manage"),
        "can_answer": complaint.assignee_id == request.user.pk or request.user.has_perm_code("supervision.manage")})


@login_required
def training_page(request):
    _require(request, "training.take")
    county = (request.user.region_id or "")[:6]
    exams = Exam.objects.filter(course__county_code=county).select_related("course")
    attempts = ExamAttempt.objects.filter(user=request.user).select_related("exam").order_by("-started_at")[:20]
    return render(request, "supervision/training.html", {
        "exams": exams, "attempts": attempts, "certificate": training.valid_certificate(request.user)})


@login_required
@require_POST
def exam_start(request, pk: int):
    _require(request, "training.take")
    exam = get_object_or_404(Exam, pk=pk, course__county_code=(request.user.region_id or "")[:6])
    try:
        attempt = training.exam_start(actor=request.user, exam=exam)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("supervision:training")
    return redirect("supervision:attempt", pk=attempt.pk)


@login_required
def attempt(request, pk: int):
    _require(request, "training.take")
    current = get_object_or_404(ExamAttempt.objects.select_related("exam"), pk=pk, user=request.user)
    if request.method == "POST":
        answers = {k[1:]: v for k, v in request.POST.items() if k.startswith("q")}
        if run_service(request, training.exam_submit, attempt=current, answers=answers):
            current.refresh_from_db()
            messages.success(request, _("score %(s)s: %(r)s") % {
                "s": current.score, "r": _("passed, certificate issued") if current.passed else _("not passed")})
            return redirect("supervision:training")
    questions = Question.objects.filter(pk__in=current.question_ids)
    return render(request, "supervision/attempt.html", {"attempt": current, "questions": questions})


def public_complaint(request, village_code: str):
    """The public form under a village's notice board: anyone, anonymous allowed, rate-limited, audited."""
    from dajiuzhu.cases.selectors import notices_in_force
    from dajiuzhu.regions.models import Region

    village = get_object_or_404(Region, code=village_code, level=Region.Level.VILLAGE)
    notices = list(notices_in_force(village_code=village_code))
    form = PublicComplaintForm()
    choices = [("", _("(none)"))] + [(n.pk, f"{n.head_name_masked} · {n.starts_on:%Y-%m-%d}") for n in notices]
    form.fields["notice"].widget.choices = choices
    if request.method == "POST":
        form = PublicComplaintForm(request.POST)
        form.fields["notice"].widget.choices = choices
        if not complaints.public_allowed(client_address(request)):
            messages.error(request, _("too many complaints from this address; try again later"))
        elif form.is_valid():
            d = form.cleaned_data
            notice = next((n for n in notices if n.pk == d["notice"]), None)
            if d["notice"] and notice is None:
                messages.error(request, _("that notice is not in force in this village"))
            else:
                try:
                    with context.source("public"):
                        made = complaints.complaint_submit(
                            kind=d["kind"], text=d["text"], region_code=village_code,
                            channel=Complaint.Channel.PUBLIC, case=notice.case if notice else None,
                            anonymous=d["anonymous"], contact=d["contact"])
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, _("recorded as %(n)s; it will be answered by %(d)s")
                                     % {"n": made.number, "d": made.due_on.strftime("%Y-%m-%d")})
                    return redirect("supervision:public_complaint", village_code=village_code)
    return render(request, "supervision/public_complaint.html", {"village": village, "form": form})


def _choices(form, field: str, rows) -> None:
    form.fields[field].widget.choices = [(pk, label) for pk, label in rows]


@login_required
def training_admin(request):
    """The county's courses, sessions, attendance, exams and question bank."""
    from .models import Course, TrainingSession

    _require(request, "supervision.manage")
    user = request.user
    county = user.region_id[:6]
    courses = Course.objects.filter(county_code=county).order_by("id")
    sessions = TrainingSession.objects.filter(course__county_code=county).select_related("course")
    exams = Exam.objects.filter(course__county_code=county).select_related("course")
    forms_ = {"course": CourseForm(), "session": SessionForm(), "attendance": AttendanceForm(), "exam": ExamForm(),
              "question": QuestionForm()}
    if request.method == "POST":
        which = request.POST.get("form", "")
        if which in forms_:
            forms_[which] = type(forms_[which])(request.POST)
    _choices(forms_["session"], "course", [(c.pk, c.title) for c in courses])
    _choices(forms_["exam"], "course", [(c.pk, c.title) for c in courses])
    _choices(forms_["attendance"], "session", [(s.pk, f"{s.course.title} {timezone.localtime(s.starts_at):%Y-%m-%d}")
                                               for s in sessions])
    _choices(forms_["question"], "exam", [(e.pk, e.title) for e in exams])
    if request.method == "POST" and (which := request.POST.get("form", "")) in forms_:
        form = forms_[which]
        if form.is_valid():
            d = form.cleaned_data
            done = False
            if which == "course":
                done = run_service(request, training.course_create, **d)
            elif which == "session":
                course = get_object_or_404(courses, pk=d["course"])
                done = run_service(request, training.session_create, course=course, starts_at=d["starts_at"],
                                   hours=d["hours"], place=d["place"])
            elif which == "attendance":
                session = get_object_or_404(sessions, pk=d["session"])
                names = [n.strip() for n in d["usernames"].splitlines() if n.strip()]
                found = list(scope(User.objects.filter(username__in=names), user, perm="supervision.manage",
                                   fields=("region__code",)))
                missing = sorted(set(names) - {u.username for u in found})
                if missing:
                    messages.error(request, _("no user of your county has the user name %(n)s") % {"n": ", ".join(missing)})
                else:
                    done = run_service(request, training.attendance_record, session=session, users=found)
            elif which == "exam":
                course = get_object_or_404(courses, pk=d["course"])
                done = run_service(request, training.exam_create, course=course, title=d["title"],
                                   questions_per_attempt=d["questions_per_attempt"], pass_mark=d["pass_mark"],
                                   minutes=d["minutes"])
            elif which == "question":
                exam = get_object_or_404(exams, pk=d["exam"])
                done = run_service(request, training.question_add, exam=exam, text=d["text"],
                                   choices=d["choices"].splitlines(), answer=d["answer"] - 1)
            if done:
                messages.success(request, _("saved"))
                return redirect("supervision:training_admin")
    return render(request, "supervision/training_admin.html", {
        "courses": courses, "sessions": sessions[:50], "exams": exams, "forms": forms_})

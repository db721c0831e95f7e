"""Kernel pages: the home page by role, the supervisor's audit browser, the user's jobs."""

from __future__ import annotations

import datetime as dt
import functools
from importlib import import_module

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .audit import PROBLEMS
from .audit_checkpoint import checkpoints_load
from .errors import DomainError
from .models import AuditEvent, Job
from .scoping import scope

PAGE_SIZE = 50
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator that stops counting at ``cap`` rows.

    A county-wide list over a million-person registry would otherwise count every matching row on
    every page view (``SELECT COUNT(*)`` over the whole filtered set). Counting ``LIMIT cap + 1``
    rows is bounded work; the page shows "more than 10,000" and pages up to the cap. Narrowing the
    filter (a township, a village, a name) gives the exact count again.
    """

    def __init__(self, object_list, per_page, *, cap: int = COUNT_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @functools.cached_property
    def _counted(self) -> int:
        qs = self.object_list
        if hasattr(qs, "count") and not isinstance(qs, (list, tuple)):
            return qs[: self.cap + 1].count()
        return min(len(qs), self.cap + 1)

    @functools.cached_property
    def capped(self) -> bool:
        """True when more rows match than were counted."""
        return self._counted > self.cap

    @functools.cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)


def require_perm(request, *codes: str, not_found: bool = False) -> None:
    """Inside a view: the user must hold one of the role permissions ``codes``.

    Otherwise 403, or 404 with ``not_found=True`` (for pages whose existence a role should not learn).
    """
    if not any(request.user.has_perm_code(code) for code in codes):
        if not_found:
            raise Http404
        raise PermissionDenied(_("Your role may not use this page."))


def perm_required(code: str):
    """Login required, then the role permission ``code`` (403 otherwise)."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm_code(code):
                raise PermissionDenied(_("Your role may not use this page."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def page_of(request, qs, *, size: int = PAGE_SIZE):
    """One page of ``qs`` from ``?page=``; out-of-range pages give the last page; counts stop at
    ``COUNT_CAP`` (``page.paginator.capped`` tells the template to say "more than")."""
    return CappedPaginator(qs, size, cap=COUNT_CAP).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# ---------------------------------------------------------------------------------------------
# Home


def _home_counts(user) -> list[dict]:
    """Cheap figures for the home page: each app's ``nav.py`` may define ``home_counts(user)``."""
    out: list[dict] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("dajiuzhu."):
            continue
        try:
            module = import_module(f"{config.name}.nav")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.nav":
                raise
            continue
        counter = getattr(module, "home_counts", None)
        if counter is not None:
            out.extend(counter(user))
    return out


@login_required
def home(request):
    """The home page by role: what this user can do, in their region, with a few counts."""
    if getattr(request.user, "role", "") == "resident":  # residents have their own door (掌上办, /m/)
        return redirect("/m/")
    return render(request, "core/home.html", {"region": request.user.region, "counts": _home_counts(request.user)})


def healthz(request):
    """Liveness and database check for load balancers and monitors."""
    status = {"web": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception:  # noqa: BLE001
        status["database"] = "error"
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(status, status=200 if healthy else 503)


# ---------------------------------------------------------------------------------------------
# Audit browser (supervisors; read-only)


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=gettext_lazy("Action"), required=False, max_length=80)
    actor = forms.CharField(label=gettext_lazy("Actor"), required=False, max_length=150)
    object = forms.CharField(label=gettext_lazy("Object"), required=False, max_length=150,
                             help_text=gettext_lazy("type, or type:id, e.g. registry.household:12"))
    region = forms.CharField(label=gettext_lazy("Region code prefix"), required=False, max_length=12)
    since = forms.DateField(label=gettext_lazy("From"), required=False,
                            widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    def clean_region(self):
        region = self.cleaned_data["region"].strip()
        if region and not region.isdigit():
            raise forms.ValidationError(_("a region code is digits only"))
        return region


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events_for(actor, data: dict):
    """The audit events the supervisor may browse (their region), filtered."""
    qs = scope(AuditEvent.objects.all(), actor, perm="audit.view")
    if data.get("action"):
        qs = qs.filter(action__startswith=data["action"].strip())
    if data.get("actor"):
        qs = qs.filter(actor_name__istartswith=data["actor"].strip())
    if data.get("object"):
        object_type, _sep, object_id = data["object"].strip().partition(":")
        qs = qs.filter(object_type=object_type.strip())
        if object_id.strip():
            qs = qs.filter(object_id=object_id.strip())
    if data.get("region"):
        qs = qs.filter(region_code__startswith=data["region"])
    if data.get("since"):
        qs = qs.filter(at__gte=_day_start(data["since"]))
    if data.get("until"):
        qs = qs.filter(at__lt=_day_start(data["until"] + dt.timedelta(days=1)))
    return qs.order_by("-id")


@perm_required("audit.view")
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    page = page_of(request, audit_events_for(request.user, data))
    chain = last_chain_check()
    return render(request, "core/audit_list.html", {
        "form": form, "page": page, "query": query_without_page(request), "chain": chain,
        "checkpoint": latest_checkpoint(chain),
    })


@perm_required("audit.view")
def audit_detail(request, pk: int):
    event = get_object_or_404(scope(AuditEvent.objects.all(), request.user, perm="audit.view"), pk=pk)
    return render(request, "core/audit_detail.html", {"event": event})


# The reasons ``audit_verify`` gives, for translation.
CHAIN_REASONS = {
    "previous-hash link does not match the event before it":
        gettext_lazy("previous-hash link does not match the event before it"),
    "content does not match its hash (the row was altered)":
        gettext_lazy("content does not match its hash (the row was altered)"),
    "the event of a signed checkpoint has another hash (the chain was rewritten)":
        gettext_lazy("the event of a signed checkpoint has another hash (the chain was rewritten)"),
    "the event of a signed checkpoint is missing (rows were deleted or renumbered)":
        gettext_lazy("the event of a signed checkpoint is missing (rows were deleted or renumbered)"),
    "the number of events up to a signed checkpoint differs (rows were deleted or inserted)":
        gettext_lazy("the number of events up to a signed checkpoint differs (rows were deleted or inserted)"),
    "the chain ends before the latest signed checkpoint (its tail was cut)":
        gettext_lazy("the chain ends before the latest signed checkpoint (its tail was cut)"),
    "the audit log is empty but a signed checkpoint records events (all rows were deleted)":
        gettext_lazy("the audit log is empty but a signed checkpoint records events (all rows were deleted)"),
}
# Problems of the checkpoint file (core.audit.PROBLEMS), for translation.
CHECKPOINT_PROBLEMS = {
    "checkpoint_unreadable": gettext_lazy("a line of the checkpoint file cannot be read"),
    "checkpoint_other_key": gettext_lazy("a line of the checkpoint file was signed with another key"),
    "checkpoint_forged": gettext_lazy("a line of the checkpoint file has a wrong signature (it was altered or forged)"),
    "checkpoint_lines_removed": gettext_lazy(
        "a line of the checkpoint file does not link to the one before it (lines were removed)"),
}


def _chain_reason(reason: str) -> str:
    if reason in CHAIN_REASONS:
        return str(CHAIN_REASONS[reason])
    for code, english in PROBLEMS.items():  # "<problem> (line N)"
        if reason.startswith(english):
            return str(CHECKPOINT_PROBLEMS[code]) + reason[len(english):].replace("line", str(_("line")), 1)
    return reason


def latest_checkpoint(chain: dict | None) -> dict:
    """The newest signed checkpoint of the audit chain, for the supervisor's page: when (Asia/Shanghai), how
    many events, the head's hash, whether its signature holds, and whether the last verification matched
    the chain against it."""
    loaded = checkpoints_load()
    latest = loaded.latest
    out: dict = {"checkpoint": latest, "problem": str(CHECKPOINT_PROBLEMS[loaded.problem]) if loaded.problem else "",
                 "problem_line": loaded.problem_line}
    if latest is not None:
        out["at"] = timezone.localtime(latest.at)
        job = (chain or {}).get("job")
        result = (job.result or {}) if job is not None and job.status == Job.Status.DONE else {}
        seen = result.get("checkpoint") or {}
        out["verified"] = bool(result.get("intact")) and seen.get("sig") == latest.sig
        out["verified_at"] = job.finished_at if out["verified"] else None
    return out


def last_chain_check() -> dict | None:
    """The newest finished verification of the audit chain (button or nightly), in words."""
    from .jobs import AUDIT_VERIFY

    recent = list(Job.objects.filter(kind=AUDIT_VERIFY).order_by("-created_at")[:20])  # one query
    unfinished = (Job.Status.QUEUED, Job.Status.RUNNING)
    running = next((j for j in recent if j.status in unfinished), None)
    job = next((j for j in recent if j.status not in unfinished), None)
    if job is None and running is None:
        return None
    out: dict = {"job": job, "running": running}
    if job is not None and job.status == Job.Status.DONE:
        result = job.result or {}
        if result.get("intact"):
            out["text"] = _("The audit chain is intact: %(n)d events checked.") % {"n": result.get("checked", 0)}
            out["ok"] = True
        else:
            if result.get("broken_at") is None:
                out["text"] = _("The audit chain cannot be trusted: %(reason)s") % {
                    "reason": _chain_reason(result.get("reason", ""))}
            else:
                out["text"] = _("The audit chain is broken at event #%(id)s: %(reason)s") % {
                    "id": result.get("broken_at"), "reason": _chain_reason(result.get("reason", ""))}
            out["ok"] = False
    elif job is not None:
        out["text"] = _("The last verification failed to run; see the job.")
        out["ok"] = False
    return out


@require_POST
@perm_required("audit.view")
def audit_verify_chain(request):
    """Start a background walk of the whole chain (as ``manage.py audit_verify`` does).

    At a county's size the chain holds millions of events: the walk is a job, never part of the
    request. Its progress is on the job page; its result on the audit page.
    """
    from .jobs import AUDIT_VERIFY, job_enqueue

    running = Job.objects.filter(kind=AUDIT_VERIFY, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).first()
    if running is not None:
        messages.info(request, _("A verification of the audit chain is already running."))
        return redirect("audit_list")
    job_enqueue(kind=AUDIT_VERIFY, actor=request.user)
    messages.info(request, _("The verification of the audit chain has started; its result appears on this page."))
    return redirect("audit_list")


# ---------------------------------------------------------------------------------------------
# Jobs (each user sees the jobs they started)


def jobs_of(user):
    return Job.objects.filter(created_by=user) if user.is_authenticated else Job.objects.none()


@login_required
def job_list(request):
    page = page_of(request, jobs_of(request.user).order_by("-created_at"))
    return render(request, "core/job_list.html", {"page": page})


@login_required
def job_detail(request, pk):
    job = get_object_or_404(jobs_of(request.user), pk=pk)
    template = "core/job_progress.html" if request.headers.get("HX-Request") else "core/job_detail.html"
    return render(request, template, {"job": job})


@login_required
def upload_job(request, pk):
    """The page of an uploaded file being read by its job (``core.uploads``): progress, then what the file did
    (a link to it) or why it was refused. Only the uploader sees it."""
    job = get_object_or_404(jobs_of(request.user), pk=pk, params__has_key="path")
    result = job.result if isinstance(job.result, dict) else {}
    failure = ""
    if job.status == Job.Status.FAILED:
        failure = result.get("refused") or _("The file could not be processed because of an internal error; the "
                                             "administrator can see job %(job)s.") % {"job": job.pk}
    context = {"job": job, "title": job.params.get("title") or _("Uploaded file"), "failure": failure,
               "summary": result.get("summary", ""), "url": result.get("url", ""), "link": result.get("link", "")}
    template = "core/upload_job_progress.html" if request.headers.get("HX-Request") else "core/upload_job.html"
    return render(request, template, context)


def run_service(request, fn, **kwargs) -> bool:
    """Call a service as the page's user; a domain refusal becomes an error message on the page."""
    try:
        fn(actor=request.user, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    return True

"""Pages of the credit record: the list with search, a record with its notices, appeals and lifting."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dajiuzhu.core.ids import looks_like_id_number
from dajiuzhu.core.views import require_perm, run_service

from . import selectors, services
from .forms import AnswerForm, AppealDecisionForm, AppealForm, HearingDecisionForm, LiftForm, SearchForm
from .models import Appeal, AppealStatus


@login_required
def record_list(request):
    """The list and its search. The form is a POST so that an ID number never lands in a URL (browser history,
    proxy and server logs): a search by ID number is answered in the POST's own response; any other search is
    redirected to the GET list (which pages and can be bookmarked). A GET carrying an ID number is not searched."""
    require_perm(request, "credit.view")
    if request.method == "POST":
        form = SearchForm(request.POST)
        if form.is_valid() and looks_like_id_number(form.cleaned_data["q"]):
            rows = selectors.record_list(actor=request.user, q=form.cleaned_data["q"],
                                         status=form.cleaned_data["status"])
            return render(request, "credit/list.html", {"form": form, "page": Paginator(rows, 500).get_page(1),
                                                        "by_id_number": True})
        params = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
        return redirect(f"{request.path}?{urlencode(params)}" if params else request.path)
    if looks_like_id_number(request.GET.get("q", "")):
        params = request.GET.copy()
        params.pop("q")
        messages.info(request, _("For privacy, ID numbers are not searched from the address bar: type the number "
                                 "into the search box."))
        return redirect(f"{request.path}?{params.urlencode()}" if params else request.path)
    form = SearchForm(request.GET or None)
    q = status = ""
    if form.is_valid():
        q, status = form.cleaned_data["q"], form.cleaned_data["status"]
    page = Paginator(selectors.record_list(actor=request.user, q=q, status=status), 50).get_page(request.GET.get("page"))
    return render(request, "credit/list.html", {"form": form, "page": page,
                                                "query": urlencode({"q": q, "status": status})})


@login_required
def record_detail(request, pk: int):
    record = selectors.record_get(actor=request.user, pk=pk)
    return render(request, "credit/detail.html", {
        "record": record, "appeals": record.appeals.all(), "notices": record.notices.all(),
        "pending": record.appeals.filter(status=AppealStatus.PENDING).first(),
        "can_manage": request.user.has_perm_code("credit.manage"),
        "can_file": request.user.has_perm_code("credit.manage") or request.user.has_perm_code("cases.handle"),
        "appeal_form": AppealForm(), "decision_form": AppealDecisionForm(), "lift_form": LiftForm(),
        "answer_form": AnswerForm(), "hearing_form": HearingDecisionForm(),
        "answer_period_over": record.answer_due is not None and timezone.localdate() > record.answer_due,
    })


@login_required
@require_POST
def record_answer(request, pk: int):
    record = selectors.record_get(actor=request.user, pk=pk)
    form = AnswerForm(request.POST)
    if form.is_valid() and run_service(request, services.dishonesty_record_answer, record=record,
                                       answer=form.cleaned_data["answer"],
                                       answered_on=form.cleaned_data["answered_on"]):
        messages.success(request, _msg("answer recorded"))
    return redirect("credit:detail", pk=record.pk)


@login_required
@require_POST
def record_decide(request, pk: int):
    record = selectors.record_get(actor=request.user, pk=pk)
    form = HearingDecisionForm(request.POST)
    if form.is_valid() and run_service(request, services.dishonesty_record_decide, record=record,
                                       list_person=form.cleaned_data["list_person"],
                                       consideration=form.cleaned_data["consideration"]):
        messages.success(request, _msg("hearing decided"))
    return redirect("credit:detail", pk=record.pk)


@login_required
def notice_print(request, pk: int, notice_pk: int):
    record = selectors.record_get(actor=request.user, pk=pk)
    notice = get_object_or_404(record.notices, pk=notice_pk)
    return render(request, "credit/notice_print.html", {"record": record, "notice": notice})


@login_required
@require_POST
def appeal_file(request, pk: int):
    record = selectors.record_get(actor=request.user, pk=pk)
    form = AppealForm(request.POST)
    if form.is_valid() and run_service(request, services.appeal_file, record=record, grounds=form.cleaned_data["grounds"]):
        messages.success(request, _msg("appeal recorded"))
    return redirect("credit:detail", pk=record.pk)


@login_required
@require_POST
def appeal_decide(request, pk: int, appeal_pk: int):
    record = selectors.record_get(actor=request.user, pk=pk)
    appeal = get_object_or_404(Appeal, pk=appeal_pk, record=record)
    form = AppealDecisionForm(request.POST)
    if form.is_valid() and run_service(request, services.appeal_decide, appeal=appeal, uphold=form.cleaned_data["uphold"],
                                reason=form.cleaned_data["reason"]):
        messages.success(request, _msg("appeal decided"))
    return redirect("credit:detail", pk=record.pk)


@login_required
@require_POST
def record_lift(request, pk: int):
    record = selectors.record_get(actor=request.user, pk=pk)
    form = LiftForm(request.POST)
    if form.is_valid() and run_service(request, services.dishonesty_record_lift, record=record,
                                kind=form.cleaned_data["kind"], reason=form.cleaned_data["reason"]):
        messages.success(request, _msg("record lifted"))
    return redirect("credit:detail", pk=record.pk)


def _msg(key: str) -> str:
    from django.utils.translation import gettext as _

    return {"appeal recorded": _("The appeal was recorded."), "appeal decided": _("The appeal was decided."),
            "record lifted": _("The record was lifted."), "answer recorded": _("The statement was recorded."),
            "hearing decided": _("The decision after the hearing was recorded.")}[key]

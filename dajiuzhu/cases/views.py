"""Pages: the window's workbench and its one form, the approver's queue, case detail with the
timeline, due reviews, the worklist, printable documents, and the public notice page (no login)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from dajiuzhu.core import context
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.ids import mask_name
from dajiuzhu.core.net import client_address
from dajiuzhu.core.panels import household_panels
from dajiuzhu.core.views import require_perm, run_service

from . import selectors, services
from .forms import (
    MEMBER_CHOICES,
    MEMBER_FIELDS,
    MEMBER_ROWS,
    AppealDecisionForm,
    AppealForm,
    ApplicationForm,
    DecisionForm,
    ObjectionForm,
    ReviewForm,
    TransitionForm,
)
from .models import Appeal, CaseStatus, Channel, ItemStatus, PublicNotice, Signature
from .notices import objection_allowed
from .window import NewHousehold, household_lookup, window_submit
from .workflow import TRANSITIONS, available_steps


def _channels(user):
    if user.role == "village_worker":
        return [(Channel.PROXY, Channel.PROXY.label)]
    return [(Channel.WINDOW, Channel.WINDOW.label), (Channel.PROACTIVE, Channel.PROACTIVE.label)]


def _item_choices(user):
    from dajiuzhu.programs.selectors import item_list

    items = item_list(active_only=True)
    if user.role == "village_worker":
        items = items.filter(village_proxy=True)
    check_first = _("check first")
    return [(i.code, i.name if i.acceptance == "trust_first" else f"{i.name} · {check_first}") for i in items]


@login_required
def workbench(request):
    """The township window: new application, my queue, due reviews, the worklist."""
    require_perm(request, "cases.view")
    user = request.user
    queue = selectors.case_list(actor=user, filters=selectors.CaseFilters(status="open"))[:50]
    mine = selectors.case_list(actor=user, filters=selectors.CaseFilters(mine=True))[:20]
    reviews = selectors.due_reviews(actor=user)[:20]
    return render(request, "cases/workbench.html", {
        "queue": queue, "mine": mine, "reviews": reviews, "can_create": user.has_perm_code("cases.create"),
        "can_approve": user.has_perm_code("cases.approve"),
    })


def _member_rows(data):
    rows = []
    for i in range(MEMBER_ROWS):
        rows.append({"index": i, "values": {f: (data.get(f"member-{i}-{f}", "") if data else "") for f in MEMBER_FIELDS}})
    return rows


@login_required
def application_new(request):
    """The one form: look up or register, declare, choose, sign, submit → the instant decision."""
    require_perm(request, "cases.create")
    user = request.user
    prefilled = _prefilled_household(request)
    initial = {"household_id": prefilled.pk, "channel": Channel.PROACTIVE} if prefilled else None
    form = ApplicationForm(request.POST or None, initial=initial, item_choices=_item_choices(user),
                           channels=_channels(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new = None
        rows = form.member_rows()
        if rows:
            new = NewHousehold(region_code=data["region_code"], address=data["address"],
                               hukou_region_code=data["hukou_region_code"], members=rows)
        try:
            with context.source("web"):
                case = window_submit(
                    actor=user, item_codes=data["items"], facts=form.facts(), promise_signed=data["promise_signed"],
                    authorisation_signed=data["authorisation_signed"], id_number=data["id_number"],
                    household_id=data.get("household_id"), new_household=new, channel=data["channel"],
                    note=data["note"],
                )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/application_form.html", {
        "form": form, "member_rows": _member_rows(request.POST if request.method == "POST" else None),
        "member_choices": MEMBER_CHOICES, "prefilled": prefilled,
        "prefilled_head": mask_name(prefilled.head.name) if prefilled and prefilled.head else "",
        "prefilled_benefits": list(selectors.household_benefits(household_id=prefilled.pk)) if prefilled else [],
    })


def _prefilled_household(request):
    """``?household=<id>`` (the "apply" link of an alert's follow-up): the household, scoped (404 outside)."""
    raw = request.GET.get("household", "")
    if request.method != "GET" or not raw.isdigit():
        return None
    from dajiuzhu.registry.selectors import household_get

    return household_get(actor=request.user, pk=int(raw))


@login_required
@require_POST
def lookup(request):
    """htmx: the household of a full ID number (apply anywhere: any township of the county, exact number only)."""
    require_perm(request, "cases.create")
    household, error = None, ""
    try:
        household = household_lookup(actor=request.user, id_number=request.POST.get("id_number", ""))
    except DomainError as exc:
        error = exc.message
    benefits = []
    if household is not None:
        benefits = list(selectors.household_benefits(household_id=household.pk))
    return render(request, "cases/_lookup.html", {
        "household": household, "error": error, "benefits": benefits,
        "head_name": mask_name(household.head.name) if household and household.head else "",
    })


@login_required
def case_detail(request, pk: int):
    case = selectors.case_get(actor=request.user, pk=pk)
    user = request.user
    items = list(case.items.select_related("item", "rule_version").prefetch_related("revocations", "appeals"))
    pending_decision = case.status == CaseStatus.AWAITING_DECISION and user.has_perm_code("cases.approve")
    return render(request, "cases/detail.html", {
        "case": case, "items": items, "timeline": selectors.case_timeline(case=case),
        "signatures": case.signatures.select_related("person"),
        "steps": available_steps(case.status, user), "transition_form": TransitionForm(),
        "decision_form": DecisionForm() if pending_decision else None,
        "review_form": ReviewForm(), "appeal_form": AppealForm(), "appeal_decision_form": AppealDecisionForm(),
        "can_handle": user.has_perm_code("cases.handle"), "can_approve": user.has_perm_code("cases.approve"),
        "can_appeal": user.has_perm_code("cases.create"),
        "notices": case.notices.all(), "objections": case.objections.all(),
        # The flags other apps put on every page that shows the household (the credit record).
        "household": case.household, "household_flags": household_panels(user, "top"),
    })


@login_required
@require_POST
def case_step(request, pk: int):
    case = selectors.case_get(actor=request.user, pk=pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        step = form.cleaned_data["step"]
        if run_service(request, services.case_transition, case=case, step=step, opinion=form.cleaned_data["opinion"]):
            messages.success(request, _("done: %(step)s") % {"step": TRANSITIONS[step].label})
    else:
        messages.error(request, _("choose a step"))
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def case_decide(request, pk: int):
    case = selectors.case_get(actor=request.user, pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        if run_service(request, services.case_decide, case=case, outcome=form.cleaned_data["outcome"],
                opinion=form.cleaned_data["opinion"]):
            messages.success(request, _("decision recorded"))
    else:
        messages.error(request, _("write the decision opinion"))
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def item_review(request, pk: int):
    ci = selectors.case_item_get(actor=request.user, pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("check the review form"))
        return redirect("cases:detail", pk=ci.case_id)
    data = form.cleaned_data
    action = data["action"]
    ok = False
    if action == "confirm":
        ok = run_service(request, services.case_item_review_confirm, case_item=ci, note=data["reason"])
    elif action == "adjust":
        if data["amount"] is None:
            messages.error(request, _("give the new amount"))
        else:
            ok = run_service(request, services.case_item_adjust, case_item=ci, amount=data["amount"], reason=data["reason"])
    elif action == "revoke":
        if data["not_due_from"] is None:
            messages.error(request, _("give the date from which the benefit was not due"))
        else:
            ok = run_service(request, services.case_item_revoke, case_item=ci, reason=data["reason"],
                      not_due_from=data["not_due_from"], dishonest=data["dishonest"])
    elif action == "end":
        ok = run_service(request, services.case_item_end, case_item=ci, on=timezone.localdate(), reason=data["reason"])
    if ok:
        messages.success(request, _("review recorded"))
    return redirect("cases:detail", pk=ci.case_id)


@login_required
@require_POST
def appeal_lodge(request, pk: int):
    ci = selectors.case_item_get(actor=request.user, pk=pk)
    form = AppealForm(request.POST)
    if form.is_valid() and run_service(request, services.appeal_lodge, case_item=ci, grounds=form.cleaned_data["grounds"]):
        messages.success(request, _("appeal recorded"))
    return redirect("cases:detail", pk=ci.case_id)


@login_required
@require_POST
def appeal_decide(request, pk: int):
    appeal = get_object_or_404(Appeal.objects.select_related("case_item"), pk=pk)
    selectors.case_item_get(actor=request.user, pk=appeal.case_item_id)  # 404 outside the jurisdiction
    form = AppealDecisionForm(request.POST)
    if form.is_valid() and run_service(request, services.appeal_decide, appeal=appeal,
                                uphold=form.cleaned_data["uphold"] == "1", note=form.cleaned_data["note"],
                                amount=form.cleaned_data["amount"]):
        messages.success(request, _("appeal decided"))
    return redirect("cases:detail", pk=appeal.case_item.case_id)


@login_required
def approvals(request):
    require_perm(request, "cases.approve")
    queue = selectors.approver_queue(actor=request.user)
    appeals = Appeal.objects.filter(status=Appeal.Status.OPEN)
    from dajiuzhu.core.scoping import scope

    appeals = scope(appeals, request.user, perm="cases.approve").select_related("case_item__item", "case_item__case")
    return render(request, "cases/approvals.html", {"queue": queue[:200], "appeals": appeals[:200]})


@login_required
def reviews(request):
    require_perm(request, "cases.view")
    page = Paginator(selectors.due_reviews(actor=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "cases/reviews.html", {"page": page, "today": timezone.localdate()})


@login_required
def worklist(request):
    require_perm(request, "cases.view")
    if request.method == "POST":
        require_perm(request, "cases.handle")
        from dajiuzhu.core.jobs import job_enqueue
        from dajiuzhu.core.scoping import actor_prefix

        prefix = actor_prefix(request.user, "cases.handle") or ""
        with transaction.atomic():
            job_enqueue(kind="cases.overlap_check", actor=request.user, region_code=prefix.ljust(12, "0"),
                        params={"region_prefix": prefix, "on": timezone.localdate().isoformat()})
        messages.success(request, _("the check has started; reload this page in a moment"))
        return redirect("cases:worklist")
    kind = request.GET.get("kind", "")
    qs = selectors.worklist(actor=request.user)
    if kind:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    from dajiuzhu.core.models import Job

    last = Job.objects.filter(kind="cases.overlap_check").order_by("-created_at").first()
    return render(request, "cases/worklist.html", {"page": page, "kind": kind, "last": last})


# ---------------------------------------------------------------- printable documents


def _print_context(request, pk: int) -> dict:
    from dajiuzhu.registry.selectors import household_facts_on, household_members

    case = selectors.case_get(actor=request.user, pk=pk)
    on = timezone.localdate(case.created_at)
    members = household_members(household=case.household, on=on)
    facts = household_facts_on(household=case.household, on=on)
    items = list(case.items.select_related("item"))
    events = list(selectors.case_timeline(case=case))

    def opinion(*actions):
        return next((e for e in reversed(events) if e.action in actions), None)

    from dajiuzhu.core.ids import age_on
    from dajiuzhu.registry.policies import can_view_identity

    show_id = can_view_identity(request.user, case.household)
    rows = []
    for person in members:
        latest = next(iter(person.facts.all()), None)
        rows.append({"person": person, "age": age_on(person.birth_date, on),
                     "id_number": person.id_number if show_id else person.id_masked,
                     "health": latest.get_health_display() if latest else "",
                     "disability": (f"{latest.get_disability_category_display()} {latest.disability_grade}"
                                    if latest and latest.disability_grade else ""),
                     "employment": latest.get_employment_display() if latest else "",
                     "labour": latest.get_labour_display() if latest else ""})
    standard = None
    try:
        from dajiuzhu.programs.selectors import standard_value

        standard = standard_value("dibao", on=on, region_code=case.region_code)
    except Exception:  # noqa: BLE001 - a missing standard leaves the field blank on paper
        standard = None
    from decimal import Decimal, InvalidOperation

    try:
        per_capita = Decimal(case.facts.get("per_capita_income", "0"))
    except InvalidOperation:
        per_capita = Decimal("0")
    gap = (standard - per_capita) if standard is not None else None

    return {
        "case": case, "household": case.household, "head": case.household.head, "members": members, "facts": facts,
        "items": items, "on": on, "case_facts": case.facts,
        "signatures": case.signatures.all(), "promise": case.signatures.filter(kind=Signature.Kind.PROMISE).first(),
        "village_opinion": opinion("record_deliberation"), "township_opinion": opinion("township_opinion"),
        "county_opinion": opinion("decide"), "rule_decision": opinion("decide_by_rule"),
        "approved": [ci for ci in items if ci.status == ItemStatus.APPROVED],
        "refused": [ci for ci in items if ci.status == ItemStatus.REFUSED],
        "today": timezone.localdate(), "member_rows": rows, "show_id": show_id, "standard": standard,
        "per_capita": per_capita, "gap": gap,
    }


@login_required
def print_acceptance(request, pk: int):
    return render(request, "cases/print_acceptance.html", _print_context(request, pk))


@login_required
def print_decision(request, pk: int):
    ctx = _print_context(request, pk)
    if ctx["case"].status not in (CaseStatus.DECIDED, CaseStatus.NOTIFIED):
        raise Http404("not decided yet")
    return render(request, "cases/print_decision.html", ctx)


@login_required
def print_form(request, pk: int):
    """社会救助申请审批表 (a full ID number on it is shown only to roles that may see it, and audited)."""
    ctx = _print_context(request, pk)
    if ctx["show_id"]:
        from dajiuzhu.core.audit import audit_read_of_identity

        audit_read_of_identity(actor=request.user, obj=ctx["case"].household, field="members.id_number")
    return render(request, "cases/print_form.html", ctx)


# ---------------------------------------------------------------- the public notice page (no login)


def public_index(request):
    """Villages with notices in force (public)."""
    from dajiuzhu.regions.models import Region

    today = timezone.localdate()
    codes = (PublicNotice.objects.filter(status=PublicNotice.Status.IN_FORCE, starts_on__lte=today, ends_on__gte=today)
             .values_list("region_code", flat=True).distinct())
    villages = Region.objects.filter(code__in=list(codes)).order_by("code")
    return render(request, "cases/public_index.html", {"villages": villages})


@csrf_protect
def public_notices(request, village_code: str):
    """公示 of one village: masked head's name, members covered, item, amount, dates — never ID numbers."""
    from dajiuzhu.regions.models import Region

    village = get_object_or_404(Region, code=village_code)
    form = ObjectionForm()
    if request.method == "POST":
        notice = get_object_or_404(PublicNotice, pk=request.POST.get("notice"), region_code=village_code)
        form = ObjectionForm(request.POST)
        if not objection_allowed(client_address(request)):
            messages.error(request, _("too many objections from this address; try again later"))
        elif form.is_valid():
            try:
                with context.source("public"):
                    services.objection_lodge(notice=notice, text=form.cleaned_data["text"],
                                             contact=form.cleaned_data["contact"])
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("your objection has been recorded and will be investigated"))
                return redirect("cases:public_notices", village_code=village_code)
    notices = selectors.notices_in_force(village_code=village_code)
    from .hooks import PUBLIC_NOTICE_LINKS

    links = [link for hook in PUBLIC_NOTICE_LINKS if (link := hook(village_code))]
    return render(request, "cases/public_notices.html", {"village": village, "notices": notices, "form": form,
                                                         "links": links})



"""Pages of social forces. Thin: parse → one service or selector → render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dajiuzhu.accounts.models import User
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.intake.sealed import SealedFileError, sealed_chunks
from dajiuzhu.core.views import page_of, perm_required, query_without_page
from dajiuzhu.registry.selectors import household_list
from dajiuzhu.results.xlsx import list_to_xlsx

from . import charity, forms, policies, quality, roster, selectors, services
from .models import OrderSource, OrderStatus, ServiceKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _social_user(request) -> None:
    """Staff who may read social forces, or an organisation's linked user."""
    user = request.user
    if not (user.has_perm_code("social.view") or policies.is_org_user(user)):
        raise PermissionDenied(_("Your role may not use this page."))


def _refused(request, form, exc: DomainError) -> None:
    if form is not None and exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    elif form is not None:
        form.add_error(None, exc.message)
    else:
        messages.error(request, exc.message)


def _household(request, number: str):
    household = household_list(actor=request.user).filter(number=number.strip()).first()
    if household is None:
        raise DomainError(_("no household %(number)s in your area") % {"number": number}, field="household_number")
    return household


# --- overview (dashboard) --------------------------------------------------------------------------

@login_required
def overview(request):
    _social_user(request)
    figures = selectors.figures(actor=request.user)
    kinds = dict(ServiceKind.choices)
    if request.GET.get("format") == "xlsx":
        rows = ([[_("by service"), str(kinds.get(r["kind"], r["kind"])), r["n"], r["units"]] for r in figures["by_kind"]]
                + [[_("by organisation"), r["organisation__name"], r["n"], r["units"]] for r in figures["by_org"]]
                + [[_("by month"), f"{r['month']:%Y-%m}", r["n"], ""] for r in figures["by_month"]]
                + [[_("volunteer hours"), "", "", figures["volunteer_hours"]],
                   [_("small wishes delivered"), "", figures["wishes_delivered"], figures["wishes_value"]]])
        content = list_to_xlsx(title=_("Social services"), headers=[_("Figure"), _("Group"), _("Services"),
                                                                     _("Units")], rows=rows)
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="social-services-{timezone.localdate():%Y%m%d}.xlsx"'
        return response
    for row in figures["by_kind"]:
        row["label"] = kinds.get(row["kind"], row["kind"])
    return render(request, "social/overview.html", {
        "figures": figures, "is_org": policies.is_org_user(request.user),
        "statuses": [(OrderStatus(k).label, v) for k, v in figures["by_status"].items()],
        "sources": [(OrderSource(k).label, v) for k, v in figures["by_source"].items()],
    })


# --- organisations ---------------------------------------------------------------------------------

@login_required
def organisation_list(request):
    _social_user(request)
    form = None
    if request.user.has_perm_code("social.manage"):
        form = forms.OrganisationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            docs = ([{"name": data["document"], "number": data["document_number"],
                      "expires_on": data["document_expires"]}] if data["document"] else [])
            try:
                org = services.organisation_register(
                    actor=request.user, name=data["name"], credit_code=data["credit_code"],
                    authority=data["authority"], region_code=request.user.region_id, services=data["services"],
                    area_codes=data["area_codes"].split(), contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"], kind=data["kind"], qualifications=docs)
            except DomainError as exc:
                _refused(request, form, exc)
            else:
                messages.success(request, _("Organisation registered."))
                return redirect("social:organisation", pk=org.pk)
    return render(request, "social/organisation_list.html", {
        "organisations": selectors.organisation_list(actor=request.user), "form": form,
        "today": timezone.localdate(), "soon": timezone.localdate() + dt.timedelta(days=60)})


@login_required
def organisation_detail(request, pk: int):
    _social_user(request)
    org = selectors.organisation_get(actor=request.user, pk=pk)
    return render(request, "social/organisation_detail.html", {
        "org": org, "areas": org.areas.all(), "qualifications": org.qualifications.all(),
        "projects": org.projects.all(), "users": org.users.select_related("user"),
        "today": timezone.localdate(), "soon": timezone.localdate() + dt.timedelta(days=60),
        "kinds": [ServiceKind(k).label for k in org.services if k in ServiceKind.values]})


# --- projects --------------------------------------------------------------------------------------

@login_required
def project_list(request):
    _social_user(request)
    form = None
    if request.user.has_perm_code("social.manage"):
        form = forms.ProjectForm(request.POST or None,
                                 organisations=selectors.organisation_list(actor=request.user).filter(status="active"))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                project = services.project_create(
                    actor=request.user, name=data["name"], region_code=request.user.region_id,
                    department=data["department"], budget=data["budget"], start=data["start"], end=data["end"],
                    organisations=list(data["organisations"]), prices=form.prices(),
                    target_groups=data["target_groups"], visits_per_person_month=data["visits_per_person_month"])
            except DomainError as exc:
                _refused(request, form, exc)
            else:
                messages.success(request, _("Project created."))
                return redirect("social:project", pk=project.pk)
    projects = list(selectors.project_list(actor=request.user))
    show_money = not policies.is_org_user(request.user)
    for project in projects:
        project.spending = selectors.project_spending(project) if show_money else None
    return render(request, "social/project_list.html", {"projects": projects, "form": form})


@login_required
def project_detail(request, pk: int):
    _social_user(request)
    project = selectors.project_get(actor=request.user, pk=pk)
    can_manage = policies.can_manage(request.user, project.region_code)
    month = request.GET.get("month") or f"{(timezone.localdate().replace(day=1) - dt.timedelta(days=1)):%Y-%m}"
    preview = None
    try:
        preview = quality.settlement_preview(project=project, month=month) if can_manage else None
    except DomainError as exc:
        messages.error(request, exc.message)
    callbacks = []
    if can_manage and preview:
        callbacks = selectors.callback_list(actor=request.user, project=project, month=preview["month"])
    rules = list(project.rules.select_related("organisation"))
    for rule in rules:
        rule.words = roster.rule_in_words(rule)
    return render(request, "social/project_detail.html", {
        "project": project, "prices": project.prices.all(), "organisations": project.organisations.all(),
        "spending": selectors.project_spending(project) if not policies.is_org_user(request.user) else None,
        "rules": rules, "settlements": project.settlements.all(), "preview": preview, "month": month,
        "can_manage": can_manage, "callbacks": callbacks, "draw_form": forms.DrawForm(initial={"month": month}),
        "kinds": dict(ServiceKind.choices)})


@require_POST
@perm_required("social.manage")
def project_action(request, pk: int, action: str):
    project = selectors.project_get(actor=request.user, pk=pk)
    month = request.POST.get("month", "")
    try:
        if action == "generate":
            rule = project.rules.filter(pk=request.POST.get("rule") or 0).first()
            if rule is None:
                raise Http404
            result = roster.orders_generate(actor=request.user, rule=rule, month=month)
            messages.success(request, _("%(created)d new orders (%(selected)d households selected).") % result)
        elif action == "draw":
            form = forms.DrawForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("give the month and how many visits to draw"))
            drawn = quality.callbacks_draw(actor=request.user, project=project, month=form.cleaned_data["month"],
                                           count=form.cleaned_data["count"], seed=form.cleaned_data["seed"])
            messages.success(request, _("%(n)d visits drawn for call-back.") % {"n": len(drawn)})
        elif action == "settle":
            settlement = quality.settlement_create(actor=request.user, project=project, month=month)
            messages.success(request, _("Settlement of %(month)s: %(total)s 元.")
                             % {"month": f"{settlement.month:%Y-%m}", "total": f"{settlement.total:,.2f}"})
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('social:project', args=[project.pk])}?month={month[:7]}")


@login_required
def settlement_xlsx(request, pk: int, month: str):
    _social_user(request)
    project = selectors.project_get(actor=request.user, pk=pk)
    if policies.is_org_user(request.user):
        raise Http404
    try:
        first_day = services.month_start(month)
    except DomainError:
        raise Http404 from None  # a month that is not YYYY-MM names no settlement
    settlement = project.settlements.filter(month=first_day).first()
    if settlement is None:
        raise Http404
    kinds = dict(ServiceKind.choices)
    rows = [[line["organisation_name"], str(kinds.get(line["kind"], line["kind"])), line["visits"], line["units"],
             line["unit_price"], line["amount"], line["pay_share"], line["payable"]] for line in settlement.lines]
    rows.append([_("Total"), "", "", "", "", str(settlement.gross), "", str(settlement.total)])
    content = list_to_xlsx(title=f"{settlement.month:%Y-%m}", headers=[
        _("Organisation"), _("Service"), _("Visits"), _("Units"), _("Unit price"), _("Amount"), _("Pay share"),
        _("Payable")], rows=rows)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="settlement-{project.pk}-{settlement.month:%Y-%m}.xlsx"'
    return response


# --- orders ----------------------------------------------------------------------------------------

@login_required
def order_list(request):
    _social_user(request)
    filters = selectors.OrderFilters(status=request.GET.get("status", ""), overdue=request.GET.get("overdue") == "1",
                                     month=request.GET.get("month", ""), source=request.GET.get("source", ""))
    page = page_of(request, selectors.order_list(actor=request.user, filters=filters))
    warnings = []
    if request.user.has_perm_code("social.dispatch") and request.user.has_perm_code("alerts.view"):
        from dajiuzhu.alerts.selectors import AlertFilters, alert_list

        warnings = list(alert_list(actor=request.user, filters=AlertFilters(status="open"))
                        .select_related("household")[:10])
    return render(request, "social/order_list.html", {
        "warnings": warnings,
        "page": page, "query": query_without_page(request), "filters": filters, "today": timezone.localdate(),
        "statuses": OrderStatus.choices, "sources": OrderSource.choices,
        "can_dispatch": request.user.has_perm_code("social.dispatch")})


@perm_required("social.dispatch")
def order_new(request):
    projects = selectors.project_list(actor=request.user)
    form = forms.OrderForm(request.POST or None, projects=projects,
                           organisations=selectors.organisation_list(actor=request.user).filter(status="active"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order, _created = services.order_create(
                actor=request.user, project=data["project"], organisation=data["organisation"],
                household=_household(request, data["household_number"]), kind=data["kind"],
                quantity=data["quantity"], needs=data["needs"], due_on=data["due_on"])
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Order sent."))
            return redirect("social:order", pk=order.pk)
    return render(request, "social/form.html", {"form": form, "title": _("New service order")})


@login_required
def order_detail(request, pk: int):
    _social_user(request)
    order = selectors.order_get(actor=request.user, pk=pk)
    link = policies.link_of(request.user)
    person = None
    if link is not None and request.GET.get("show") == "contact":
        person = selectors.order_person_view(actor=request.user, order=order)  # audited
    accept_form = reassign_form = hours_form = None
    if policies.can_coordinate(request.user, order):
        accept_form = forms.AcceptForm(workers=User.objects.filter(social_link__organisation=order.organisation_id))
    if policies.can_dispatch(request.user, order.region_code):
        reassign_form = forms.ReasonForm(organisations=order.project.organisations.exclude(pk=order.organisation_id))
        hours_form = forms.HoursForm(volunteers=selectors.volunteer_list(actor=request.user))
    visits = order.visits.all()
    return render(request, "social/order_detail.html", {
        "order": order, "person": person, "is_org": link is not None, "visits": visits,
        "can_serve": policies.can_serve(request.user, order) and order.status == OrderStatus.ACCEPTED,
        "can_rate": request.user.has_perm_code("social.rate") and link is None,
        "accept_form": accept_form, "reassign_form": reassign_form, "hours_form": hours_form,
        "rate_form": forms.RateForm(), "overdue": order.status in ("assigned", "accepted")
        and order.due_on < timezone.localdate()})


@require_POST
@login_required
def order_action(request, pk: int, action: str):
    _social_user(request)
    order = selectors.order_get(actor=request.user, pk=pk)
    try:
        if action == "accept":
            form = forms.AcceptForm(request.POST, workers=User.objects.filter(
                social_link__organisation=order.organisation_id))
            if not form.is_valid():
                raise DomainError(_("choose the worker"), field="worker")
            services.order_accept(actor=request.user, order=order, worker=form.cleaned_data["worker"])
            messages.success(request, _("Order accepted."))
        elif action in ("reassign", "cancel"):
            form = forms.ReasonForm(request.POST, organisations=order.project.organisations.all())
            if not form.is_valid():
                raise DomainError(_("give the reason"), field="reason")
            if action == "reassign":
                if form.cleaned_data["organisation"] is None:
                    raise DomainError(_("choose the organisation"), field="organisation")
                services.order_reassign(actor=request.user, order=order, organisation=form.cleaned_data["organisation"],
                                        reason=form.cleaned_data["reason"])
                messages.success(request, _("Order sent to another organisation."))
            else:
                services.order_cancel(actor=request.user, order=order, reason=form.cleaned_data["reason"])
                messages.success(request, _("Order cancelled."))
        elif action == "hours":
            form = forms.HoursForm(request.POST, volunteers=selectors.volunteer_list(actor=request.user))
            if not form.is_valid():
                raise DomainError(_("choose the volunteer, the date and the hours"))
            charity.volunteer_hours_record(actor=request.user, order=order, **form.cleaned_data)
            messages.success(request, _("Volunteer hours recorded."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    if selectors.order_list(actor=request.user).filter(pk=order.pk).exists():
        return redirect("social:order", pk=order.pk)
    return redirect("social:orders")


@login_required
def visit_new(request, pk: int):
    """The worker's phone page: one visit on an order."""
    order = selectors.order_get(actor=request.user, pk=pk)
    if not policies.can_serve(request.user, order):
        raise Http404
    form = forms.VisitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        photos = [(f.read(), f.content_type) for f in request.FILES.getlist("photos")]
        try:
            services.visit_record(actor=request.user, order=order, started_at=data["started_at"],
                                  ended_at=data["ended_at"], done=data["done"], confirmed_by=data["confirmed_by"],
                                  resident_confirmed=data["resident_confirmed"], photos=photos)
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Visit recorded."))
            return redirect("social:order", pk=order.pk)
    return render(request, "social/visit_form.html", {"form": form, "order": order})


@login_required
def visit_photo(request, pk: int, photo: int):
    _social_user(request)
    visit = selectors.visit_get(actor=request.user, pk=pk)
    item = visit.photos.filter(pk=photo).first()
    if item is None:
        raise Http404
    from django.conf import settings

    try:
        content = b"".join(sealed_chunks(settings.MEDIA_ROOT / item.path))
    except (OSError, SealedFileError):
        raise Http404 from None
    response = HttpResponse(content, content_type=item.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@perm_required("social.rate")
def visit_rate(request, pk: int):
    visit = selectors.visit_get(actor=request.user, pk=pk)
    form = forms.RateForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("the rating is a whole number from 1 to 5"), field="score")
        quality.service_rate(actor=request.user, visit=visit, score=form.cleaned_data["score"],
                             comment=form.cleaned_data["comment"])
        messages.success(request, _("Rating recorded."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("social:order", pk=visit.order_id)


@require_POST
@perm_required("social.manage")
def callback_record(request, pk: int):
    from .models import CallBack

    callback = CallBack.objects.filter(pk=pk, visit__in=selectors.visit_list(actor=request.user)).first()
    if callback is None:
        raise Http404
    form = forms.CallBackForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("check the call-back's answers"))
        data = form.cleaned_data
        quality.callback_record(actor=request.user, callback=callback, reached=data["reached"],
                                service_confirmed=data["service_confirmed"] if data["reached"] else None,
                                satisfaction=data["satisfaction"], complaint=data["complaint"])
        messages.success(request, _("Call-back recorded."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('social:project', args=[callback.project_id])}?month={callback.month:%Y-%m}")


# --- early-warning referral -------------------------------------------------------------------------

@perm_required("social.dispatch")
def alert_refer(request, alert_pk: int):
    from dajiuzhu.alerts.selectors import alert_get

    alert = alert_get(actor=request.user, pk=alert_pk)
    form = forms.ReferForm(request.POST or None, projects=selectors.project_list(actor=request.user),
                           organisations=selectors.organisation_list(actor=request.user).filter(status="active"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_from_alert(actor=request.user, alert=alert, project=data["project"],
                                              organisation=data["organisation"], kind=data["kind"],
                                              needs=data["needs"])
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Referred to %(name)s; the alert is closed.") % {"name": order.organisation})
            return redirect("social:order", pk=order.pk)
    return render(request, "social/form.html", {"form": form, "title": _("Refer to a social worker"),
                                                "subtitle": alert.household.number})


# --- volunteers and wishes ---------------------------------------------------------------------------

@login_required
def volunteer_list(request):
    _social_user(request)
    if policies.is_org_user(request.user):
        raise Http404
    form = forms.VolunteerForm(request.POST or None) if request.user.has_perm_code("social.dispatch") else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            charity.volunteer_register(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Volunteer registered."))
            return redirect("social:volunteers")
    return render(request, "social/volunteer_list.html", {
        "page": page_of(request, selectors.volunteer_list(actor=request.user)), "form": form,
        "query": query_without_page(request)})


@login_required
def wish_list(request):
    _social_user(request)
    if policies.is_org_user(request.user):
        raise Http404
    form = forms.WishForm(request.POST or None) if request.user.has_perm_code("social.dispatch") else None
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            charity.wish_publish(actor=request.user, household=_household(request, data["household_number"]),
                                 title=data["title"], value=data["value"], description=data["description"])
        except DomainError as exc:
            _refused(request, form, exc)
        else:
            messages.success(request, _("Wish published."))
            return redirect("social:wishes")
    return render(request, "social/wish_list.html", {
        "page": page_of(request, selectors.wish_list(actor=request.user).select_related("household")),
        "form": form, "query": query_without_page(request), "claim_form": forms.ClaimForm(),
        "deliver_form": forms.DeliverForm(initial={"delivered_on": timezone.localdate()}),
        "can_dispatch": request.user.has_perm_code("social.dispatch")})


@require_POST
@perm_required("social.dispatch")
def wish_action(request, pk: int, action: str):
    wish = selectors.wish_get(actor=request.user, pk=pk)
    try:
        if action == "claim":
            form = forms.ClaimForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("name the donor"), field="donor")
            charity.wish_claim(actor=request.user, wish=wish, donor=form.cleaned_data["donor"],
                               is_company=form.cleaned_data["is_company"])
            messages.success(request, _("Wish claimed."))
        elif action == "deliver":
            form = forms.DeliverForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("give the delivery date"), field="delivered_on")
            charity.wish_deliver(actor=request.user, wish=wish, delivered_on=form.cleaned_data["delivered_on"])
            messages.success(request, _("Delivery confirmed and recorded as assistance."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("social:wishes")


def wishes_public(request):
    """The public list of small wishes: village, wish, value — never the family."""
    return render(request, "social/wishes_public.html", {"wishes": selectors.public_wishes()})

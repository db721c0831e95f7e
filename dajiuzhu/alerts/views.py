"""Pages of the alerts app: inbox, alert detail with the follow-up form, county view,
disasters, the warning rules editor. Thin views over selectors and services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.regioncodes import pad
from dajiuzhu.core.scoping import actor_prefix
from dajiuzhu.core.views import page_of, perm_required, query_without_page
from dajiuzhu.indices.catalogue import RISK_TYPES
from dajiuzhu.regions.selectors import region_names

from . import services
from .forms import DisasterForm, FollowUpForm
from .jobs import scan_fan_out
from .models import FollowUp, Level, RuleSet
from .rules import SIGNALS, rule_problems
from .selectors import AlertFilters, alert_get, alert_list, alert_overview, alert_signals_in_words, disaster_list


def _risk_labels(codes: str) -> list[str]:
    return [str(RISK_TYPES[c]) for c in (codes or "").split(",") if c in RISK_TYPES]


@perm_required("alerts.view")
def inbox(request):
    get = request.GET
    mine_default = request.user.role in ("village_worker", "township_handler")
    filters = AlertFilters(
        mine=get.get("mine", "1" if mine_default else "") == "1", status=get.get("status", "open"),
        level=get.get("level", ""), risk_type=get.get("risk_type", ""), signal=get.get("signal", ""),
        region=get.get("region", "") if get.get("region", "").isdigit() else "", overdue=get.get("overdue") == "1")
    page = page_of(request, alert_list(actor=request.user, filters=filters))
    names = region_names(a.region_code for a in page)
    today = timezone.localdate()
    for alert in page:
        alert.region_name = names.get(alert.region_code, alert.region_code)
        alert.risk_labels = _risk_labels(alert.risk_types)
        alert.signal_labels = [str(SIGNALS.get(s["code"], {}).get("label", s["code"])) for s in alert.signals]
        alert.overdue = alert.status == "open" and alert.due_on < today
    return render(request, "alerts/inbox.html", {
        "page": page, "query": query_without_page(request), "filters": filters, "levels": Level.choices,
        "risk_types": list(RISK_TYPES.items()), "signals": [(c, s["label"]) for c, s in SIGNALS.items()],
    })


def _apply_url(alert) -> str:
    try:
        return reverse("cases:new") + f"?household={alert.household_id}&alert={alert.pk}"
    except NoReverseMatch:
        return ""


@perm_required("alerts.view")
def alert_detail(request, pk: int):
    alert = alert_get(actor=request.user, pk=pk)
    form = FollowUpForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm_code("alerts.followup"):
            messages.error(request, _("Your role may not record follow-ups."))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                services.followup_record(actor=request.user, alert=alert, **data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Follow-up recorded; the alert is closed."))
                return redirect("alerts:detail", pk=alert.pk)
    names = region_names([alert.region_code])
    return render(request, "alerts/detail.html", {
        "alert": alert, "signals": alert_signals_in_words(alert), "risks": _risk_labels(alert.risk_types),
        "form": form, "region_name": names.get(alert.region_code, alert.region_code),
        "follow_up": getattr(alert, "follow_up", None) if alert.status == "closed" else None,
        "can_follow_up": request.user.has_perm_code("alerts.followup") and alert.status == "open",
        "apply_url": _apply_url(alert) if request.user.has_perm_code("cases.create") else "",
        "overdue": alert.status == "open" and alert.due_on < timezone.localdate(),
    })


@perm_required("alerts.view")
def overview(request):
    level = 9 if request.GET.get("level") != "12" else 12
    data = alert_overview(actor=request.user, level=level)
    names = region_names(pad(r["prefix"]) for r in data["regions"])
    for row in data["regions"]:
        row["name"] = names.get(pad(row["prefix"]), row["prefix"])
    chart = {
        "regions": [r["name"] for r in data["regions"]],
        "red": [r["red"] for r in data["regions"]], "orange": [r["orange"] for r in data["regions"]],
        "yellow": [r["yellow"] for r in data["regions"]], "overdue": [r["overdue"] for r in data["regions"]],
        "months": [m["month"] for m in data["by_month"]],
        "month_red": [m["red"] for m in data["by_month"]], "month_orange": [m["orange"] for m in data["by_month"]],
        "month_yellow": [m["yellow"] for m in data["by_month"]],
        "outcomes": [{"name": str(label), "value": data["outcomes"][code]}
                     for code, label in FollowUp.Outcome.choices],
    }
    return render(request, "alerts/overview.html", {
        "data": data, "chart": chart, "level": level,
        "signals": [(str(SIGNALS[c]["label"]), n) for c, n in data["signals"].items()],
        "can_scan": request.user.has_perm_code("alerts.manage"),
    })


@require_POST
@perm_required("alerts.manage")
def scan_now(request):
    prefix = actor_prefix(request.user, "alerts.manage") or ""
    jobs = scan_fan_out(on=timezone.localdate(), region_prefix=prefix, actor=request.user)
    messages.success(request, _("%(n)d scan job(s) started.") % {"n": len(jobs)})
    return redirect("alerts:overview")


@perm_required("alerts.view")
def disasters(request):
    form = DisasterForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm_code("alerts.manage"):
            messages.error(request, _("Your role may not record disasters."))
        elif form.is_valid():
            try:
                services.disaster_record(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Disaster recorded; the next scan raises alerts in the area."))
                return redirect("alerts:disasters")
    events = list(disaster_list(actor=request.user)[:100])
    names = region_names(e.region_code for e in events)
    for event in events:
        event.area_name = names.get(event.region_code, event.region_code)
    return render(request, "alerts/disasters.html", {"form": form, "events": events,
                                                     "can_manage": request.user.has_perm_code("alerts.manage")})


@perm_required("alerts.manage")
def rules(request):
    draft = RuleSet.objects.filter(status=RuleSet.Status.DRAFT).first()
    active = services.active_ruleset()
    text = json.dumps((draft or active).config, ensure_ascii=False, indent=2)
    if request.method == "POST":
        text = request.POST.get("config", "")
        try:
            config = json.loads(text)
        except json.JSONDecodeError as exc:
            messages.error(request, _("The rule set is not valid JSON: %(e)s") % {"e": exc})
        else:
            try:
                draft = services.ruleset_draft_save(actor=request.user, config=config)
                if request.POST.get("activate"):
                    services.ruleset_activate(actor=request.user, ruleset=draft)
                    messages.success(request, _("Version %(v)d is now active.") % {"v": draft.version})
                else:
                    messages.success(request, _("Draft saved."))
                return redirect("alerts:rules")
            except DomainError as exc:
                for problem in exc.details.get("problems", [exc.message]):
                    messages.error(request, problem)
    return render(request, "alerts/rules.html", {
        "active": active, "draft": draft, "text": text,
        "problems": rule_problems(draft.config) if draft else [],
        "signals": [(code, spec["label"], spec["defaults"]) for code, spec in SIGNALS.items()],
        "history": RuleSet.objects.exclude(status=RuleSet.Status.DRAFT)[:10],
    })

"""Pages of the indices app: roster, aggregates, household indices, model editor with preview.

Thin views: parse input, call one selector or service, render. A household outside the
user's jurisdiction is a 404; a domain refusal is shown as a message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.regioncodes import pad
from dajiuzhu.core.scoping import actor_prefix, get_scoped
from dajiuzhu.core.views import page_of, perm_required, query_without_page
from dajiuzhu.regions.selectors import region_names
from dajiuzhu.registry.models import Household

from . import services
from .catalogue import CAPITALS, CATALOGUES, RISK_TYPES
from .config import config_problems
from .jobs import indices_fan_out
from .models import IndexKind, IndexModel, Tier
from .selectors import (
    LEVEL_LENGTHS,
    RosterFilters,
    household_section,
    model_preview,
    poverty_aggregates,
    roster,
    tier_counts,
)


def _band_choices(kind: str) -> list[tuple[str, str]]:
    model = services.active_model(kind)
    return [(b["code"], b.get("label") or b["code"]) for b in model.config["bands"]]


@perm_required("indices.view")
def roster_page(request):
    filters = RosterFilters(
        tier=request.GET.get("tier", "") if request.GET.get("tier", "") in Tier.values else "",
        region=request.GET.get("region", "").strip() if request.GET.get("region", "").strip().isdigit() else "",
        hardship_band=request.GET.get("hardship_band", ""),
        development_band=request.GET.get("development_band", ""),
        risk_type=request.GET.get("risk_type", "") if request.GET.get("risk_type", "") in RISK_TYPES else "",
    )
    page = page_of(request, roster(actor=request.user, filters=filters))
    names = region_names(e.region_code for e in page)
    for entry in page:
        entry.region_name = names.get(entry.region_code, entry.region_code)
        entry.risk_labels = [str(RISK_TYPES[c]) for c in (entry.risk_types or "").split(",") if c in RISK_TYPES]
    level = int(request.GET.get("level", 9)) if request.GET.get("level", "9").isdigit() else 9
    level = level if level in LEVEL_LENGTHS else 9
    counts = tier_counts(actor=request.user, level=level)
    count_names = region_names(pad(row["prefix"]) for row in counts)
    for row in counts:
        row["name"] = count_names.get(pad(row["prefix"]), row["prefix"])
    return render(request, "indices/roster.html", {
        "page": page, "query": query_without_page(request), "filters": filters, "tiers": Tier.choices,
        "risk_types": list(RISK_TYPES.items()), "hardship_bands": _band_choices("hardship"),
        "development_bands": _band_choices("development"), "counts": counts, "levels": LEVEL_LENGTHS,
        "level": level, "tier_labels": Tier.labels,
    })


@perm_required("indices.view")
def aggregates_page(request):
    level = int(request.GET.get("level", 9)) if request.GET.get("level", "9").isdigit() else 9
    level = level if level in LEVEL_LENGTHS else 9
    weight = "households" if request.GET.get("weight") == "households" else "people"
    data = poverty_aggregates(actor=request.user, level=level, weight=weight)
    names = region_names(pad(row["prefix"]) for row in data["rows"])
    for row in data["rows"]:
        row["name"] = names.get(pad(row["prefix"]), row["prefix"])
        row["parts"] = list(zip(row["censored"], row["contribution"]))
    chart = {"regions": [r["name"] for r in data["rows"]], "H": [r["H"] for r in data["rows"]],
             "M0": [r["M0"] for r in data["rows"]]}
    return render(request, "indices/aggregates.html", {"data": data, "levels": LEVEL_LENGTHS, "level": level,
                                                       "weight": weight, "chart": chart})


@perm_required("indices.view")
def household_page(request, pk: int):
    household = get_scoped(Household.objects.select_related("head"), request.user, perm="indices.view", pk=pk)
    return render(request, "indices/household.html", {"household": household,
                                                      "section": household_section(household)})


@require_POST
@perm_required("indices.run")
def run_page(request):
    prefix = actor_prefix(request.user, "indices.run") or ""
    try:
        on = dt.date.fromisoformat(request.POST.get("on") or timezone.localdate().isoformat())
    except ValueError:
        on = timezone.localdate()
    jobs = indices_fan_out(on=on, region_prefix=prefix, actor=request.user)
    messages.success(request, _("%(n)d job(s) started for %(on)s.") % {"n": len(jobs), "on": on})
    return redirect("indices:models")


@perm_required("indices.view")
def models_page(request):
    kinds = []
    for kind, label in IndexKind.choices:
        active = services.active_model(kind)
        draft = IndexModel.objects.filter(kind=kind, status=IndexModel.Status.DRAFT).first()
        kinds.append({"kind": kind, "label": label, "active": active, "draft": draft,
                      "problems": config_problems(kind, draft.config) if draft else [],
                      "history": IndexModel.objects.filter(kind=kind).exclude(status=IndexModel.Status.DRAFT)[:10]})
    return render(request, "indices/models.html", {"kinds": kinds, "can_edit": request.user.has_perm_code("indices.edit"),
                                                   "can_run": request.user.has_perm_code("indices.run")})


@perm_required("indices.edit")
def model_edit(request, kind: str):
    if kind not in IndexKind.values:
        raise Http404
    draft = IndexModel.objects.filter(kind=kind, status=IndexModel.Status.DRAFT).first()
    base = draft or services.active_model(kind)
    text = json.dumps(base.config, ensure_ascii=False, indent=2)
    note = draft.note if draft else ""
    if request.method == "POST":
        text, note = request.POST.get("config", ""), request.POST.get("note", "")[:200]
        try:
            config = json.loads(text)
        except json.JSONDecodeError as exc:
            messages.error(request, _("The model is not valid JSON: %(e)s") % {"e": exc})
        else:
            try:
                draft = services.index_model_draft_save(actor=request.user, kind=kind, config=config, note=note)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("indices:model_preview", pk=draft.pk)
    catalogue = [{"code": code, "label": ind.label, "direction": ind.direction, "capital": CAPITALS.get(ind.capital, "")}
                 for code, ind in CATALOGUES[kind].items()]
    return render(request, "indices/model_edit.html", {"kind": kind, "kind_label": IndexKind(kind).label,
                                                       "text": text, "note": note, "catalogue": catalogue,
                                                       "problems": config_problems(kind, base.config) if draft else []})


@perm_required("indices.view")
def model_preview_page(request, pk: int):
    try:
        model = IndexModel.objects.get(pk=pk)
    except IndexModel.DoesNotExist:
        raise Http404 from None
    preview = model_preview(actor=request.user, model=model)
    names = region_names(pad(row["prefix"]) for row in preview["rows"])
    for row in preview["rows"]:
        row["name"] = names.get(pad(row["prefix"]), row["prefix"])
    return render(request, "indices/model_preview.html", {"model": model, "preview": preview,
                                                          "can_edit": request.user.has_perm_code("indices.edit")})


@require_POST
@perm_required("indices.edit")
def model_activate(request, pk: int):
    try:
        model = IndexModel.objects.get(pk=pk)
    except IndexModel.DoesNotExist:
        raise Http404 from None
    try:
        services.index_model_activate(actor=request.user, model=model)
    except DomainError as exc:
        for problem in exc.details.get("problems", [exc.message]):
            messages.error(request, problem)
        return redirect("indices:model_preview", pk=pk)
    messages.success(request, _("Version %(v)d is now active.") % {"v": model.version})
    return redirect("indices:models")

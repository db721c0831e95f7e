"""Catalogue pages: the list, an item with its version history, the editor (live rule checks via
htmx), the standards table and screening runs. Thin views: parse, call a service or selector,
render; a refusal is shown as a message and changes nothing."""

from __future__ import annotations

import difflib
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.models import Job
from dajiuzhu.core.scoping import actor_prefix, scope
from dajiuzhu.core.views import page_of, perm_required

from . import selectors, services
from .forms import ItemForm, ScreeningForm, StandardForm
from .jobs import KIND as SCREEN_KIND
from .jobs import may_screen, screening_start
from .labels import fact_label
from .models import Area, AssistanceItem, Simulation, Standard
from .rules import fact_kinds
from .rules.language import FUNCTIONS
from .simulation import simulation_standard

TEXT_FIELDS = {"eligibility", "benefit", "description"}


def version_history(item) -> list[dict]:
    """Each version with what changed from the one before it (text fields as line diffs)."""
    versions = list(selectors.item_versions(item=item))
    labels = {f.name: str(f.verbose_name) for f in AssistanceItem._meta.get_fields() if hasattr(f, "verbose_name")}
    out = []
    for index, version in enumerate(versions):
        before = versions[index + 1].snapshot if index + 1 < len(versions) else {}
        after = version.snapshot
        changes = []
        for key in after:
            if before and before.get(key) == after.get(key):
                continue
            if not before:
                continue
            if key in TEXT_FIELDS:
                lines = list(difflib.ndiff([str(before.get(key) or "")], [str(after.get(key) or "")]))
                changes.append({"field": labels.get(key, key), "diff": [line for line in lines if line[:1] in "+-?"]})
            else:
                changes.append({"field": labels.get(key, key), "old": before.get(key), "new": after.get(key)})
        out.append({"version": version, "changes": changes, "first": not before})
    return out


@perm_required("programs.view")
def item_list(request):
    items = selectors.item_list(actor=request.user, category=request.GET.get("category", ""),
                                q=request.GET.get("q", ""))
    groups: dict = {}
    for item in items:
        groups.setdefault(item.category, []).append(item)
    return render(request, "programs/item_list.html", {
        "groups": groups, "categories": selectors.category_list(), "count": len(items),
        "category": request.GET.get("category", ""), "q": request.GET.get("q", ""),
        "can_edit": request.user.has_perm_code("programs.edit"),
    })


@perm_required("programs.view")
def item_detail(request, code: str):
    item = selectors.item_get(actor=request.user, code=code)
    return render(request, "programs/item_detail.html", {
        "item": item, "history": version_history(item), "excludes": item.excludes.order_by("code"),
        "can_edit": request.user.has_perm_code("programs.edit"),
    })


def _vocabulary() -> dict:
    return {"facts": [(name, kind, fact_label(name)) for name, kind in fact_kinds().items()],
            "standards": sorted(selectors.standard_names()), "functions": sorted(FUNCTIONS)}


@perm_required("programs.edit")
def item_edit(request, code: str | None = None):
    item = selectors.item_get(actor=request.user, code=code) if code else None
    if request.method == "POST":
        form = ItemForm(request.POST, item=item, initial=ItemForm.initial_for(item) if item else None)
        if form.is_valid():
            try:
                if item is None:
                    item = services.item_create(actor=request.user, code=form.cleaned_data["code"],
                                                data=form.service_data(), note=form.cleaned_data["note"])
                    messages.success(request, _("The item was added (version 1)."))
                else:
                    item = services.item_update(actor=request.user, item=item, data=form.service_data(),
                                                note=form.cleaned_data["note"])
                    item.refresh_from_db()
                    messages.success(request, _("Saved: version %(n)d.") % {"n": item.current_version.number})
                return redirect("programs:item_detail", code=item.code)
            except DomainError as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.message)
    else:
        form = ItemForm(item=item, initial=ItemForm.initial_for(item) if item else {"active": True})
    return render(request, "programs/item_form.html", {"form": form, "item": item, **_vocabulary()})


@require_POST
@perm_required("programs.view")
def rule_check(request):
    """htmx: check one expression field as it is typed; returns a small fragment."""
    kind = "benefit" if request.POST.get("field") == "benefit" else "eligibility"
    text = request.POST.get(kind, "")
    result = {"kind": kind, "empty": not text.strip()}
    if text.strip():
        try:
            from .forms import parse_parameters

            parameters = parse_parameters(request.POST.get("parameters", ""))
        except Exception:  # noqa: BLE001 - bad parameters are reported by the form on save
            parameters = {}
        try:
            rule = services.expression_validate(text=text, kind=kind, parameters=parameters,
                                                tier=request.POST.get("tier", ""))
            result.update(valid=True, facts=sorted(rule.facts), standards=sorted(rule.standards))
        except DomainError as exc:
            result.update(valid=False, message=exc.message)
    return render(request, "programs/_rule_check.html", result)


@perm_required("programs.view")
def standard_list(request):
    can_edit = request.user.has_perm_code("programs.edit")
    prefix = actor_prefix(request.user, "programs.view") or ""
    county = (prefix[:6] if len(prefix) >= 6 else request.GET.get("county", "371424"))[:6]
    form = None
    if can_edit:
        if request.method == "POST":
            form = StandardForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    # Simulate before changing (政策模拟): a change of an existing standard is shown on today's
                    # registry first; it is saved from the simulation's page. A new standard is saved at once.
                    if Standard.objects.filter(county_code=county, area=data["area"], name=data["name"]).exists():
                        simulation = simulation_standard(actor=request.user, county_code=county, year=data["year"],
                                                         area=data["area"], name=data["name"], amount=data["amount"])
                        return redirect("programs:simulation_detail", pk=simulation.pk)
                    services.standard_set(actor=request.user, county_code=county, **data)
                    messages.success(request, _("The standard was saved."))
                    return redirect("programs:standard_list")
                except DomainError as exc:
                    form.add_error(None, exc.message)
        else:
            form = StandardForm(initial={"year": timezone.localdate().year})
    elif request.method == "POST":
        raise PermissionDenied
    rows = selectors.standard_list(actor=request.user, county_code=county)
    table: dict = {}
    for standard in rows:
        key = (standard.year, standard.name)
        entry = table.setdefault(key, {"year": standard.year, "name": standard.name, "label": standard.label,
                                       "unit": standard.get_unit_display()})
        entry[standard.area] = standard.amount
    return render(request, "programs/standard_list.html", {
        "rows": sorted(table.values(), key=lambda r: (-r["year"], r["name"])), "county": county, "form": form,
        "areas": Area, "changes": selectors.standard_changes(actor=request.user)[:20],
    })


@perm_required("programs.view")
def simulation_detail(request, pk: int):
    simulation = selectors.simulation_get(actor=request.user, pk=pk)
    if request.method == "POST":
        if not request.user.has_perm_code("programs.edit") or simulation.kind != Simulation.Kind.STANDARD:
            raise PermissionDenied
        change = simulation.changes
        try:
            services.standard_set(actor=request.user, year=change["year"], county_code=simulation.county_code,
                                  area=change["area"], name=change["standard"], amount=change["new"],
                                  simulation=simulation)
            messages.success(request, _("The standard was saved."))
            return redirect("programs:standard_list")
        except DomainError as exc:
            messages.error(request, exc.message)
    def shown(row: dict) -> dict:  # money as 1,234.50
        return {k: (f"{Decimal(v):,.2f}" if k in {"monthly_change", "yearly_change", "per_capita_income"} else v)
                for k, v in row.items()}

    summary = shown(simulation.summary)
    return render(request, "programs/simulation.html", {
        "simulation": simulation, "summary": summary,
        "by_item": sorted((k, shown(v)) for k, v in simulation.summary.get("by_item", {}).items()),
        "by_township": sorted((k, shown(v)) for k, v in simulation.summary.get("by_township", {}).items()),
        "sample": [shown(row) for row in simulation.sample],
        "can_apply": (request.user.has_perm_code("programs.edit") and simulation.applied_at is None
                      and simulation.kind == Simulation.Kind.STANDARD),
    })


@perm_required(selectors.RESULTS_PERM)
def screening(request):
    form = ScreeningForm(request.POST or None, initial={"region_prefix": actor_prefix(request.user, selectors.RESULTS_PERM)})
    if request.method == "POST" and form.is_valid():
        try:
            job = screening_start(actor=request.user, region_prefix=form.cleaned_data["region_prefix"],
                                  on=form.cleaned_data.get("on"))
            messages.success(request, _("The screening was started."))
            return redirect(f"{request.path}?job={job.pk}")
        except DomainError as exc:
            form.add_error(None, exc.message)
    jobs = scope(Job.objects.filter(kind=SCREEN_KIND), request.user, perm=selectors.RESULTS_PERM).order_by("-created_at")
    runs = selectors.screening_runs(actor=request.user).order_by("-created_at")
    prefix = actor_prefix(request.user, selectors.RESULTS_PERM) or ""
    return render(request, "programs/screening.html", {
        "form": form, "jobs": jobs[:10], "runs": page_of(request, runs, size=20),
        "may_screen": may_screen(request.user, prefix) if prefix else request.user.has_perm_code("programs.edit"),
        "current": request.GET.get("job"),
    })

"""Reads of the catalogue and the standards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from dajiuzhu.core import regioncodes
from dajiuzhu.core.errors import NotFound
from dajiuzhu.core.scoping import actor_prefix, scope

from .models import (
    Area,
    AssistanceItem,
    Category,
    RuleVersion,
    ScreeningHit,
    ScreeningRun,
    Simulation,
    Standard,
    StandardChange,
)


def area_of(region_code: str) -> str:
    """Urban for a 居民委员会 (village part 001–199), rural otherwise."""
    return Area.URBAN if regioncodes.is_code(region_code) and regioncodes.is_urban_village(region_code) else Area.RURAL


def standards_for(*, on: dt.date, region_code: str) -> dict[str, Decimal]:
    """Every standard in force on ``on`` for the county and area of ``region_code``.

    A standard's value for a year is the row of the latest year up to that year, so a county
    that has not yet set next year's standards keeps this year's.
    """
    rows = (Standard.objects.filter(county_code=region_code[:6], area=area_of(region_code), year__lte=on.year)
            .order_by("name", "-year").values_list("name", "amount"))
    out: dict[str, Decimal] = {}
    for name, amount in rows:
        out.setdefault(name, amount)
    return out


def standard_value(name: str, *, on: dt.date, region_code: str) -> Decimal:
    """The standard ``name`` (e.g. ``dibao``) in force on ``on`` where ``region_code`` lies."""
    row = (Standard.objects.filter(county_code=region_code[:6], area=area_of(region_code), year__lte=on.year, name=name)
           .order_by("-year").values_list("amount", flat=True).first())
    if row is None:
        raise NotFound(f"no standard {name!r} for {region_code[:6]} in {on.year}")
    return row


def standard_names() -> set[str]:
    return set(Standard.objects.values_list("name", flat=True).distinct())


def standard_labels() -> dict[str, str]:
    return {name: label for name, label in Standard.objects.exclude(label="").values_list("name", "label")}


def standard_list(*, actor, county_code: str = "", year: int | None = None) -> QuerySet[Standard]:
    """Standards of the counties the actor may see."""
    prefix = actor_prefix(actor, "programs.view")
    qs = Standard.objects.all()
    if prefix is None:
        return qs.none()
    if prefix:
        qs = qs.filter(county_code=prefix[:6])
    if county_code:
        qs = qs.filter(county_code=county_code)
    if year:
        qs = qs.filter(year=year)
    return qs


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("order", "code")


def item_list(*, actor=None, category: str = "", active_only: bool = False, q: str = "") -> QuerySet[AssistanceItem]:
    """The catalogue is public to every user with ``programs.view`` (it is the same for every region)."""
    qs = AssistanceItem.objects.select_related("category", "department", "current_version")
    if actor is not None and actor_prefix(actor, "programs.view") is None:
        return qs.none()
    if category:
        qs = qs.filter(category__code=category)
    if active_only:
        qs = qs.filter(active=True)
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(code__icontains=q)
    return qs.order_by("category__order", "order", "code")


def item_get(*, actor=None, code: str) -> AssistanceItem:
    if actor is not None and actor_prefix(actor, "programs.view") is None:
        raise NotFound("no such item")
    return get_object_or_404(item_list(), code=code)


def item_by_code(code: str) -> AssistanceItem:
    try:
        return AssistanceItem.objects.select_related("current_version", "category", "department").get(code=code)
    except AssistanceItem.DoesNotExist:
        raise NotFound(f"no assistance item {code!r}") from None


def item_versions(*, item: AssistanceItem) -> QuerySet[RuleVersion]:
    return item.versions.select_related("created_by").order_by("-number")


def screening_hits(*, region_prefix: str = "", item_codes=None) -> QuerySet[ScreeningHit]:
    """The latest screening result of each household: one row per (household, eligible item).

    For the cases app's "missed" check: rows carry ``household_id``, ``region_code``,
    ``item_id`` (``item__code``, ``item__tier``), ``amount`` (Decimal yuan or None for a
    service) and ``screened_on``. A household appears only if the latest screening of its
    region found it eligible for something.
    """
    qs = ScreeningHit.objects.all()
    if region_prefix:
        qs = qs.filter(region_code__startswith=region_prefix)
    if item_codes is not None:
        qs = qs.filter(item__code__in=list(item_codes))
    return qs


RESULTS_PERM = "programs.view_results"


def screening_hits_for(*, actor, region_prefix: str = "") -> QuerySet[ScreeningHit]:
    """Screening results are personal data: scoped like the registry (``programs.view_results``), never by the
    catalogue permission ``programs.view`` that departments and social organisations hold."""
    qs = scope(ScreeningHit.objects.select_related("item"), actor, perm=RESULTS_PERM)
    if region_prefix:
        qs = qs.filter(region_code__startswith=region_prefix)
    return qs


def screening_runs(*, actor) -> QuerySet[ScreeningRun]:
    prefix = actor_prefix(actor, RESULTS_PERM)
    if prefix is None:
        return ScreeningRun.objects.none()
    return ScreeningRun.objects.filter(region_prefix__startswith=prefix) if prefix else ScreeningRun.objects.all()


def simulation_get(*, actor, pk: int) -> Simulation:
    """A simulation of a county the actor may see (404 otherwise)."""
    prefix = actor_prefix(actor, "programs.view")
    qs = Simulation.objects.all() if prefix == "" else (
        Simulation.objects.none() if prefix is None else Simulation.objects.filter(county_code=prefix[:6]))
    return get_object_or_404(qs, pk=pk)


def simulation_list(*, actor) -> QuerySet[Simulation]:
    prefix = actor_prefix(actor, "programs.view")
    if prefix is None:
        return Simulation.objects.none()
    qs = Simulation.objects.all()
    return qs.filter(county_code=prefix[:6]) if prefix else qs


def standard_changes(*, actor) -> QuerySet:
    """Saved changes of standards (with the simulation that preceded each) of the counties the actor may see."""
    prefix = actor_prefix(actor, "programs.view")
    if prefix is None:
        return StandardChange.objects.none()
    qs = StandardChange.objects.select_related("standard", "simulation", "changed_by")
    return qs.filter(standard__county_code=prefix[:6]) if prefix else qs

"""The dashboard of one region, read from the pre-aggregated figures only (a handful of queries,
whatever the number of assistance records)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core import regioncodes
from dajiuzhu.core.scoping import actor_prefix
from dajiuzhu.regions.models import Region
from dajiuzhu.results.items import KNOWN
from dajiuzhu.results.models import Category, Kind

from .models import Figure, Refresh

TIER_LABELS = {
    "dibao": "低保", "tekun": "特困", "near_poor": "低保边缘", "rigid": "刚性支出困难", "orphan": "孤儿",
    "monitoring": "监测对象", "leaver": "近期退出",
}
CHILD_METRICS = ("registry_households", "households_assisted", "spending_total", "alerts_total")


def dashboard_region(*, actor, code: str) -> Region:
    """The region, if the actor may see its dashboard; otherwise 404 (indistinguishable from absent)."""
    prefix = actor_prefix(actor, "dashboards.view")
    region = Region.objects.filter(code=code).select_related("parent").first() if regioncodes.is_code(code) else None
    if prefix is None or region is None or not region.prefix.startswith(prefix):
        raise Http404("No dashboard for this region.")
    return region


def _months_back(period: str, count: int) -> list[str]:
    year, month = int(period[:4]), int(period[5:7])
    out = []
    for _i in range(count):
        out.append(f"{year}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(out))


def _num(value: Decimal | None) -> float:
    return float(value or 0)


def _item_labels(codes) -> dict[str, str]:
    labels = {code: info.name for code, info in KNOWN.items()}
    try:
        from dajiuzhu.programs.models import AssistanceItem  # type: ignore[attr-defined]
    except ImportError:
        return labels
    labels.update(dict(AssistanceItem.objects.filter(code__in=list(codes)).values_list("code", "name")))
    return labels


def dashboard_data(*, actor, code: str, today: dt.date | None = None, period: str = "") -> dict:
    """Every figure of the region's dashboard for ``period`` (``YYYY-MM``; by default the last
    complete month that has figures, so the month still being paid does not look like a collapse)."""
    region = dashboard_region(actor=actor, code=code)
    prefix = region.prefix
    today = today or timezone.localdate()
    current = f"{today:%Y-%m}"
    if period and not (len(period) == 7 and period[4] == "-" and period[:4].isdigit() and period[5:].isdigit()):
        period = ""
    figures: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    oldest = _months_back(max(current, period or current), 13)[0]
    for row_period, metric, key, value in Figure.objects.filter(region_prefix=prefix).filter(
            Q(period="") | Q(period__gte=oldest)).values_list("period", "metric", "key", "value"):
        figures[metric][row_period][key] = value

    if not period:
        with_data = [p for p in figures.get("records", {}) if p and p < current]
        period = max(with_data) if with_data else current
    months = _months_back(period, 12)
    year_months = [m for m in months if m[:4] == period[:4]]

    def total(metric: str, periods, key: str | None = None) -> Decimal:
        by_period = figures.get(metric, {})
        out = Decimal(0)
        for p in periods:
            values = by_period.get(p, {})
            out += values.get(key, Decimal(0)) if key is not None else sum(values.values(), Decimal(0))
        return out

    def series(metric: str, key: str | None = None) -> list[float]:
        return [_num(total(metric, [m], key)) for m in months]

    decisions = total("decision_count", months)
    summary = {
        "registry_households": _num(total("registry_households", [""])),
        "registry_people": _num(total("registry_people", [""])),
        "households_assisted": _num(total("households_assisted", [period])),
        "spending_month": _num(total("spending", [period])),
        "spending_year": _num(total("spending", year_months)),
        "records_month": _num(total("records", [period])),
        "service_hours_year": _num(total("service_hours", year_months)),
        "cases_new_year": _num(total("cases_new", year_months)),
        "cases_leaving_year": _num(total("cases_leaving", year_months)),
        "avg_decision_days": round(_num(total("decision_days_sum", months)) / _num(decisions), 1) if decisions else None,
        "alerts": _num(total("alerts_level", [""])),
    }
    tier_keys = set(figures.get("households_tier", {}).get(period, {})) | set(
        figures.get("persons_tier", {}).get(period, {}))
    tier_labels = _tier_labels()
    tiers = [{"key": k, "label": str(tier_labels.get(k, k)), "households": _num(total("households_tier", [period], k)),
              "persons": _num(total("persons_tier", [period], k))} for k in sorted(tier_keys)]
    item_keys = set()
    for metric in ("households_item", "spending_item"):
        for p in year_months:
            item_keys |= set(figures.get(metric, {}).get(p, {}))
    labels = _item_labels(item_keys)
    items = sorted(
        ({"key": k, "label": labels.get(k, k), "households": _num(total("households_item", [period], k)),
          "persons": _num(total("persons_item", [period], k)), "spending_year": _num(total("spending_item", year_months, k))}
         for k in item_keys),
        key=lambda row: -row["spending_year"],
    )
    categories = sorted({k for p in months for k in figures.get("spending", {}).get(p, {})})
    category_labels = dict(Category.choices)
    spending = {"months": months, "series": [
        {"key": c, "label": str(category_labels.get(c, c)), "values": series("spending", c)} for c in categories]}
    kind_labels = dict(Kind.choices)
    material_service = [{"key": k, "label": str(kind_labels[k]), "records": _num(total("records_kind", year_months, k)),
                         "amount": _num(total("amount_kind", year_months, k))} for k in Kind.values]
    cases = {"months": months, "new": series("cases_new"), "leaving": series("cases_leaving"),
             "applications": series("applications"), "alerts": series("alerts")}

    def breakdown(metric: str, limit: int | None = None, labels: dict | None = None) -> list[dict]:
        rows = sorted(figures.get(metric, {}).get("", {}).items(), key=lambda kv: (-kv[1], kv[0]))
        return [{"key": k, "label": str((labels or {}).get(k, k)), "value": _num(v)} for k, v in rows[:limit]]

    children = _children(region, period, year_months)
    parent = None
    scope = actor_prefix(actor, "dashboards.view") or ""
    if region.parent and region.parent.prefix.startswith(scope):
        parent = {"code": region.parent.code, "name": region.parent.name,
                  "url": reverse("dashboards:region", args=[region.parent.code])}
    refreshed = Refresh.objects.filter(region_prefix="").values_list("refreshed_at", flat=True).first()
    return {
        "region": {"code": region.code, "name": region.name, "level": region.level, "prefix": prefix},
        "parent": parent,
        "refreshed_at": refreshed.isoformat() if refreshed else None,
        "period": period,
        "summary": summary,
        "tiers": tiers,
        "items": items,
        "spending_by_month": spending,
        "material_service": material_service,
        "cases_by_month": cases,
        "decisions": breakdown("decisions"),
        "alerts_by_level": breakdown("alerts_level", None, _alert_labels("Level")),
        "alerts_by_outcome": breakdown("alerts_outcome", None, _alert_labels("Outcome")),
        "risk_types": breakdown("alert_risk_types", 5, _risk_labels()) or breakdown("risk_types", 5, _risk_labels()),
        "roster_tiers": breakdown("roster_tier", None, _tier_labels()),
        "index_hardship": breakdown("index_hardship"),
        "index_development": breakdown("index_development"),
        "children": children,
    }


def _risk_labels() -> dict:
    try:
        from dajiuzhu.indices.catalogue import RISK_TYPES
    except ImportError:
        return {}
    return RISK_TYPES


def _alert_labels(kind: str) -> dict:
    try:
        from dajiuzhu.alerts import models as alert_models
    except ImportError:
        return {}
    if kind == "Level":
        choices = getattr(alert_models, "Level", None)
    else:
        choices = getattr(getattr(alert_models, "FollowUp", None), "Outcome", None)
    labels = dict(choices.choices) if choices is not None else {}
    return {**labels, "pending": _("awaiting follow-up"), "closed": _("closed")}


def _tier_labels() -> dict:
    try:
        from dajiuzhu.indices.models import Tier
    except ImportError:
        return TIER_LABELS
    return {**TIER_LABELS, **dict(Tier.choices)}


def _children(region: Region, period: str, year_months: list[str]) -> list[dict]:
    if region.level >= Region.Level.VILLAGE:
        return []
    kids = list(Region.objects.filter(parent=region).order_by("code").values_list("code", "name", "prefix"))
    values: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for prefix, p, metric, value in Figure.objects.filter(
        parent_prefix=region.prefix, metric__in=CHILD_METRICS, period__in=["", period, *year_months],
    ).values_list("region_prefix", "period", "metric", "value"):
        if metric == "spending_total" and p in year_months:
            values[prefix]["spending_year"] += value
        if p == period and metric == "spending_total":
            values[prefix]["spending_month"] += value
        if p == period and metric == "households_assisted":
            values[prefix]["households_assisted"] += value
        if p == "" and metric == "registry_households":
            values[prefix][metric] += value
        if p == "" and metric == "alerts_total":
            values[prefix]["alerts"] += value
    return [
        {"code": code, "name": name, "url": reverse("dashboards:region", args=[code]),
         "registry_households": _num(values[prefix]["registry_households"]),
         "households_assisted": _num(values[prefix]["households_assisted"]),
         "spending_month": _num(values[prefix]["spending_month"]),
         "spending_year": _num(values[prefix]["spending_year"]), "alerts": _num(values[prefix]["alerts"])}
        for code, name, prefix in kids
    ]


def dashboard_home_code(actor) -> str:
    """The region whose dashboard an actor opens first (their own)."""
    return actor.region_id


def summary_label(key: str) -> str:
    return {
        "registry_households": _("households in the registry"), "registry_people": _("people in the registry"),
        "households_assisted": _("households assisted this month"), "spending_month": _("spending this month"),
        "spending_year": _("spending this year"), "records_month": _("records this month"),
        "service_hours_year": _("service hours this year"), "cases_new_year": _("new this year"),
        "cases_leaving_year": _("leaving this year"), "avg_decision_days": _("average days to decision"),
        "alerts": _("alerts"),
    }.get(key, key)

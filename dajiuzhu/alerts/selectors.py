"""Reads of the alerts app, always starting from what the actor may see."""

from __future__ import annotations

import dataclasses

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from dajiuzhu.core.scoping import get_scoped, scope

from .models import Alert, DisasterEvent, FollowUp, Level, RuleSet
from .rules import SIGNALS, signal_words


@dataclasses.dataclass
class AlertFilters:
    mine: bool = False
    status: str = "open"
    level: str = ""
    risk_type: str = ""
    signal: str = ""
    region: str = ""
    overdue: bool = False


def alert_list(*, actor, filters: AlertFilters | None = None) -> QuerySet[Alert]:
    filters = filters or AlertFilters()
    qs = scope(Alert.objects.select_related("household", "household__head", "assigned_to", "follow_up"), actor,
               perm="alerts.view")
    if filters.mine:
        qs = qs.filter(assigned_to=actor)
    if filters.status in Alert.Status.values:
        qs = qs.filter(status=filters.status)
    if filters.level in Level.values:
        qs = qs.filter(level=filters.level)
    if filters.risk_type:
        qs = qs.filter(risk_types__contains=filters.risk_type)
    if filters.signal in SIGNALS:
        qs = qs.filter(signal_rows__code=filters.signal).distinct()
    if filters.region:
        qs = qs.filter(region_code__startswith=filters.region)
    if filters.overdue:
        qs = qs.filter(status=Alert.Status.OPEN, due_on__lt=timezone.localdate())
    return qs.order_by("status", "due_on", "-id")


def alert_get(*, actor, pk: int) -> Alert:
    """404 outside the actor's jurisdiction."""
    return get_scoped(Alert.objects.select_related("household", "household__head", "assigned_to", "ruleset"), actor,
                      perm="alerts.view", pk=pk)


def alert_signals_in_words(alert: Alert) -> list[dict]:
    return [{"code": s["code"], "label": str(SIGNALS.get(s["code"], {}).get("label", s["code"])), "level": s["level"],
             "text": signal_words(s)} for s in alert.signals]


def alert_overview(*, actor, level: int = 9) -> dict:
    """Counts for the county view: open alerts by region and level, overdue, outcomes, by month."""
    qs = scope(Alert.objects.all(), actor, perm="alerts.view")
    today = timezone.localdate()
    by_region: dict[str, dict] = {}
    rows = qs.filter(status=Alert.Status.OPEN).annotate(prefix=Substr("region_code", 1, level)) \
        .values("prefix", "level").annotate(n=Count("id"))
    for row in rows:
        by_region.setdefault(row["prefix"], {lv: 0 for lv in Level.values})[row["level"]] = row["n"]
    overdue = dict(qs.filter(status=Alert.Status.OPEN, due_on__lt=today).annotate(
        prefix=Substr("region_code", 1, level)).values_list("prefix").annotate(n=Count("id")))
    outcomes = dict(scope(FollowUp.objects.all(), actor, perm="alerts.view", fields=("alert__region_code",))
                    .values_list("outcome").annotate(n=Count("id")))
    by_month = list(qs.annotate(month=TruncMonth("on")).values("month").annotate(
        red=Count("id", filter=Q(level="red")), orange=Count("id", filter=Q(level="orange")),
        yellow=Count("id", filter=Q(level="yellow"))).order_by("month"))
    signals = dict(scope(Alert.objects.all(), actor, perm="alerts.view").values_list("signal_rows__code")
                   .annotate(n=Count("signal_rows__id")).exclude(signal_rows__code=None))
    return {
        "regions": [{"prefix": p, **counts, "overdue": overdue.get(p, 0)} for p, counts in sorted(by_region.items())],
        "open": qs.filter(status=Alert.Status.OPEN).count(),
        "overdue": qs.filter(status=Alert.Status.OPEN, due_on__lt=today).count(),
        "closed": qs.filter(status=Alert.Status.CLOSED).count(),
        "escalated": qs.filter(status=Alert.Status.OPEN).exclude(stage=Alert.Stage.VILLAGE).count(),
        "outcomes": {code: outcomes.get(code, 0) for code in FollowUp.Outcome.values},
        "by_month": [{**m, "month": m["month"].strftime("%Y-%m")} for m in by_month],
        "signals": {code: signals.get(code, 0) for code in SIGNALS},
    }


def disaster_list(*, actor) -> QuerySet[DisasterEvent]:
    return scope(DisasterEvent.objects.all(), actor, perm="alerts.view")


def ruleset_list() -> QuerySet[RuleSet]:
    return RuleSet.objects.all()

"""Reads of the results database, always starting from what the actor may see."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.http import Http404

from dajiuzhu.core.money import money
from dajiuzhu.core.scoping import actor_prefix, get_scoped, scope

from .models import AssistanceRecord, Delivery, LineStatus, PaymentBatch, PaymentLine, RecordStatus, Recovery


@dataclasses.dataclass
class RecordFilters:
    region: str = ""
    item: str = ""
    source: str = ""
    kind: str = ""
    month: str = ""  # YYYY-MM
    household: int | None = None
    include_cancelled: bool = False


def _records_visible(actor) -> QuerySet[AssistanceRecord]:
    qs = AssistanceRecord.objects.all()
    if actor_prefix(actor, "results.view") is not None:
        return scope(qs, actor, perm="results.view")
    if actor_prefix(actor, "results.deliver") is not None:
        # A department or organisation sees what it gave, nothing else.
        mine = Q(department=actor.department) if actor.role == "department" else Q(created_by=actor)
        return scope(qs, actor, perm="results.deliver").filter(mine)
    return qs.none()


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    try:
        start = dt.date(int(month[:4]), int(month[5:7]), 1)
    except (ValueError, IndexError):
        raise ValueError(f"not a month: {month}") from None
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, end


def in_month(start: dt.date, end: dt.date) -> Q:
    """Records for the month: the period paid when there is one, else the date given."""
    return Q(period_start__gte=start, period_start__lt=end) | Q(period_start__isnull=True, given_on__gte=start,
                                                                   given_on__lt=end)


def record_list(*, actor, filters: RecordFilters | None = None) -> QuerySet[AssistanceRecord]:
    filters = filters or RecordFilters()
    qs = _records_visible(actor)
    if not filters.include_cancelled:
        qs = qs.filter(status=RecordStatus.GIVEN)
    if filters.region:
        qs = qs.filter(region_code__startswith=filters.region)
    if filters.item:
        qs = qs.filter(item_code=filters.item)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.month:
        try:
            qs = qs.filter(in_month(*month_bounds(filters.month)))
        except ValueError:
            return qs.none()
    if filters.household:
        qs = qs.filter(household_id=filters.household)
    return qs.select_related("household", "person", "department").order_by("-given_on", "-id")


def record_get(*, actor, pk: int) -> AssistanceRecord:
    return get_scoped(_records_visible(actor).select_related("household", "person", "department"), actor, pk=pk)


def household_history(*, actor, household_id: int) -> dict:
    """Everything given to one household, by date, with totals by item (printable page)."""
    from dajiuzhu.registry.models import Household

    household = get_scoped(Household.objects.select_related("head"), actor, perm="results.view", pk=household_id)
    records = list(AssistanceRecord.objects.filter(household=household, status=RecordStatus.GIVEN)
                   .select_related("person", "department").order_by("given_on", "id"))
    totals: dict[str, dict] = {}
    for record in records:
        entry = totals.setdefault(record.item_code, {"item": record.item_name, "count": 0, "amount": Decimal(0),
                                                     "hours": Decimal(0), "first": record.given_on})
        entry["count"] += 1
        entry["amount"] += record.amount
        entry["hours"] += record.service_hours or 0
        entry["last"] = record.given_on
    return {"household": household, "records": records, "totals": list(totals.values()),
            "total_amount": sum((r.amount for r in records), Decimal(0)),
            "members": list(household.members.order_by("birth_date"))}


def batch_list(*, actor) -> QuerySet[PaymentBatch]:
    return scope(PaymentBatch.objects.all(), actor, perm="results.view").select_related("generated_by",
                                                                                        "approved_by")


def batch_get(*, actor, pk: int) -> PaymentBatch:
    return get_scoped(PaymentBatch.objects.select_related("generated_by", "approved_by"), actor,
                      perm="results.view", pk=pk)


def batch_lines(*, batch: PaymentBatch, status: str = "") -> QuerySet[PaymentLine]:
    qs = batch.lines.select_related("household").order_by("line_no")
    return qs.filter(status=status) if status else qs


def recovery_list(*, actor, open_only: bool = False) -> QuerySet[Recovery]:
    qs = scope(Recovery.objects.select_related("household"), actor, perm="results.view")
    return qs.filter(status="open") if open_only else qs


def delivery_list(*, actor) -> QuerySet[Delivery]:
    qs = Delivery.objects.select_related("department", "delivered_by")
    if actor_prefix(actor, "results.view") is not None:
        prefix = actor_prefix(actor, "results.view")
        return qs if prefix == "" else qs.filter(delivered_by__region__code__startswith=prefix[:6])
    if actor_prefix(actor, "results.deliver") is not None:
        return qs.filter(delivered_by=actor) if actor.role == "social_org" else qs.filter(department=actor.department)
    return qs.none()


def delivery_get(*, actor, pk: int) -> Delivery:
    delivery = delivery_list(actor=actor).filter(pk=pk).first()
    if delivery is None:
        raise Http404("No delivery matches the given query.")
    return delivery


def outcomes(*, actor, region: str = "", limit: int = 200) -> list[dict]:
    """For households that received assistance: development index and tiers before the first
    assistance and now (the effect, not only the spending). Empty until indices are computed."""
    try:
        from dajiuzhu.indices.models import IndexScore, RosterEntry
    except ImportError:
        return []
    qs = record_list(actor=actor, filters=RecordFilters(region=region))
    first = {row["household_id"]: row for row in qs.values("household_id").annotate(
        first=Min("given_on"), total=Sum("amount"),
        count=Count("id")).order_by("-total")[:limit]}
    if not first:
        return []
    scores: dict[int, list] = defaultdict(list)
    for household_id, on, development, hardship in IndexScore.objects.filter(household_id__in=first).order_by(
            "household_id", "on").values_list("household_id", "on", "development", "hardship"):
        scores[household_id].append((on, development, hardship))
    tiers: dict[int, list] = defaultdict(list)
    for household_id, tier, since, until in RosterEntry.objects.filter(household_id__in=first).values_list(
            "household_id", "tier", "since", "until"):
        tiers[household_id].append((tier, since, until))
    from dajiuzhu.registry.models import Household

    numbers = dict(Household.objects.filter(pk__in=first).values_list("pk", "number"))
    out = []
    for household_id, row in first.items():
        series = scores.get(household_id, [])
        start = row["first"]
        before = [s for s in series if s[0] <= start]
        after = [s for s in series if s[0] > start]
        base = before[-1] if before else (series[0] if series else None)
        latest = after[-1] if after else None
        tiers_then = sorted({t for t, since, until in tiers.get(household_id, []) if since <= start
                             and (until is None or until > start)})
        tiers_now = sorted({t for t, since, until in tiers.get(household_id, []) if until is None})
        change = (latest[1] - base[1]) if latest and base and latest[1] is not None and base[1] is not None else None
        out.append({"household_id": household_id, "number": numbers.get(household_id, ""), "first_given": start,
                    "total": money(row["total"] or 0), "records": row["count"],
                    "development_before": base[1] if base else None, "development_now": latest[1] if latest else None,
                    "development_change": change, "tiers_before": tiers_then, "tiers_now": tiers_now,
                    "series": [(s[0].isoformat(), s[1]) for s in series]})
    return out


def household_payments(*, household_id: int) -> QuerySet[PaymentLine]:
    """The payments made to one household (paid lines, newest month first): what a resident sees of their
    own household in the portal (the caller has established that it is theirs)."""
    return (PaymentLine.objects.filter(household_id=household_id, status=LineStatus.PAID)
            .select_related("batch").order_by("-batch__month", "-id"))

"""Reads of social forces, always starting from what the actor may see.

Staff see the organisations registered in, and the orders, visits and wishes of households living in,
their jurisdiction (``core.scoping``). An organisation's user sees its own organisation and only the
orders assigned to it (a worker: those assigned to them); the personal data of an order is read through
``order_person_view``, which returns only what a service needs and audits every read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.regioncodes import pad
from dajiuzhu.core.scoping import actor_prefix, get_scoped, scope
from dajiuzhu.regions.models import Region

from . import policies
from .models import (
    OPEN_ORDER_STATUSES,
    CallBack,
    Order,
    Organisation,
    Project,
    Settlement,
    Visit,
    Volunteer,
    VolunteerHours,
    Wish,
    WishStatus,
)


def _in_or_above(qs: QuerySet, actor) -> QuerySet:
    """Rows of a region inside the actor's jurisdiction or of a region above it (the county's register and
    projects are visible to its townships and villages)."""
    prefix = actor_prefix(actor, "social.view")
    if prefix is None:
        return qs.none()
    if prefix == "":
        return qs
    above = [pad(prefix[:length]) for length in (2, 4, 6, 9) if length < len(prefix)]
    return qs.filter(Q(region_code__startswith=prefix) | Q(region_code__in=above))


def organisation_list(*, actor) -> QuerySet[Organisation]:
    link = policies.link_of(actor)
    if link is not None:
        return Organisation.objects.filter(pk=link.organisation_id)
    return _in_or_above(Organisation.objects.all(), actor).prefetch_related("areas")


def organisation_get(*, actor, pk: int) -> Organisation:
    try:
        return organisation_list(actor=actor).get(pk=pk)
    except (Organisation.DoesNotExist, ValueError):
        raise Http404("No organisation matches the given query.") from None


def project_list(*, actor) -> QuerySet[Project]:
    link = policies.link_of(actor)
    if link is not None:
        return Project.objects.filter(organisations=link.organisation_id)
    return _in_or_above(Project.objects.all(), actor).select_related("department")


def project_get(*, actor, pk: int) -> Project:
    try:
        return project_list(actor=actor).get(pk=pk)
    except (Project.DoesNotExist, ValueError):
        raise Http404("No project matches the given query.") from None


def project_spending(project: Project) -> dict:
    """Spending against the budget now: settled, services recorded but not yet settled, left."""
    settled = project.settlements.aggregate(s=Sum("total"))["s"] or Decimal(0)
    settled_months = list(project.settlements.values_list("month", flat=True))
    prices = {p.kind: p.unit_price for p in project.prices.all()}
    pending = Decimal(0)
    for kind, units in (Visit.objects.filter(project=project, status__in=("confirmed", "verified"))
                        .exclude(month__in=settled_months).values("kind").annotate(u=Sum("quantity"))
                        .values_list("kind", "u")):
        pending += (units or 0) * prices.get(kind, Decimal(0))
    pending = pending.quantize(Decimal("0.01"))
    return {"budget": project.budget, "settled": settled, "pending": pending,
            "left": project.budget - settled - pending,
            "share": float((settled + pending) / project.budget) if project.budget else 0.0}


@dataclasses.dataclass
class OrderFilters:
    status: str = ""
    overdue: bool = False
    project: int | None = None
    organisation: int | None = None
    month: str = ""
    source: str = ""


def order_list(*, actor, filters: OrderFilters | None = None) -> QuerySet[Order]:
    filters = filters or OrderFilters()
    link = policies.link_of(actor)
    if link is not None:
        qs = Order.objects.filter(organisation=link.organisation_id)
        if not link.is_coordinator:
            qs = qs.filter(worker=actor)
    else:
        qs = scope(Order.objects.all(), actor, perm="social.view")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.overdue:
        qs = qs.filter(status__in=OPEN_ORDER_STATUSES, due_on__lt=timezone.localdate())
    if filters.project:
        qs = qs.filter(project_id=filters.project)
    if filters.organisation:
        qs = qs.filter(organisation_id=filters.organisation)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.month:
        try:
            qs = qs.filter(month=dt.date(int(filters.month[:4]), int(filters.month[5:7]), 1))
        except (ValueError, IndexError):
            return qs.none()
    return qs.select_related("organisation", "project", "worker")


def order_get(*, actor, pk: int) -> Order:
    try:
        return order_list(actor=actor).get(pk=pk)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise Http404("No service order matches the given query.") from None


def order_person_view(*, actor, order: Order) -> dict:
    """What the service needs to know about the person served — name, village, phone, needs — and nothing
    else (no income, no ID number). Every read is audited (``social.personal_data_view``)."""
    household = order.household
    person = order.person or household.head
    village = Region.objects.filter(code=order.region_code).values_list("name", flat=True).first() or ""
    data = {"name": person.name if person else "", "village": village, "address": household.address,
            "phone": (person.phone if person else "") or "", "needs": order.needs}
    with transaction.atomic():
        audit_record(actor=actor, action="social.personal_data_view", obj=order,
                     new={"person": person.pk if person else None, "fields": ["name", "village", "address", "phone"]})
    return data


def visit_list(*, actor) -> QuerySet[Visit]:
    link = policies.link_of(actor)
    if link is not None:
        qs = Visit.objects.filter(organisation=link.organisation_id)
        return qs if link.is_coordinator else qs.filter(worker=actor)
    return scope(Visit.objects.all(), actor, perm="social.view")


def visit_get(*, actor, pk: int) -> Visit:
    try:
        return visit_list(actor=actor).select_related("order", "organisation").get(pk=pk)
    except (Visit.DoesNotExist, ValueError, TypeError):
        raise Http404("No visit matches the given query.") from None


def callback_list(*, actor, project: Project, month: dt.date) -> QuerySet[CallBack]:
    return CallBack.objects.filter(project=project, month=month, visit__in=visit_list(actor=actor)).select_related(
        "visit", "visit__order")


def settlement_list(*, actor, project: Project) -> QuerySet[Settlement]:
    return project.settlements.all()


def volunteer_list(*, actor) -> QuerySet[Volunteer]:
    return (scope(Volunteer.objects.all(), actor, perm="social.view").annotate(total_hours=Sum("hours__hours"))
            .order_by("name", "pk"))


def wish_list(*, actor) -> QuerySet[Wish]:
    return scope(Wish.objects.all(), actor, perm="social.view")


def wish_get(*, actor, pk: int) -> Wish:
    return get_scoped(Wish.objects.all(), actor, perm="social.view", pk=pk)


def public_wishes() -> list[dict]:
    """The published wishes as the public sees them: village, wish, value — never who the family is."""
    wishes = list(Wish.objects.filter(status=WishStatus.PUBLISHED).values("pk", "region_code", "title",
                                                                          "description", "value"))
    names = dict(Region.objects.filter(code__in={w["region_code"] for w in wishes}).values_list("code", "name"))
    return [{"id": w["pk"], "village": names.get(w["region_code"], ""), "title": w["title"],
             "description": w["description"], "value": w["value"]} for w in wishes]


def household_services(household) -> dict:
    """The household's services, for its page in the registry (two queries)."""
    counts = Order.objects.filter(household=household).aggregate(
        open=Count("id", filter=Q(status__in=OPEN_ORDER_STATUSES), distinct=True), visits=Count("visits"))
    visits = Visit.objects.filter(order__household=household).select_related("organisation").order_by("-started_at")
    return {"orders_open": counts["open"], "visit_count": counts["visits"], "visits": list(visits[:10])}


def figures(*, actor, month: dt.date | None = None) -> dict:
    """Dashboard figures inside the actor's jurisdiction: services by kind, organisation and month,
    volunteer hours, charity delivered."""
    visits = visit_list(actor=actor).filter(status__in=("confirmed", "verified"))
    by_kind = list(visits.values("kind").annotate(n=Count("id"), units=Sum("quantity")).order_by("kind"))
    by_org = list(visits.values("organisation__name").annotate(n=Count("id"), units=Sum("quantity"))
                  .order_by("organisation__name"))
    by_month = list(visits.values("month").annotate(n=Count("id")).order_by("month"))
    hours = (scope(VolunteerHours.objects.all(), actor, perm="social.view").aggregate(h=Sum("hours"))["h"]
             or Decimal(0)) if policies.link_of(actor) is None else Decimal(0)
    wishes = wish_list(actor=actor) if policies.link_of(actor) is None else Wish.objects.none()
    delivered = wishes.filter(status=WishStatus.DELIVERED).aggregate(n=Count("id"), v=Sum("value"))
    orders = order_list(actor=actor)
    return {"by_kind": by_kind, "by_org": by_org, "by_month": by_month, "volunteer_hours": hours,
            "wishes_delivered": delivered["n"] or 0, "wishes_value": delivered["v"] or Decimal(0),
            "wishes_open": wishes.filter(status__in=(WishStatus.PUBLISHED, WishStatus.CLAIMED)).count(),
            "orders_open": orders.filter(status__in=OPEN_ORDER_STATUSES).count(),
            "orders_overdue": orders.filter(status__in=OPEN_ORDER_STATUSES,
                                            due_on__lt=timezone.localdate()).count(),
            "by_status": dict(orders.values_list("status").annotate(n=Count("id")).values_list("status", "n")),
            "by_source": dict(orders.values_list("source").annotate(n=Count("id")).values_list("source", "n")),
            }

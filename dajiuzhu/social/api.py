"""Social forces API (/api/v1/social/): an organisation's orders and visits, ratings, a project's spending.

An organisation's system (or app) lists the orders assigned to it, records a visit (without photos; photos go
through the phone page), and the resident pages rate a visit. Errors: 404 outside the caller's reach, 403 for a
role that may not act, 409 for a transition not allowed, 422 with the problem body for bad input.
"""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from dajiuzhu.core.errors import Forbidden

from . import policies, quality, selectors, services

router = Router(tags=["social"])


def _reader(request) -> None:
    if not (request.auth.has_perm_code("social.view") or policies.is_org_user(request.auth)):
        raise Forbidden(_("your role may not do this"))


class OrderOut(Schema):
    id: int
    project_id: int
    organisation_id: int
    organisation: str = Field(alias="organisation.name")
    region_code: str
    kind: str
    quantity: Decimal
    needs: str
    source: str
    month: dt.date
    due_on: dt.date
    status: str
    worker_id: int | None


class OrderFilterQuery(Schema):
    status: str = ""
    overdue: bool = False
    month: str = Field("", description="YYYY-MM")
    source: str = ""


@router.get("/orders", response=list[OrderOut], operation_id="social_orders_list",
            summary="Service orders the caller may see (an organisation: its own)")
@paginate(PageNumberPagination)
def orders(request, query: Query[OrderFilterQuery]):
    _reader(request)
    return selectors.order_list(actor=request.auth, filters=selectors.OrderFilters(**query.dict()))


@router.get("/orders/{order_id}", response=OrderOut, operation_id="social_orders_get", summary="One service order")
def order_detail(request, order_id: int):
    _reader(request)
    return selectors.order_get(actor=request.auth, pk=order_id)


class VisitIn(Schema):
    started_at: dt.datetime = Field(description="aware time, e.g. 2026-12-08T09:00:00+08:00")
    ended_at: dt.datetime
    done: str = Field(description="what was done")
    confirmed_by: str = Field(description="who confirmed the service (the resident or a family member)")
    resident_confirmed: bool
    quantity: Decimal | None = Field(None, description="units; by default the order's (care: the hours)")
    complete: bool = True


class VisitOut(Schema):
    id: int
    order_id: int
    kind: str
    quantity: Decimal
    started_at: dt.datetime
    ended_at: dt.datetime
    status: str
    record_id: int | None
    rating: int | None


@router.post("/orders/{order_id}/visits", response={201: VisitOut}, operation_id="social_visits_create",
             summary="Record a visit on an accepted order; it becomes a service record")
def visit_create(request, order_id: int, payload: VisitIn):
    order = selectors.order_get(actor=request.auth, pk=order_id)
    return 201, services.visit_record(actor=request.auth, order=order, **payload.dict())


class RatingIn(Schema):
    score: int = Field(description="1 to 5")
    comment: str = ""
    via: str = Field("village_worker", description="village_worker | resident")


@router.post("/visits/{visit_id}/rating", response=VisitOut, operation_id="social_visits_rate",
             summary="A resident's rating of a visit (by the village worker or the resident)")
def visit_rate(request, visit_id: int, payload: RatingIn):
    from .models import Visit

    visit = Visit.objects.filter(pk=visit_id).first()
    if visit is None:
        raise Forbidden(_("you may not rate this service"))
    return quality.service_rate(actor=request.auth, visit=visit, **payload.dict())


class SpendingOut(Schema):
    budget: Decimal
    settled: Decimal
    pending: Decimal
    left: Decimal


@router.get("/projects/{project_id}/spending", response=SpendingOut, operation_id="social_project_spending",
            summary="A project's spending against its budget now")
def spending(request, project_id: int):
    if not request.auth.has_perm_code("social.view"):
        raise Forbidden(_("your role may not do this"))
    return selectors.project_spending(selectors.project_get(actor=request.auth, pk=project_id))

"""Alerts API (/api/v1/alerts/): list, detail with signals in words, follow-up."""


import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from dajiuzhu.accounts.models import Department
from dajiuzhu.core.errors import DomainError, Forbidden

from . import services
from .selectors import AlertFilters, alert_get, alert_list, alert_signals_in_words

router = Router(tags=["alerts"])


def _require(request, code: str) -> None:
    if not request.auth.has_perm_code(code):
        raise Forbidden(_("your role may not do this"))


class AlertSignalOut(Schema):
    code: str
    label: str
    level: str
    text: str


class AlertOut(Schema):
    id: int
    household_id: int
    household_number: str = Field(alias="household.number")
    region_code: str
    on: dt.date
    level: str
    status: str
    stage: str
    risk_types: list[str]
    assigned_to_id: int | None
    due_on: dt.date
    signals: list[AlertSignalOut]

    @staticmethod
    def resolve_risk_types(obj) -> list[str]:
        return [c for c in obj.risk_types.split(",") if c]

    @staticmethod
    def resolve_signals(obj) -> list[dict]:
        return alert_signals_in_words(obj)


class AlertFollowUpOut(Schema):
    alert_id: int
    visited_on: dt.date
    outcome: str
    case_id: int | None
    department: str | None = Field(None, alias="department.code")
    organisation: str
    reason: str


class AlertDetailOut(AlertOut):
    follow_up: AlertFollowUpOut | None = None

    @staticmethod
    def resolve_follow_up(obj):
        return getattr(obj, "follow_up", None) if obj.status == "closed" else None


class AlertFilterQuery(Schema):
    mine: bool = False
    status: str = "open"
    level: str = ""
    risk_type: str = ""
    signal: str = ""
    region: str = ""
    overdue: bool = False


@router.get("/alerts", response=list[AlertOut], operation_id="alerts_list", summary="Alerts in the caller's area")
@paginate(PageNumberPagination)
def alerts(request, query: Query[AlertFilterQuery]):
    _require(request, "alerts.view")
    return alert_list(actor=request.auth, filters=AlertFilters(**query.dict()))


@router.get("/alerts/{alert_id}", response=AlertDetailOut, operation_id="alerts_get",
            summary="One alert with its signals in words and its follow-up")
def alert_detail(request, alert_id: int):
    _require(request, "alerts.view")
    return alert_get(actor=request.auth, pk=alert_id)


class AlertFollowUpIn(Schema):
    visited_on: dt.date
    outcome: str = Field(description="assisted | referred | no_need")
    case_id: int | None = Field(None, description="the application it led to (assisted)")
    department: str = Field("", description="department code (referred)")
    organisation: str = Field("", description="social organisation (referred)")
    reason: str = Field("", description="why there is no need (no_need)")
    notes: str = ""


@router.post("/alerts/{alert_id}/follow-up", response={201: AlertFollowUpOut}, operation_id="alerts_follow_up",
             summary="Record the home visit and its outcome; closes the alert")
def follow_up(request, alert_id: int, payload: AlertFollowUpIn):
    _require(request, "alerts.followup")
    alert = alert_get(actor=request.auth, pk=alert_id)
    department = None
    if payload.department:
        department = Department.objects.filter(code=payload.department).first()
        if department is None:
            raise DomainError(_("unknown department %(d)s") % {"d": payload.department}, field="department")
    data = payload.dict()
    data["department"] = department
    return 201, services.followup_record(actor=request.auth, alert=alert, **data)

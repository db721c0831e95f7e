"""Supervision API (/api/v1/supervision/): overdue steps, open steps, the evaluation, areas compared,
complaints (the resident pages' and staff systems' way in)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from dajiuzhu.core.errors import DomainError, Forbidden

from . import complaints, evaluation, selectors
from .models import Complaint

router = Router(tags=["supervision"])


def _require(request, code: str) -> None:
    if not request.auth.has_perm_code(code):
        raise Forbidden(_("your role may not do this"))


class SupervisionOverdueOut(Schema):
    case_number: str
    step: str
    region_code: str
    township_code: str
    handler: str | None = Field(None, alias="handler.display_name")
    due_on: dt.date
    found_on: dt.date
    warned_prefix: str


@router.get("/overdue", response=list[SupervisionOverdueOut], operation_id="supervision_overdue",
            summary="Open overdue steps in the caller's area")
def overdue(request, region: str = ""):
    _require(request, "supervision.view")
    prefix = selectors.region_for(actor=request.auth, code=region).prefix if region else ""
    return list(selectors.overdue_list(actor=request.auth, region_prefix=prefix)[:1000])


class SupervisionOpenStepOut(Schema):
    case_id: int
    number: str
    step: str
    due: dt.date
    days_left: int
    kind: str
    overdue: bool


@router.get("/steps", response=list[SupervisionOpenStepOut], operation_id="supervision_steps",
            summary="Open steps with a time limit and the working days left")
def steps(request):
    _require(request, "cases.view")
    return selectors.open_steps_for(actor=request.auth)[:1000]


class SupervisionRankOut(Schema):
    key: str
    name: str
    township: str
    rank: int
    score: float
    indicators: dict

    @staticmethod
    def resolve_indicators(obj) -> dict:
        return obj.figures["indicators"]


class SupervisionEvaluationOut(Schema):
    month: dt.date
    formula_version: int
    weights: dict
    townships: list[SupervisionRankOut]
    handlers: list[SupervisionRankOut]


def _month(value: str) -> dt.date:
    if not value:
        return timezone.localdate().replace(day=1)
    try:
        return dt.date.fromisoformat(value + "-01")
    except ValueError:
        raise DomainError(_("the month must be YYYY-MM"), field="month") from None


@router.get("/evaluation", response=SupervisionEvaluationOut, operation_id="supervision_evaluation",
            summary="The month's ranking of the townships and handlers of a region")
def evaluation_get(request, region: str = "", month: str = ""):
    _require(request, "supervision.view")
    place = selectors.region_for(actor=request.auth, code=region or request.auth.region_id)
    result = evaluation.evaluate_cached(region_prefix=place.prefix, month=_month(month))
    return {"month": result["month"], "formula_version": result["formula"].version,
            "weights": result["formula"].weights, "townships": result["townships"], "handlers": result["handlers"]}


class SupervisionAreaOut(Schema):
    code: str
    name: str
    overdue: int
    complaints: int
    complaints_open: int
    checks: int
    differences: int


@router.get("/regions/{code}/compare", response=list[SupervisionAreaOut], operation_id="supervision_compare",
            summary="The region's children compared (a city's counties, a county's townships)")
def compare(request, code: str):
    _require(request, "supervision.view")
    return selectors.compare_children(actor=request.auth, code=code)


class SupervisionComplaintIn(Schema):
    kind: str = Field(description="complaint | tip")
    text: str
    region_code: str = Field(description="village or township where it is lodged")
    case_number: str = ""
    anonymous: bool = True
    contact: str = ""


class SupervisionComplaintOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    due_on: dt.date


@router.post("/complaints", response={201: SupervisionComplaintOut}, operation_id="supervision_complaint_submit",
             summary="Record a complaint or tip (staff, or a resident about their own household's case)")
def complaint_create(request, payload: SupervisionComplaintIn):
    user = request.auth
    if user.role == "resident":
        channel = Complaint.Channel.PORTAL
    else:
        _require(request, "supervision.complaints")
        channel = Complaint.Channel.STAFF
    made = complaints.complaint_submit(actor=user, kind=payload.kind, text=payload.text,
                                       region_code=payload.region_code, channel=channel,
                                       case_number=payload.case_number, anonymous=payload.anonymous,
                                       contact=payload.contact)
    return 201, made

"""API of the credit record: list, detail, appeal."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema

from dajiuzhu.core import context
from dajiuzhu.core.errors import Forbidden
from dajiuzhu.core.ids import refuse_id_number_in_url

from . import selectors, services

router = Router(tags=["credit"])


class DishonestyRecordOut(Schema):
    id: int
    person_name: str
    person_id_masked: str
    household_id: int | None
    region_code: str
    reason: str
    source: str
    source_reference: str
    evidence_report_id: int | None
    case_id: int | None
    start: dt.date
    expiry: dt.date
    status: str
    proposed_on: dt.date | None
    answer_due: dt.date | None
    answered_on: dt.date | None
    answer: str
    considered_on: dt.date | None
    consideration: str


class CreditAppealIn(Schema):
    grounds: str


class CreditAppealOut(Schema):
    id: int
    record_id: int
    filed_on: dt.date
    status: str


def _out(record) -> DishonestyRecordOut:
    return DishonestyRecordOut(id=record.pk, person_name=record.person.name, person_id_masked=record.person.id_masked,
                     household_id=record.household_id, region_code=record.region_code, reason=record.reason,
                     source=record.source, source_reference=record.source_reference,
                     evidence_report_id=record.evidence_report_id, case_id=record.case_id, start=record.start,
                     expiry=record.expiry, status=record.status, proposed_on=record.proposed_on,
                     answer_due=record.answer_due, answered_on=record.answered_on, answer=record.answer,
                     considered_on=record.considered_on, consideration=record.consideration)


class CreditSearchIn(Schema):
    q: str = Field("", max_length=100, description="name, household number, reference or a full ID number")
    status: str = ""
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


@router.get("/records", response=list[DishonestyRecordOut], operation_id="credit_record_list")
def record_list(request, q: str = Query("", max_length=100), status: str = "",
                limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=10_000_000)):
    """Records of the caller's jurisdiction. An ID number in ``q`` is refused (422): use ``POST /records/search``."""
    refuse_id_number_in_url(q)
    return _records(request, CreditSearchIn(q=q, status=status, limit=limit, offset=offset))


@router.post("/records/search", response=list[DishonestyRecordOut], operation_id="credit_record_search")
def record_search(request, payload: CreditSearchIn):
    """The record list with the search in the body: the way to search by a full ID number."""
    return _records(request, payload)


def _records(request, search: CreditSearchIn):
    if not request.user.has_perm_code("credit.view"):
        raise Forbidden("credit.view required")
    rows = selectors.record_list(actor=request.user, q=search.q, status=search.status)
    return [_out(r) for r in rows[search.offset:search.offset + search.limit]]


@router.get("/records/{record_id}", response=DishonestyRecordOut, operation_id="credit_record_get")
def record_get(request, record_id: int):
    return _out(selectors.record_get(actor=request.user, pk=record_id))


@router.post("/records/{record_id}/appeal", response={201: CreditAppealOut}, operation_id="credit_record_appeal")
def record_appeal(request, record_id: int, payload: CreditAppealIn):
    record = selectors.record_get(actor=request.user, pk=record_id)
    with context.source("api"):
        appeal = services.appeal_file(actor=request.user, record=record, grounds=payload.grounds)
    return 201, CreditAppealOut(id=appeal.pk, record_id=record.pk, filed_on=appeal.filed_on, status=appeal.status)


class CreditAnswerIn(Schema):
    answer: str
    answered_on: dt.date | None = None


class CreditDecisionIn(Schema):
    list_person: bool = Field(description="true: the listing takes effect today; false: the proposal is withdrawn")
    consideration: str = Field("", description="how the family's answer was considered (required after an answer)")


@router.post("/records/{record_id}/answer", response=DishonestyRecordOut, operation_id="credit_record_answer")
def record_answer(request, record_id: int, payload: CreditAnswerIn):
    """陈述申辩: the family's statement on a proposed listing, recorded by a worker of their region."""
    record = selectors.record_get(actor=request.user, pk=record_id)
    with context.source("api"):
        record = services.dishonesty_record_answer(actor=request.user, record=record, answer=payload.answer,
                                                   answered_on=payload.answered_on)
    return _out(record)


@router.post("/records/{record_id}/decision", response=DishonestyRecordOut, operation_id="credit_record_decide")
def record_decide(request, record_id: int, payload: CreditDecisionIn):
    """After the hearing: the listing takes effect, or is withdrawn. Refused (409) during the answer period."""
    record = selectors.record_get(actor=request.user, pk=record_id)
    with context.source("api"):
        record = services.dishonesty_record_decide(actor=request.user, record=record, list_person=payload.list_person,
                                                   consideration=payload.consideration)
    return _out(record)


__all__ = ["router", "PermissionDenied"]

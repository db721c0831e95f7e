"""API of the credit record: list, detail, appeal."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema

from dajiuzhu.core import context
from dajiuzhu.core.errors import Forbidden

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
                     expiry=record.expiry, status=record.status)


@router.get("/records", response=list[DishonestyRecordOut], operation_id="credit_record_list")
def record_list(request, q: str = "", status: str = "", limit: int = 100, offset: int = 0):
    if not request.user.has_perm_code("credit.view"):
        raise Forbidden("credit.view required")
    limit = max(1, min(limit, 500))
    return [_out(r) for r in selectors.record_list(actor=request.user, q=q, status=status)[offset:offset + limit]]


@router.get("/records/{record_id}", response=DishonestyRecordOut, operation_id="credit_record_get")
def record_get(request, record_id: int):
    return _out(selectors.record_get(actor=request.user, pk=record_id))


@router.post("/records/{record_id}/appeal", response={201: CreditAppealOut}, operation_id="credit_record_appeal")
def record_appeal(request, record_id: int, payload: CreditAppealIn):
    record = selectors.record_get(actor=request.user, pk=record_id)
    with context.source("api"):
        appeal = services.appeal_file(actor=request.user, record=record, grounds=payload.grounds)
    return 201, CreditAppealOut(id=appeal.pk, record_id=record.pk, filed_on=appeal.filed_on, status=appeal.status)


__all__ = ["router", "PermissionDenied"]

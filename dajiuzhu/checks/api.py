"""API of the checks app: deliveries (department token), delivery status, verification reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from dajiuzhu.core import context
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import Forbidden
from dajiuzhu.credit.selectors import joint_party, joint_restrictions

from . import selectors
from .delivery import delivery_receive
from .models import Channel

router = Router(tags=["checks"])


class DepartmentDeliveryIn(Schema):
    data_type: str
    records: list[dict[str, Any]]


class DeliveryRowError(Schema):
    row: int
    field: str
    reason: str


class DepartmentDeliveryOut(Schema):
    id: int
    department: str
    data_type: str
    channel: str
    received_at: dt.datetime
    described_from: dt.date | None
    described_to: dt.date | None
    rows: int
    created: int
    updated: int
    unchanged: int
    matched: int
    unmatched: int
    invalid: int
    errors: list[DeliveryRowError]


class VerificationItemOut(Schema):
    check: str
    person_name: str
    source: str
    described_on: dt.date | None
    value_found: str
    value_declared: str
    difference: str
    discrepancy: bool
    affects: str


class VerificationReportOut(Schema):
    id: int
    household_id: int
    case_id: int | None
    region_code: str
    kind: str
    as_of: dt.date
    outcome: str
    status: str
    discrepancies: int
    changes_eligibility: bool
    changes_amount: bool
    evaluated: bool
    evaluations: list[dict[str, Any]]
    decision: str
    dishonesty_record_id: int | None
    items: list[VerificationItemOut]
    supporters: list[dict[str, Any]] = Field(default_factory=list, description=(
        "the applicant's legal supporters (赡养/抚养/扶养义务人) on the report's date: name, relation, in_registry, "
        "lives_in, age, able, per_capita_income, reasons"))


def _delivery_out(delivery) -> DepartmentDeliveryOut:
    return DepartmentDeliveryOut(
        id=delivery.pk, department=delivery.department.code, data_type=delivery.data_type, channel=delivery.channel,
        received_at=delivery.received_at, described_from=delivery.described_from, described_to=delivery.described_to,
        rows=delivery.rows, created=delivery.created, updated=delivery.updated, unchanged=delivery.unchanged,
        matched=delivery.matched, unmatched=delivery.unmatched, invalid=delivery.invalid,
        errors=[DeliveryRowError(row=int(e.get("row", 0)), field=str(e.get("field", "")), reason=str(e.get("reason", "")))
                for e in delivery.errors[:200]],
    )


@router.post("/deliveries", response={201: DepartmentDeliveryOut}, operation_id="checks_delivery_create")
def delivery_create(request, payload: DepartmentDeliveryIn):
    """Deliver records of one data type (the department's system, with its department token)."""
    with context.source("api"):
        delivery = delivery_receive(actor=request.user, data_type=payload.data_type, rows=payload.records,
                                    channel=Channel.API)
    return 201, _delivery_out(delivery)


@router.get("/deliveries", response=list[DepartmentDeliveryOut], operation_id="checks_delivery_list")
def delivery_list(request, limit: int = 50, offset: int = 0):
    limit = max(1, min(limit, 200))
    return [_delivery_out(d) for d in selectors.delivery_list(actor=request.user)[offset:offset + limit]]


@router.get("/deliveries/{delivery_id}", response=DepartmentDeliveryOut, operation_id="checks_delivery_get")
def delivery_get(request, delivery_id: int):
    """The status of a delivery: counts, refused rows, people not matched."""
    return _delivery_out(selectors.delivery_get(actor=request.user, pk=delivery_id))


@router.get("/reports/{report_id}", response=VerificationReportOut, operation_id="checks_report_get")
def report_get(request, report_id: int):
    report = selectors.report_get(actor=request.user, pk=report_id)
    return VerificationReportOut(
        id=report.pk, household_id=report.household_id, case_id=report.case_id, region_code=report.region_code,
        kind=report.kind, as_of=report.as_of, outcome=report.outcome, status=report.status,
        discrepancies=report.discrepancies, changes_eligibility=report.changes_eligibility,
        changes_amount=report.changes_amount, evaluated=report.evaluated, evaluations=report.evaluations,
        decision=report.decision, dishonesty_record_id=report.dishonesty_record_id,
        items=[VerificationItemOut(check=i.check_code, person_name=i.person_name, source=i.source, described_on=i.described_on,
                       value_found=i.value_found, value_declared=i.value_declared, difference=i.difference,
                       discrepancy=i.discrepancy, affects=i.affects) for i in report.all_lines()],
        supporters=selectors.report_supporters(report),
    )


# ---------------------------------------------------------------- joint restriction (联合惩戒)


class JointRestrictionOut(Schema):
    record_id: int
    id_number: str = Field(description="the listed person's full ID number, so the department can match its own "
                                       "records (sent only to a participating department, each fetch audited)")
    name: str
    reason: str
    in_force: bool = Field(description="true while the restriction applies; false once lifted or expired")
    status: str
    start: dt.date
    expiry: dt.date
    ended_on: dt.date | None
    changed_at: dt.datetime


@router.get("/restrictions", response=list[JointRestrictionOut], operation_id="checks_joint_restrictions")
def joint_restrictions_list(request, since: dt.datetime | None = None, limit: int = 500, offset: int = 0):
    """The dishonesty records a participating department applies (联合惩戒), changed since ``since``: records that
    took effect and, with ``in_force`` false, those lifted or expired since. Fetch with the time of the last
    fetch to get the changes only. A department that does not take part is refused (403)."""
    if not request.user.has_perm_code("checks.deliver") or joint_party(actor=request.user) is None:
        raise Forbidden(_("your department does not take part in the joint restriction"))
    limit = max(1, min(limit, 2000))
    today = timezone.localdate()
    rows = list(joint_restrictions(actor=request.user, since=since)[offset:offset + limit])
    audit_record(actor=request.user, action="credit.joint_restrictions.fetch", object_type="credit.dishonestyrecord",
                 region_code=request.user.region_id, new={"since": since, "count": len(rows),
                                                          "records": [r.pk for r in rows][:1000]})
    return [JointRestrictionOut(record_id=r.pk, id_number=r.person.id_number, name=r.person.name,
                                reason=r.get_reason_display(), in_force=r.is_in_force(today), status=r.status,
                                start=r.start, expiry=r.expiry, ended_on=r.ended_on, changed_at=r.updated_at)
            for r in rows]

"""The results API: records, departments' deliveries (bearer token), payment batches, the report."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile

from dajiuzhu.core.api import CoreJobOut
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.intake import cell_problem
from dajiuzhu.core.scoping import get_scoped
from dajiuzhu.core.uploads import upload_job_enqueue

from . import jobs, payments, reports, selectors, services, xlsx
from .models import Kind, Source

router = Router(tags=["results"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BINARY = {"type": "string", "format": "binary"}


class ResultsRecordOut(Schema):
    id: int
    household_id: int
    household_number: str
    person_id: int | None
    region_code: str
    item_code: str
    item_name: str
    category: str
    tier: str
    kind: str
    amount: Decimal
    quantity: Decimal | None
    unit: str
    goods: str
    service_kind: str
    service_hours: Decimal | None
    provider: str
    department: str | None
    organisation: str
    persons: int
    period_start: dt.date | None
    period_end: dt.date | None
    given_on: dt.date
    case_id: int | None
    source: str
    status: str

    @staticmethod
    def resolve_household_number(obj) -> str:
        return obj.household.number

    @staticmethod
    def resolve_department(obj) -> str | None:
        return obj.department.code if obj.department_id else None

    @staticmethod
    def resolve_case_id(obj) -> int | None:
        return obj.case_id_ref


class ResultsRecordPage(Schema):
    count: int
    items: list[ResultsRecordOut]


class ResultsRecordIn(Schema):
    household_id: int
    person_id: int | None = None
    item_code: str
    item_name: str = ""
    category: str = ""
    kind: str = Kind.CASH
    amount: Decimal = Decimal("0")
    quantity: Decimal | None = None
    unit: str = ""
    goods: str = ""
    service_kind: str = ""
    service_hours: Decimal | None = None
    provider: str = ""
    persons: int = 1
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    given_on: dt.date
    note: str = ""


class ResultsDeliveryIn(Schema):
    """Rows with the delivery columns (English or Chinese names, see ``docs/payments.md``)."""

    rows: list[dict[str, Any]]
    filename: str = ""


class ResultsKeptRow(Schema):
    line: int
    id_masked: str
    name: str
    reason: str


class ResultsDeliveryOut(Schema):
    """A department or organisation is answered uniformly: ``accepted`` rows and the rows refused for their
    values; ``created`` and ``duplicates`` (which tell who is in the registry) only to staff."""

    id: int
    rows: int
    accepted: int
    created: int | None = None
    duplicates: int | None = None
    kept_aside: list[ResultsKeptRow]


class ResultsBatchIn(Schema):
    month: str  # YYYY-MM
    region_code: str


class ResultsLineExcludeIn(Schema):
    line: int
    reason: str


class ResultsBatchOut(Schema):
    id: int
    number: str
    month: dt.date
    region_code: str
    status: str
    line_count: int
    total_amount: Decimal
    paid_count: int
    failed_count: int
    generated_by: str
    approved_by: str | None
    check_report: dict[str, Any]

    @staticmethod
    def resolve_generated_by(obj) -> str:
        return obj.generated_by.get_username()

    @staticmethod
    def resolve_approved_by(obj) -> str | None:
        return obj.approved_by.get_username() if obj.approved_by_id else None


class ResultsLineOut(Schema):
    line_no: int
    household_id: int
    payee_name: str
    region_code: str
    item_code: str
    gross_amount: Decimal
    deduction: Decimal
    amount: Decimal
    status: str
    failure_reason: str


class ResultsBatchDetailOut(ResultsBatchOut):
    lines: list[ResultsLineOut]

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.order_by("line_no"))


class ResultsHistoryOut(Schema):
    household_id: int
    household_number: str
    total_amount: Decimal
    records: list[ResultsRecordOut]


def _actor(request):
    return request.auth


@router.get("/records", response=ResultsRecordPage, operation_id="results_record_list",
            summary="Assistance records in the jurisdiction (filters: region, item, source, kind, month)")
def record_list(request, region: str = "", item: str = "", source: str = "", kind: str = "", month: str = "",
                household: int | None = None, limit: int = 100, offset: int = 0):
    qs = selectors.record_list(actor=_actor(request), filters=selectors.RecordFilters(
        region=region, item=item, source=source, kind=kind, month=month, household=household))
    limit = max(1, min(limit, 1000))
    return {"count": qs.count(), "items": list(qs[offset:offset + limit])}


@router.post("/records", response={201: ResultsRecordOut}, operation_id="results_record_create",
             summary="Record one assistance given (a worker's entry)")
def record_create(request, payload: ResultsRecordIn):
    from dajiuzhu.registry.models import Household, Person

    actor = _actor(request)
    if not actor.has_perm_code("results.record"):
        raise Forbidden("you may not record assistance")
    # A household outside the jurisdiction is indistinguishable from one that does not exist.
    household = get_scoped(Household.objects.all(), actor, perm="results.record", pk=payload.household_id)
    person = Person.objects.filter(pk=payload.person_id).first() if payload.person_id else None
    data = services.RecordInput(**payload.dict(exclude={"household_id", "person_id"}))
    record, _created = services.assistance_record_create(actor=actor, household=household, person=person, data=data,
                                                         source=Source.MANUAL)
    return 201, record


@router.post("/deliveries", response={201: ResultsDeliveryOut}, operation_id="results_delivery_create",
             summary="A department's or social organisation's assistance records (bearer token)")
def delivery_create(request, payload: ResultsDeliveryIn):
    rows = []
    for row in payload.rows:
        clean = {services.canonical_header([k])[0]: v for k, v in row.items()}
        problems = [f"{k}: {p}" for k, v in clean.items() if (p := cell_problem(v))]
        if problems:
            clean["_problem"] = "; ".join(problems)
        rows.append(clean)
    result = services.delivery_receive(actor=_actor(request), rows=rows, filename=payload.filename, first_line=1)
    if services.may_see_matching(request.auth):
        return 201, {"id": result.delivery.pk, "rows": result.delivery.rows, "accepted": result.accepted,
                     "created": result.created, "duplicates": result.duplicates, "kept_aside": result.kept_aside}
    return 201, {"id": result.delivery.pk, "rows": result.delivery.rows, "accepted": result.accepted,
                 "kept_aside": result.invalid}


@router.get("/batches", response=list[ResultsBatchOut], operation_id="results_batch_list", summary="Payment batches")
def batch_list(request):
    return list(selectors.batch_list(actor=_actor(request))[:200])


@router.post("/batches", response={201: ResultsBatchOut}, operation_id="results_batch_generate",
             summary="Generate the month's payment batch from the cases in force")
def batch_generate(request, payload: ResultsBatchIn):
    try:
        month = dt.date.fromisoformat(payload.month + "-01")
    except ValueError:
        raise DomainError("give the month as YYYY-MM", field="month") from None
    return 201, payments.payment_batch_generate(actor=_actor(request), month=month, region_code=payload.region_code)


@router.get("/batches/{batch_id}", response=ResultsBatchDetailOut, operation_id="results_batch_get",
            summary="A payment batch with its lines")
def batch_get(request, batch_id: int):
    return selectors.batch_get(actor=_actor(request), pk=batch_id)


@router.post("/batches/{batch_id}/check", response=ResultsBatchOut, operation_id="results_batch_check",
             summary="Check a batch: totals and every failure by line")
def batch_check(request, batch_id: int):
    return payments.payment_batch_check(actor=_actor(request), batch=selectors.batch_get(actor=_actor(request),
                                                                                          pk=batch_id))


@router.post("/batches/{batch_id}/exclude", response=ResultsBatchOut, operation_id="results_batch_exclude_line",
             summary="Take a line out of a batch before approval")
def batch_exclude(request, batch_id: int, payload: ResultsLineExcludeIn):
    batch = selectors.batch_get(actor=_actor(request), pk=batch_id)
    line = batch.lines.filter(line_no=payload.line).first()
    if line is None:
        raise Http404
    payments.payment_line_exclude(actor=_actor(request), line=line, reason=payload.reason)
    batch.refresh_from_db()
    return batch


@router.post("/batches/{batch_id}/approve", response=ResultsBatchOut, operation_id="results_batch_approve",
             summary="Approve a checked batch (a second person)")
def batch_approve(request, batch_id: int):
    return payments.payment_batch_approve(actor=_actor(request), batch=selectors.batch_get(actor=_actor(request),
                                                                                            pk=batch_id))


@router.post("/batches/{batch_id}/bank-file", response={200: None}, operation_id="results_batch_bank_file",
             summary="Export the bank file (CSV, GBK or UTF-8) of an approved batch",
             openapi_extra={"responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": BINARY}}}}})
def batch_bank_file(request, batch_id: int, encoding: str = Query("gbk", pattern="^(gbk|utf-8)$")):
    """A POST: exporting changes the batch (it is marked exported, with the file's digest, and audited)."""
    batch = selectors.batch_get(actor=_actor(request), pk=batch_id)
    content = payments.payment_batch_export(actor=_actor(request), batch=batch, encoding=encoding)
    response = HttpResponse(content, content_type=f"text/csv; charset={'utf-8' if encoding == 'utf-8' else 'gbk'}")
    response["Content-Disposition"] = f'attachment; filename="{batch.number}.csv"'
    return response


@router.post("/batches/{batch_id}/return-file", response={202: CoreJobOut}, operation_id="results_batch_reconcile",
             summary="Hand the bank's return file to a job that reconciles the batch (refused whole when it does not "
                     "match); its outcome: GET /api/v1/core/jobs/{id}")
def batch_reconcile(request, batch_id: int, file: UploadedFile = File(...)):  # noqa: B008 - django-ninja's way
    """The file is kept sealed and read by the job, never in this request (#14): the job's ``result`` has the
    paid and failed counts, or ``refused`` with the reason."""
    batch = selectors.batch_get(actor=_actor(request), pk=batch_id)
    job = upload_job_enqueue(file, kind=jobs.RECONCILE, actor=_actor(request),
                             title=_("Bank return file of batch %(number)s") % {"number": batch.number},
                             params={"batch_id": batch.pk}, region_code=batch.region_code)
    return 202, job


@router.get("/report/monthly", response={200: None}, operation_id="results_monthly_report",
            summary="The monthly 民政统计报表 as XLSX",
            openapi_extra={"responses": {"200": {"description": "XLSX", "content": {XLSX: {"schema": BINARY}}}}})
def monthly_report(request, region: str, month: str):
    try:
        report = reports.monthly_report(actor=_actor(request), region_code=region, month=month)
    except ValueError:
        raise DomainError("give the month as YYYY-MM", field="month") from None
    response = HttpResponse(xlsx.report_to_xlsx(report), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="minzheng-report-{region}-{month}.xlsx"'
    return response


@router.get("/households/{household_id}/history", response=ResultsHistoryOut, operation_id="results_household_history",
            summary="Everything given to one household")
def household_history(request, household_id: int):
    history = selectors.household_history(actor=_actor(request), household_id=household_id)
    household = history["household"]
    return {"household_id": household.pk, "household_number": household.number,
            "total_amount": history["total_amount"], "records": history["records"]}

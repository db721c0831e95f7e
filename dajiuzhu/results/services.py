"""Writes to the results database: one assistance record at a time, or a department's delivery.

Every assistance given enters the database (凡救助必入库), and only for a household that is in
the registry. Each source is idempotent through ``dedupe_key``: a signal delivered twice, a
payment line reconciled twice or a delivery file uploaded twice creates one record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core import crypto
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.ids import InvalidIdNumber, mask_id_number, parse_id_number
from dajiuzhu.core.money import money
from dajiuzhu.core.normalise import clean_text, parse_date, parse_decimal
from dajiuzhu.core.scoping import region_in_scope

from . import items as item_catalogue
from .models import AssistanceRecord, Category, Delivery, DeliveryRow, Kind, RecordStatus, Source


@dataclasses.dataclass
class RecordInput:
    """What one assistance record says; shared by forms, the API, files and signals."""

    item_code: str
    given_on: dt.date
    kind: str = Kind.CASH
    amount: Decimal = Decimal("0")
    item_name: str = ""
    category: str = ""
    tier: str = ""
    quantity: Decimal | None = None
    unit: str = ""
    goods: str = ""
    service_kind: str = ""
    service_hours: Decimal | None = None
    provider: str = ""
    persons: int = 1
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    external_ref: str = ""
    note: str = ""


def validate_record_input(data: RecordInput) -> None:
    """The rules every record obeys, whatever its source; raise ``DomainError`` naming the field."""
    if not data.item_code:
        raise DomainError(_("the item is missing"), field="item_code")
    if data.kind not in Kind.values:
        raise DomainError(_("unknown kind %(kind)s (cash, goods or service)") % {"kind": data.kind}, field="kind")
    if data.amount is None or data.amount < 0:
        raise DomainError(_("the amount must not be negative"), field="amount")
    if data.kind == Kind.CASH and data.amount <= 0:
        raise DomainError(_("a cash record needs an amount above zero"), field="amount")
    if data.kind == Kind.GOODS and not (data.goods and data.quantity):
        raise DomainError(_("a goods record needs what was given and the quantity"), field="goods")
    if data.kind == Kind.SERVICE and not data.service_kind:
        raise DomainError(_("a service record needs the kind of service"), field="service_kind")
    if data.service_hours is not None and data.service_hours < 0:
        raise DomainError(_("service hours must not be negative"), field="service_hours")
    if data.period_start and data.period_end and data.period_end < data.period_start:
        raise DomainError(_("the period ends before it starts"), field="period_end")
    if data.given_on > timezone.localdate() + dt.timedelta(days=31):
        raise DomainError(_("the date given lies in the future"), field="given_on")


def _record_from(*, household, person, data: RecordInput, source: str, dedupe_key: str, actor, department=None,
                 organisation: str = "", case_id: int | None = None, case_item_id: int | None = None,
                 payment_line=None) -> AssistanceRecord:
    known = item_catalogue.describe(data.item_code)
    return AssistanceRecord(
        household=household, person=person, region_code=household.region_code, is_urban=household.is_urban,
        item_code=data.item_code, item_name=data.item_name or known.name or data.item_code,
        category=data.category or known.category or Category.OTHER, tier=data.tier or known.tier,
        department=department, organisation=organisation, kind=data.kind, amount=money(data.amount),
        quantity=data.quantity, unit=data.unit, goods=data.goods, service_kind=data.service_kind,
        service_hours=data.service_hours, provider=data.provider or organisation, persons=max(1, data.persons or 1),
        period_start=data.period_start, period_end=data.period_end, given_on=data.given_on,
        case_id_ref=case_id, case_item_ref=case_item_id, payment_line=payment_line, source=source,
        external_ref=data.external_ref, dedupe_key=dedupe_key, note=data.note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _snapshot(record: AssistanceRecord) -> dict:
    return {"household": record.household_id, "item": record.item_code, "kind": record.kind,
            "amount": record.amount, "given_on": record.given_on, "source": record.source,
            "service_kind": record.service_kind, "service_hours": record.service_hours}


@transaction.atomic
def assistance_record_create(*, actor, household, data: RecordInput, source: str = Source.MANUAL, person=None,
                             department=None, organisation: str = "", case_id: int | None = None,
                             case_item_id: int | None = None, payment_line=None,
                             dedupe_key: str = "") -> tuple[AssistanceRecord, bool]:
    """Record one assistance given; returns ``(record, created)`` (an existing one on a repeat)."""
    if household is None:
        raise DomainError(_("no record without a household in the registry"), field="household")
    if person is not None and person.household_id != household.pk:
        raise DomainError(_("the member is not in this household"), field="person")
    validate_record_input(data)
    if source == Source.MANUAL and not region_in_scope(actor, household.region_code, perm="results.record"):
        raise Forbidden(_("you may not record assistance for this household"))
    # Without a key from the source (a case item, a payment line, a delivered reference), every
    # entry is a new record: a worker may give the same thing twice.
    dedupe_key = dedupe_key or f"{source}:{uuid.uuid4().hex}"
    existing = AssistanceRecord.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    record = _record_from(household=household, person=person, data=data, source=source, dedupe_key=dedupe_key,
                          actor=actor, department=department, organisation=organisation, case_id=case_id,
                          case_item_id=case_item_id, payment_line=payment_line)
    record.save(force_insert=True)
    audit_record(actor=actor, action="assistance.record", obj=record, new=_snapshot(record))
    return record, True


@transaction.atomic
def assistance_record_cancel(*, actor, record: AssistanceRecord, reason: str) -> AssistanceRecord:
    """Cancel a record entered in error (it stays, marked cancelled, and leaves the figures)."""
    if not region_in_scope(actor, record.region_code, perm="results.record"):
        raise Forbidden(_("you may not change this record"))
    if not reason.strip():
        raise DomainError(_("give the reason for the cancellation"), field="reason")
    record = AssistanceRecord.objects.select_for_update().get(pk=record.pk)
    if record.status == RecordStatus.CANCELLED:
        raise DomainError(_("the record is already cancelled"))
    record.status = RecordStatus.CANCELLED
    record.note = reason[:200]
    record.save(update_fields=["status", "note"])
    audit_record(actor=actor, action="assistance.cancel", obj=record, old={"status": RecordStatus.GIVEN},
                 new={"status": RecordStatus.CANCELLED, "reason": reason})
    return record


# ---------------------------------------------------------------------------------------------
# Deliveries: a department's (or a social organisation's) rows through the intake pipeline.

DELIVERY_COLUMNS = {
    # canonical name: accepted headers (English and Chinese)
    "id_number": ("id_number", "身份证号", "身份证号码", "公民身份号码"),
    "name": ("name", "姓名"),
    "item_code": ("item_code", "事项代码", "救助事项代码"),
    "item_name": ("item_name", "事项名称", "救助事项", "救助项目"),
    "category": ("category", "类别", "救助类别"),
    "kind": ("kind", "形式", "救助形式"),
    "amount": ("amount", "金额", "救助金额", "价值"),
    "quantity": ("quantity", "数量"),
    "unit": ("unit", "单位"),
    "goods": ("goods", "物资", "物资名称"),
    "service_kind": ("service_kind", "服务类型", "服务内容"),
    "service_hours": ("service_hours", "服务时长", "服务小时"),
    "provider": ("provider", "服务提供方", "提供方"),
    "given_on": ("given_on", "日期", "发放日期", "救助日期", "服务日期"),
    "period_start": ("period_start", "起始日期", "期间起"),
    "period_end": ("period_end", "截止日期", "期间止"),
    "reference": ("reference", "业务编号", "编号", "流水号"),
}
KIND_WORDS = {"现金": Kind.CASH, "资金": Kind.CASH, "cash": Kind.CASH, "实物": Kind.GOODS, "物资": Kind.GOODS,
              "goods": Kind.GOODS, "服务": Kind.SERVICE, "service": Kind.SERVICE}


def canonical_header(header: Iterable[object]) -> list[str]:
    lookup = {alias.lower(): name for name, aliases in DELIVERY_COLUMNS.items() for alias in aliases}
    return [lookup.get(clean_text(h).lower(), clean_text(h).lower()) for h in header]


@dataclasses.dataclass
class DeliveryResult:
    delivery: Delivery
    created: int
    duplicates: int
    kept_aside: list[dict]

    @property
    def invalid(self) -> list[dict]:
        """Rows refused for their values: the only rows a deliverer is told about one by one."""
        return [k for k in self.kept_aside if not k.get("unmatched")]

    @property
    def accepted(self) -> int:
        """Rows with valid values, whether they matched a household or were kept aside for matching."""
        return self.delivery.rows - len(self.invalid)


def may_see_matching(actor) -> bool:
    """Whether a delivery's answer may say which rows matched a household (staff with the registry's reach).

    A department or organisation is answered uniformly: a row for someone unknown, someone outside its
    jurisdiction and someone recorded all read "accepted", so deliveries are no oracle of who is in the
    registry (security finding 9)."""
    return actor.has_perm_code("results.view") or actor.has_perm_code("results.record")


class RowProblem(ValueError):
    pass


def _parse_row(row: Mapping[str, object], *, default_kind: str) -> tuple[str, str, RecordInput]:
    try:
        number = parse_id_number(row.get("id_number")).number
    except InvalidIdNumber as exc:
        raise RowProblem(str(exc)) from None
    try:
        kind_raw = clean_text(row.get("kind")).lower()
        kind = KIND_WORDS.get(kind_raw, kind_raw) or default_kind
        given_on = parse_date(row.get("given_on"))
        if given_on is None:
            raise RowProblem(_("the date is missing"))
        data = RecordInput(
            item_code=clean_text(row.get("item_code")) or clean_text(row.get("item_name")),
            item_name=clean_text(row.get("item_name")), category=clean_text(row.get("category")).lower(),
            kind=kind, amount=parse_decimal(row.get("amount")) or Decimal("0"),
            quantity=parse_decimal(row.get("quantity")), unit=clean_text(row.get("unit")),
            goods=clean_text(row.get("goods")), service_kind=clean_text(row.get("service_kind")),
            service_hours=parse_decimal(row.get("service_hours")), provider=clean_text(row.get("provider")),
            given_on=given_on, period_start=parse_date(row.get("period_start")),
            period_end=parse_date(row.get("period_end")), external_ref=clean_text(row.get("reference"))[:80],
        )
    except ValueError as exc:
        raise RowProblem(str(exc)) from None
    if data.category and data.category not in Category.values:
        data.category = ""
    try:
        validate_record_input(data)
    except DomainError as exc:
        raise RowProblem(exc.message) from None
    return number, clean_text(row.get("name")), data


@transaction.atomic
def delivery_receive(*, actor, rows: Iterable[Mapping[str, object]], filename: str = "", content: bytes = b"",
                     first_line: int = 2, sha256: str = "") -> DeliveryResult:
    """A department's or social organisation's records: each row becomes a record of a household
    in the registry; a row for someone not in the registry (or with bad values) is kept aside
    with its reason and reported — never a record without a household."""
    from dajiuzhu.registry.models import Person

    if not (actor.has_perm_code("results.deliver") or actor.has_perm_code("results.record")):
        raise Forbidden(_("you may not deliver assistance records"))
    is_org = actor.role == "social_org"
    source = Source.SOCIAL_ORG if is_org else Source.DEPARTMENT
    department = None if is_org else actor.department
    organisation = (actor.organisation or actor.display_name) if is_org else ""
    sender = organisation if is_org else (department.code if department else f"user{actor.pk}")
    delivery = Delivery.objects.create(department=department, organisation=organisation, source=source,
                                       filename=filename[:200], sha256=sha256 or hashlib.sha256(content).hexdigest(),
                                       delivered_by=actor)
    parsed: list[tuple[int, str, str, RecordInput]] = []
    kept: list[dict] = []
    for offset, row in enumerate(rows):
        line = int(row.get("_line") or first_line + offset)
        if not any(clean_text(v) for k, v in row.items() if not k.startswith("_")):
            continue
        try:
            if row.get("_problem"):
                raise RowProblem(str(row["_problem"]))
            number, name, data = _parse_row(row, default_kind=Kind.SERVICE if is_org else Kind.CASH)
        except RowProblem as exc:
            kept.append({"line": line, "id_masked": mask_id_number(clean_text(row.get("id_number")))[:18],
                         "name": clean_text(row.get("name"))[:60], "reason": str(exc)})
            continue
        parsed.append((line, number, name, data))
    hashes = {crypto.blind_index(number) for _line, number, _name, _data in parsed}
    people = {p.id_hash: p for p in Person.objects.filter(id_hash__in=hashes).select_related("household")}
    created = duplicates = 0
    for line, number, name, data in parsed:
        person = people.get(crypto.blind_index(number))
        if person is None or person.household is None or not region_in_scope(actor, person.household.region_code):
            # One reason for both (unknown, or outside the jurisdiction): kept aside with the blind index so that
            # staff can match it later, and never told apart to the deliverer.
            kept.append({"line": line, "id_masked": mask_id_number(number), "name": name[:60], "unmatched": True,
                         "id_hash": crypto.blind_index(number),
                         "reason": _("kept aside: not matched to a household of your jurisdiction")})
            continue
        ref = data.external_ref or hashlib.sha256(
            repr((number, dataclasses.astuple(data))).encode()).hexdigest()[:32]
        _record, was_created = assistance_record_create(
            actor=actor, household=person.household, person=person, data=data, source=source, department=department,
            organisation=organisation, dedupe_key=f"{source}:{sender}:{ref}"[:120],
        )
        created += was_created
        duplicates += not was_created
    DeliveryRow.objects.bulk_create([
        DeliveryRow(delivery=delivery, line=k["line"], id_masked=k["id_masked"], name=k["name"],
                    reason=k["reason"][:300],
                    data={"unmatched": True, "id_hash": k["id_hash"]} if k.get("unmatched") else {}) for k in kept
    ])
    delivery.rows = created + duplicates + len(kept)
    delivery.created, delivery.duplicates, delivery.kept_aside = created, duplicates, len(kept)
    delivery.save(update_fields=["rows", "created", "duplicates", "kept_aside"])
    audit_record(actor=actor, action="assistance.delivery", obj=delivery, region_code=actor.region_id,
                 new={"file": filename, "sha256": delivery.sha256, "rows": delivery.rows, "created": created,
                      "duplicates": duplicates, "kept_aside": len(kept)})
    return DeliveryResult(delivery=delivery, created=created, duplicates=duplicates, kept_aside=kept)

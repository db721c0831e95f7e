"""Receiving department data: refuse what is not the department's, store the rest idempotently.

``delivery_receive`` is the one entry of both channels (file upload and API). A data type the
department does not own, a date in the future, a delivery identical to an earlier one, or a
delivery without one usable row is refused as a whole: nothing is written, and the refusal
is audited. Otherwise every valid row is stored (a row already delivered with the same
values is left as it is; with other values it is corrected in place), people are matched
by the blind index of their ID number, and people not in the registry are kept aside for
later matching (``records_match_pending``) and reported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core import crypto
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import Conflict, DomainError, Forbidden
from dajiuzhu.core.normalise import clean_text
from dajiuzhu.credit.refusals import audited_refusal
from dajiuzhu.registry.models import Person

from .datatypes import DATA_TYPES, owned_types
from .models import Channel, Delivery, DepartmentRecord
from .parsing import CleanRecord, RowProblems, header_map, parse_row

MAX_ERRORS_KEPT = 1000
CHUNK = 1000


def _describe(**kwargs) -> dict:
    actor = kwargs.get("actor")
    return {"object_type": "checks.delivery", "region_code": getattr(getattr(actor, "region", None), "code", ""),
            "department": getattr(getattr(actor, "department", None), "code", ""),
            "data_type": kwargs.get("data_type", ""), "channel": kwargs.get("channel", ""),
            "file": kwargs.get("file_name", "")}


def _digest(data_type: str, records: list[CleanRecord]) -> str:
    canonical = json.dumps([data_type, sorted(r.canonical() for r in records)], ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@audited_refusal("checks.delivery", describe=_describe)
def delivery_receive(*, actor, data_type: str, rows: Iterable[Mapping], channel: str = Channel.API,
                     file_name: str = "") -> Delivery:
    """Store one delivery of one data type from the actor's department (see the module docstring)."""
    department = getattr(actor, "department", None)
    if actor is None or not actor.has_perm_code("checks.deliver") or department is None:
        raise Forbidden(_("only a department's data account may deliver department data"))
    spec = DATA_TYPES.get(data_type)
    if spec is None:
        raise DomainError(_("unknown data type %(type)s") % {"type": data_type}, field="data_type")
    if data_type not in owned_types(department):
        raise Forbidden(_("%(department)s does not deliver %(type)s") % {"department": department.name,
                                                                          "type": spec.label}, field="data_type")
    today = timezone.localdate()
    records: list[CleanRecord] = []
    errors: list[dict] = []
    future_rows: list[int] = []
    seen: dict[tuple, int] = {}
    total = 0
    for position, raw in enumerate(rows, start=1):
        total = position
        number = raw.get("_line", position)  # a file's own row number; the position for the API
        try:
            if raw.get("_problems"):
                raise RowProblems([(f, r) for f, r in raw["_problems"]])
            record = parse_row(spec, raw, today=today)
        except RowProblems as exc:
            if exc.future:
                future_rows.append(number)
            if len(errors) < MAX_ERRORS_KEPT:
                values = _row_values(spec, raw)
                errors.extend({"row": number, "field": f, "reason": r, "values": values} for f, r in exc.problems)
            continue
        key = (record.subject_key, record.as_of)
        if key in seen:
            if len(errors) < MAX_ERRORS_KEPT:
                errors.append({"row": number, "field": "id_number", "values": _row_values(spec, raw),
                               "reason": _("the same person and date appear in row %(row)d too") % {"row": seen[key]}})
            continue
        seen[key] = number
        records.append(record)
    if future_rows:
        raise DomainError(_("the delivery describes a date in the future (rows %(rows)s): nothing was stored")
                          % {"rows": ", ".join(map(str, future_rows[:20]))}, field="as_of",
                          details={"errors": _public(errors)})
    if not records:
        raise DomainError(_("the delivery has no usable row: nothing was stored"),
                          details={"errors": _public(errors)})
    digest = _digest(data_type, records)
    if Delivery.objects.filter(department=department, data_type=data_type, digest=digest).exists():
        raise Conflict(_("this delivery was already received: nothing was stored"))

    delivery = Delivery.objects.create(
        department=department, data_type=data_type, channel=channel, file_name=file_name[:200], digest=digest,
        region_code=actor.region_id, submitted_by=actor, rows=total, invalid=total - len(records),
        errors=errors[:MAX_ERRORS_KEPT], described_from=min(r.as_of for r in records),
        described_to=max(r.as_of for r in records),
    )
    counts = {"created": 0, "updated": 0, "unchanged": 0, "matched": 0, "unmatched": 0}
    now = timezone.now()
    for start in range(0, len(records), CHUNK):
        _store_chunk(delivery, spec, records[start:start + CHUNK], now, counts)
    for field, value in counts.items():
        setattr(delivery, field, value)
    delivery.save(update_fields=list(counts))
    if data_type == "dishonest_debtor":
        court_list_apply(actor=actor, delivery=delivery)
    audit_record(actor=actor, action="checks.delivery", obj=delivery,
                 new={"department": department.code, "data_type": data_type, "channel": channel, "digest": digest,
                      "rows": total, **counts, "invalid": delivery.invalid})
    return delivery


def _store_chunk(delivery: Delivery, spec, chunk: list[CleanRecord], now, counts: dict) -> None:
    keys = [r.subject_key for r in chunk]
    people = dict(Person.objects.filter(id_hash__in=keys).values_list("id_hash", "id")) if spec.subject == "person" \
        else {}
    regions = dict(Person.objects.filter(id_hash__in=keys).values_list("id_hash", "region_code")) if people else {}
    existing = {
        (r.subject_key, r.as_of): r
        for r in DepartmentRecord.objects.filter(data_type=spec.code, subject_key__in=keys,
                                                 as_of__in={c.as_of for c in chunk})
    }
    new, changed = [], []
    for record in chunk:
        person_id = people.get(record.subject_key)
        counts["matched" if person_id or spec.subject == "region" else "unmatched"] += 1
        region = record.region_code or regions.get(record.subject_key, "") or ""
        typed = {"amount": record.amount, "quantity": record.quantity, "quantity2": record.quantity2,
                 "event_date": record.event_date}
        old = existing.get((record.subject_key, record.as_of))
        if old is None:
            new.append(DepartmentRecord(
                delivery=delivery, department_id=delivery.department_id, data_type=spec.code,
                subject_key=record.subject_key, id_masked=record.id_masked, name=record.name, person_id=person_id,
                region_code=region, as_of=record.as_of, received_at=now, values=record.values, **typed))
        elif old.values != record.values:
            old.delivery, old.department_id, old.values, old.received_at = delivery, delivery.department_id, \
                record.values, now
            old.person_id, old.name, old.region_code = person_id or old.person_id, record.name or old.name, region
            for field, value in typed.items():
                setattr(old, field, value)
            changed.append(old)
        else:
            counts["unchanged"] += 1
    DepartmentRecord.objects.bulk_create(new, batch_size=CHUNK)
    DepartmentRecord.objects.bulk_update(
        changed, ["delivery", "department", "values", "received_at", "person", "name", "region_code", "amount",
                  "quantity", "quantity2", "event_date"], batch_size=CHUNK)
    counts["created"] += len(new)
    counts["updated"] += len(changed)


@transaction.atomic
def records_match_pending(*, actor=None) -> int:
    """Match records kept aside (people not in the registry when delivered) to people registered since."""
    pending = DepartmentRecord.objects.filter(person__isnull=True).exclude(subject_key__startswith="region:")
    people = Person.objects.filter(id_hash=OuterRef("subject_key"))
    matched_ids = list(pending.filter(subject_key__in=Person.objects.values("id_hash")).values_list("id", flat=True))
    if not matched_ids:
        return 0
    DepartmentRecord.objects.filter(id__in=matched_ids).update(
        person_id=Subquery(people.values("id")[:1]), region_code=Subquery(people.values("region_code")[:1]))
    court = DepartmentRecord.objects.filter(id__in=matched_ids, data_type="dishonest_debtor")
    for record in court.select_related("delivery"):
        _court_record_apply(actor=actor, record=record)
    audit_record(actor=actor, action="checks.records_match", object_type="checks.departmentrecord",
                 new={"matched": len(matched_ids)})
    return len(matched_ids)


def court_list_apply(*, actor, delivery: Delivery) -> int:
    """A court's dishonest-debtor list becomes credit records of the matched people (once per case number)."""
    created = 0
    for record in delivery.records.filter(person__isnull=False).select_related("person"):
        created += _court_record_apply(actor=actor, record=record)
    return created


def _court_record_apply(*, actor, record: DepartmentRecord) -> int:
    from dajiuzhu.credit.models import DishonestyRecord, RecordStatus
    from dajiuzhu.credit.services import dishonesty_record_create

    reference = str(record.values.get("case_number", ""))[:80]
    if DishonestyRecord.objects.filter(person_id=record.person_id, source="department_list",
                                       source_reference=reference, status=RecordStatus.ACTIVE).exists():
        return 0
    person = Person.objects.get(pk=record.person_id)
    dishonesty_record_create(
        actor=actor, person=person, reason="dishonest_debtor", source="department_list",
        details=_("listed by the court as a dishonest debtor (case %(case)s)") % {"case": reference},
        source_reference=reference, department_record_id=record.pk, start=record.event_date or record.as_of)
    return 1


def _row_values(spec, raw: Mapping) -> str:
    """The refused row's cells by field name, kept so the error file can be corrected and sent again —
    encrypted (``core.crypto``) like every ID number at rest; ``row_values`` reads them back."""
    names = header_map(spec)
    out: dict[str, str] = {}
    for key, value in raw.items():
        name = names.get(clean_text(key)) if isinstance(key, str) and not key.startswith("_") else None
        if name is not None and value not in (None, ""):
            out[name] = str(value)[:200]
    return crypto.encrypt(json.dumps(out, ensure_ascii=False))


def _public(errors: list[dict]) -> list[dict]:
    """Errors for a refusal's answer: row, field and reason (the kept cells stay out of it)."""
    return [{k: v for k, v in e.items() if k != "values"} for e in errors[:MAX_ERRORS_KEPT]]


def row_values(error: Mapping) -> dict[str, str]:
    """The cells of a refused row, as ``_row_values`` kept them (empty when none were kept)."""
    token = error.get("values")
    return json.loads(crypto.decrypt(token)) if token else {}


def errors_as_rows(errors: list[Mapping]) -> list[list[str]]:
    return [[str(e.get("row", "")), str(e.get("field", "")), str(e.get("reason", ""))] for e in errors]

"""Department events pushed to the registry (``POST /api/dci/registry/notify``, a ``NotifyEventRequest``).

Each event names a person by ``UIN`` (the resident ID number) and a date. A person of the client's
jurisdiction is updated through the registry's services as a dated fact — a death
(``person_record_death``), a hospital admission (member facts: serious illness), a disability
certificate (grade, category, certificate number), an unemployment registration (employment:
unemployed) — and the early-warning scan runs for that household's village at once (a job), so the
alert appears within the minute. A person the registry does not know (or not in the client's
jurisdiction, which looks the same) is kept aside, as department deliveries are, and applied by
``pushes_match_pending`` once the person is registered."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dajiuzhu.core import crypto
from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.ids import InvalidIdNumber, mask_id_number, normalise_id_number
from dajiuzhu.core.jobs import job_enqueue
from dajiuzhu.core.scoping import scope
from dajiuzhu.registry.models import DisabilityCategory, MemberFacts, Person
from dajiuzhu.registry.services import member_facts_record, person_record_death

from . import errors, protocol
from .auth import actor_of
from .errors import ItemRejected
from .models import Client, DepartmentEvent, PushKind, PushStatus, Status, Transaction

SCAN_JOB = "exchange.scan_household"
MEMBER_FIELDS = ("health", "illness", "disability_category", "disability_grade", "disability_certificate",
                 "adl_failed", "labour", "employment")


def _event_of(item) -> dict:
    if not isinstance(item, dict):
        raise ItemRejected(errors.SEARCH_REFERENCE_ID, "a notify_event entry is an object")
    if not str(item.get("reference_id", "")).strip():
        raise ItemRejected(errors.SEARCH_REFERENCE_ID, "reference_id is missing")
    data = item.get("data")
    if not isinstance(data, dict):
        raise ItemRejected(errors.SEARCH_CRITERIA, "data is missing")
    kind = data.get("reg_event_type")
    if kind not in PushKind.values:
        raise ItemRejected(errors.SEARCH_CRITERIA, f"unknown reg_event_type {kind!r}; known: "
                           + ", ".join(PushKind.values))
    record = data.get("reg_records")
    if isinstance(record, list) and len(record) == 1:
        record = record[0]
    if not isinstance(record, dict):
        raise ItemRejected(errors.SEARCH_CRITERIA, "reg_records is one person object")
    identifiers = record.get("identifier")
    if isinstance(identifiers, dict):
        identifiers = [identifiers]
    uin = next((i.get("identifier_value") for i in identifiers or [] if isinstance(i, dict)
                and i.get("identifier_type") == "UIN"), None)
    try:
        number = normalise_id_number(uin)
    except InvalidIdNumber:
        raise ItemRejected(errors.SEARCH_CRITERIA, "the person's UIN is missing or not a valid ID number") from None
    raw_date = record.get("event_date") or record.get("death_date")
    try:
        on = dt.date.fromisoformat(str(raw_date)[:10])
    except ValueError:
        raise ItemRejected(errors.SEARCH_CRITERIA, "event_date is an ISO date") from None
    if on > timezone.localdate():
        raise ItemRejected(errors.SEARCH_CRITERIA, "event_date is in the future")
    details: dict = {}
    if kind == PushKind.DISABILITY_CERTIFICATE:
        try:
            grade = int(record.get("disability_grade"))
        except (TypeError, ValueError):
            grade = 0
        if not 1 <= grade <= 4:
            raise ItemRejected(errors.SEARCH_CRITERIA, "disability_grade is 1 to 4")
        category = record.get("disability_type") or ""
        if category and category not in DisabilityCategory.values:
            raise ItemRejected(errors.SEARCH_CRITERIA, "disability_type is one of " + ", ".join(DisabilityCategory.values))
        details = {"disability_grade": grade, "disability_category": category,
                   "disability_certificate": str(record.get("certificate_number") or "")[:40]}
    elif kind == PushKind.HOSPITAL_ADMISSION:
        details = {"illness": str(record.get("diagnosis") or "")[:100]}
    name = record.get("name")
    if isinstance(name, dict):
        name = f"{name.get('surname', '')}{name.get('given_name', '')}"
    return {"reference_id": str(item["reference_id"]), "kind": kind, "number": number, "on": on,
            "details": details, "name": str(name or "")[:60]}


def _member_values(person: Person, on: dt.date, changes: dict) -> dict:
    latest = MemberFacts.objects.filter(person=person, as_of__lte=on).order_by("-as_of").first()
    values = {f: getattr(latest, f) for f in MEMBER_FIELDS} if latest else {}
    return {**values, **changes}


def event_apply(*, actor, event: DepartmentEvent, person: Person) -> None:
    """Write the event into the registry as a dated fact (the registry's services, audited there)."""
    if event.kind == PushKind.DEATH:
        if person.deceased_on is None:
            person_record_death(actor=actor, person=person, on=event.occurred_on)
    elif event.kind == PushKind.HOSPITAL_ADMISSION:
        member_facts_record(actor=actor, person=person, as_of=event.occurred_on, source="department",
                            values=_member_values(person, event.occurred_on,
                                                  {"health": "serious", **({"illness": event.details["illness"]}
                                                                           if event.details.get("illness") else {})}))
    elif event.kind == PushKind.DISABILITY_CERTIFICATE:
        changes = {k: v for k, v in event.details.items() if v not in ("", None)}
        member_facts_record(actor=actor, person=person, as_of=event.occurred_on, source="department",
                            values=_member_values(person, event.occurred_on, changes))
    elif event.kind == PushKind.UNEMPLOYMENT:
        member_facts_record(actor=actor, person=person, as_of=event.occurred_on, source="department",
                            values=_member_values(person, event.occurred_on, {"employment": "unemployed"}))
    event.person, event.region_code = person, person.region_code
    event.status, event.applied_at = PushStatus.APPLIED, timezone.now()
    event.save(update_fields=["person", "region_code", "status", "applied_at"])
    if person.household_id:
        job_enqueue(kind=SCAN_JOB, params={"household_id": person.household_id, "on": timezone.localdate().isoformat()},
                    region_code=person.region_code)


def push_run(*, client: Client, actor, txn: Transaction) -> dict:
    """Apply or keep aside every event of the message; the answer is the per-event outcome."""
    results, applied, kept = [], 0, 0
    seen: set[str] = set()
    for item in txn.request.get("notify_event", []):
        ref = str(item.get("reference_id", "")) if isinstance(item, dict) else ""
        base = {"reference_id": ref, "timestamp": protocol.now_ts()}
        try:
            event = _event_of(item)
            if ref in seen:
                raise ItemRejected(errors.SEARCH_REFERENCE_DUPLICATE, f"reference_id {ref} appears twice")
            seen.add(ref)
        except ItemRejected as exc:
            results.append({**base, "status": Status.RJCT, "status_reason_code": exc.reason,
                            "status_reason_message": exc.message})
            continue
        key = crypto.blind_index(event["number"])
        with transaction.atomic():
            record = DepartmentEvent.objects.create(
                client=client, transaction=txn, reference_id=ref, kind=event["kind"], subject_key=key,
                id_masked=mask_id_number(event["number"]), name=event["name"], occurred_on=event["on"],
                details=event["details"], status=PushStatus.UNMATCHED)
            person = scope(Person.objects.select_related("household"), actor, perm="registry.edit") \
                .filter(id_hash=key).first()
            if person is not None:
                event_apply(actor=actor, event=record, person=person)
                applied += 1
            else:
                kept += 1
        results.append({**base, "status": Status.SUCC, "event_status": record.status,
                        "status_reason_message": "written to the registry" if person else
                        "kept aside: the person is not in the registry of this jurisdiction"})
    status = Status.SUCC if applied or kept else Status.RJCT
    message = {"transaction_id": txn.transaction_id, "correlation_id": txn.correlation_id, "notify_response": results}
    with transaction.atomic():
        txn.response, txn.status, txn.completed_at = message, status, timezone.now()
        txn.save(update_fields=["response", "status", "completed_at"])
        audit_record(actor=actor, action="exchange.push", obj=txn, region_code=client.region_prefix,
                     new={"client": client.client_id, "purpose": client.purpose, "message_id": txn.message_id,
                          "applied": applied, "kept_aside": kept, "rejected": len(results) - applied - kept})
    return message


def pushes_match_pending() -> int:
    """Apply kept-aside events whose person has since been registered in the client's jurisdiction."""
    done = 0
    pending = DepartmentEvent.objects.filter(status=PushStatus.UNMATCHED).select_related("client", "client__user")
    keys = set(pending.values_list("subject_key", flat=True)[:10000])
    people = {p.id_hash: p for p in Person.objects.select_related("household").filter(id_hash__in=keys)}
    for event in pending.filter(subject_key__in=list(people)):
        person = people[event.subject_key]
        actor = actor_of(event.client)
        if not person.region_code.startswith(event.client.region_prefix) or not event.client.is_active:
            continue
        with transaction.atomic():
            event_apply(actor=actor, event=event, person=person)
        done += 1
    return done

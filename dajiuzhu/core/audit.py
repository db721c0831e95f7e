"""The audit log: append-only, hash-chained, written in the same transaction as the change.

Use ``audit_record`` inside the ``transaction.atomic`` block of the service that changes
data. Concurrent writers are serialised on the chain's head (a PostgreSQL advisory lock;
SQLite serialises writers by itself), so the chain never forks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from . import audit_checkpoint, context
from .models import AuditEvent

GENESIS = "0" * 64
_ADVISORY_KEY = 0x4A5A_4155  # "JZAU"


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value):
        return _jsonable(dataclasses.asdict(value))
    return value


def _canonical_at(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: AuditEvent) -> str:
    body = {
        "at": _canonical_at(event.at),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "region_code": event.region_code,
        "source": event.source,
        "old": event.old,
        "new": event.new,
        "prev": event.prev_hash,
    }
    payload = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_KEY])


class _ChainHead:
    """The hash of the last event this transaction appended, while that event still stands.

    The chain's lock is a transaction-level one, held until commit or rollback, so once this
    transaction has appended an event nobody else can append after it: the next event of the
    same transaction links to it without taking the lock again or reading the head back (one
    round trip per event instead of three). The marker is registered with ``on_commit``; Django
    drops it when the transaction commits or rolls back, or when the savepoint in which the
    event was written is rolled back, so a head that is no longer true is never used.
    """

    __slots__ = ("hash",)

    def __init__(self, hash_: str) -> None:
        self.hash = hash_

    def __call__(self) -> None:  # the on_commit callback: nothing to do
        pass


def _known_head() -> str | None:
    head = getattr(connection, "_audit_chain_head", None)
    if head is None:
        return None
    # Newest first: the marker is almost always the last callback, so a transaction that appends
    # thousands of events (a bulk load) does not scan its whole callback list for each one.
    if any(entry[1] is head for entry in reversed(connection.run_on_commit)):
        return head.hash
    connection._audit_chain_head = None
    return None


def _remember_head(hash_: str) -> None:
    # One no-op marker per event; the list of on_commit callbacks is only appended to, never edited.
    head = _ChainHead(hash_)
    transaction.on_commit(head)
    connection._audit_chain_head = head


def audit_record(
    *,
    actor,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: object = "",
    region_code: str = "",
    old: Mapping | None = None,
    new: Mapping | None = None,
    source: str | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records."""
    return audit_record_many([{"actor": actor, "action": action, "obj": obj, "object_type": object_type,
                               "object_id": object_id, "region_code": region_code, "old": old, "new": new,
                               "source": source}])[0]


def audit_record_many(entries: Sequence[Mapping]) -> list[AuditEvent]:
    """Append several events, in order, with one INSERT (each entry: ``audit_record``'s keyword arguments).

    The same events, links and hashes as calling ``audit_record`` for each entry in turn: each links to the
    one before it; the ids the database gives them ascend in the order of the entries."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must be called inside transaction.atomic")
    if not entries:
        return []
    last = _known_head()
    if last is None:
        _lock_chain()
        with connection.cursor() as cursor:  # AuditEvent.objects.order_by("-id").values_list("hash").first()
            cursor.execute(_head_sql())
            row = cursor.fetchone()
        last = row[0] if row else None
    events = []
    for entry in entries:
        event = _event(prev_hash=last or GENESIS, **entry)
        event.hash = last = event_hash(event)
        events.append(event)
    _insert(events)
    if audit_checkpoint.crosses_checkpoint(events[0].pk, events[-1].pk):
        transaction.on_commit(audit_checkpoint.checkpoint_after_commit)
    _remember_head(last)
    return events


def _event(*, actor, action: str, prev_hash: str, obj: Model | None = None, object_type: str = "",
           object_id: object = "", region_code: str = "", old: Mapping | None = None, new: Mapping | None = None,
           source: str | None = None) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        region_code = region_code or getattr(obj, "region_code", "") or ""
    user = actor if getattr(actor, "is_authenticated", False) else None
    # Round-trip through JSON so the stored value is exactly what was hashed.
    return AuditEvent(
        at=timezone.now(),
        actor=user,
        actor_name=(user.get_username() if user else (str(actor) if actor else "system"))[:150],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        region_code=region_code,
        source=source or context.current_source(),
        old=json.loads(json.dumps(_jsonable(old), ensure_ascii=False)) if old is not None else None,
        new=json.loads(json.dumps(_jsonable(new), ensure_ascii=False)) if new is not None else None,
        prev_hash=prev_hash,
    )


_SQL: dict[tuple, object] = {}


def _head_sql() -> str:
    key = (connection.vendor, "head")
    if key not in _SQL:
        quote = connection.ops.quote_name
        _SQL[key] = (f"SELECT {quote('hash')} FROM {quote(AuditEvent._meta.db_table)}"
                     f" ORDER BY {quote('id')} DESC LIMIT 1")
    return _SQL[key]


def _insert(events: list[AuditEvent]) -> None:
    """``event.save(force_insert=True)`` of each event, in one multi-row INSERT with SQL built once per
    process (``core.sql.insert``; every audited write appends, no signal listens to ``AuditEvent``): the
    same columns and prepared values, the new ids ascending in the order of ``events`` (the chain's order)."""
    from . import sql

    sql.insert(events)


def diff(before: Mapping, after: Mapping) -> tuple[dict, dict]:
    """Only the keys that changed, as (old, new)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


# The reasons ``audit_verify`` gives (code words kept in job results; pages translate them).
REASON_LINK = "previous-hash link does not match the event before it"
REASON_CONTENT = "content does not match its hash (the row was altered)"
REASON_REWRITTEN = "the event of a signed checkpoint has another hash (the chain was rewritten)"
REASON_MISSING = "the event of a signed checkpoint is missing (rows were deleted or renumbered)"
REASON_COUNT = "the number of events up to a signed checkpoint differs (rows were deleted or inserted)"
REASON_CUT = "the chain ends before the latest signed checkpoint (its tail was cut)"
REASON_EMPTY = "the audit log is empty but a signed checkpoint records events (all rows were deleted)"
PROBLEMS = {
    "checkpoint_unreadable": "a line of the checkpoint file cannot be read",
    "checkpoint_other_key": "a line of the checkpoint file was signed with another key",
    "checkpoint_forged": "a line of the checkpoint file has a wrong signature (it was altered or forged)",
    "checkpoint_lines_removed": "a line of the checkpoint file does not link to the one before it (lines were removed)",
}


@dataclasses.dataclass
class ChainReport:
    checked: int
    broken_at: int | None
    reason: str = ""
    checkpoint: audit_checkpoint.Checkpoint | None = None  # the latest valid checkpoint, if any
    checkpoints_checked: int = 0
    head_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None and not self.reason


def audit_verify(events: Iterable[AuditEvent] | None = None, *, progress=None, every: int = 5000,
                 checkpoints: audit_checkpoint.CheckpointFile | None = None, backup: bool = False) -> ChainReport:
    """Walk the chain in order; report the first event whose link or content is wrong, then check the chain
    against the signed checkpoints (``core.audit_checkpoint``): the event of each is still there with its
    hash and the same number of events up to it, and the chain reaches the latest (no cut tail).

    ``progress(checked)`` is called every ``every`` events (the background job shows it). ``backup``: the
    database is a restored backup (the restore drill), older than the newest checkpoints: only the
    checkpoints up to its head are checked, so a tail cut after the backup cannot be told from the events
    written since.
    """
    if events is None:
        events = AuditEvent.objects.order_by("id").iterator(chunk_size=5000)
    if checkpoints is None:
        checkpoints = audit_checkpoint.checkpoints_load()
    marks = sorted((cp for cp in checkpoints.checkpoints if cp.event_id > 0), key=lambda cp: cp.event_id)
    if backup:
        head = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        marks = [cp for cp in marks if cp.event_id <= head]
    latest = checkpoints.latest
    pending = 0  # index into marks of the next checkpoint the walk must meet

    def report(checked, broken_at, reason):
        return ChainReport(checked, broken_at, reason, latest, pending, last_id)

    previous = GENESIS
    checked = 0
    last_id = None
    for event in events:
        if event.prev_hash != previous:
            return report(checked, event.pk, REASON_LINK)
        if event_hash(event) != event.hash:
            return report(checked, event.pk, REASON_CONTENT)
        previous = event.hash
        checked += 1
        last_id = event.pk
        while pending < len(marks) and marks[pending].event_id <= event.pk:
            mark = marks[pending]
            if mark.event_id < event.pk:
                return report(checked - 1, mark.event_id, REASON_MISSING)
            if mark.hash != event.hash:
                return report(checked - 1, mark.event_id, REASON_REWRITTEN)
            if mark.count != checked:
                return report(checked - 1, mark.event_id, REASON_COUNT)
            pending += 1
        if progress is not None and checked % every == 0:
            progress(checked)
    if pending < len(marks):
        return report(checked, marks[pending].event_id, REASON_CUT if checked else REASON_EMPTY)
    if checkpoints.problem:
        return report(checked, None, PROBLEMS[checkpoints.problem] + f" (line {checkpoints.problem_line})")
    return report(checked, None, "")


@transaction.atomic
def audit_read_of_identity(*, actor, obj: Model, field: str = "id_number") -> None:
    """Record that the actor saw a full identity number (every such view is audited)."""
    audit_record(actor=actor, action="identity.view", obj=obj, new={"field": field})

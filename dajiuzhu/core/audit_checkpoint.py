"""Signed checkpoints of the audit chain, kept outside the database.

The hash chain (``core.audit``) shows an edited or deleted row *inside* the chain. It cannot show, by
itself, rows cut from the end, every row deleted, or a chain rewritten from some row on with every later
hash recomputed: whoever can write the database can produce a chain that is consistent again. A
checkpoint closes that gap. It records the chain's head (the id and hash of the newest event) and the
number of events up to it, signed with HMAC-SHA256 under ``settings.AUDIT_CHECKPOINT_KEY``
(``DAJIUZHU_AUDIT_KEY``): a key the database does not hold, distinct from the field-encryption key. The
checkpoints are appended, one JSON object a line, to ``AUDIT_CHECKPOINT_DIR/checkpoints.jsonl`` (keep it
on another disk or a remote mount, ``chattr +a``) and copied to the application log (an external log
collector keeps a second copy). Each line also carries the signature of the line before it, so lines
removed from the middle of the file are seen too.

A checkpoint is written by the beat job every 15 minutes (``core.schedule``), after the commit of a
transaction whose events pass a multiple of ``AUDIT_CHECKPOINT_EVERY`` ids, and on demand
(``manage.py audit_checkpoint``). ``audit_verify`` (``core.audit``) then checks the chain against them:
the event of every checkpoint must still be there with the same hash and the same number of events up
to it, and the chain must reach the latest checkpoint.

After a database restore (the chain legitimately goes back to the backup's head) or a change of the
key, an operator records the new starting point with ``manage.py audit_checkpoint --rebase "<reason>"``:
a signed line of kind ``rebase``; checkpoints before the latest valid rebase are no longer checked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import AuditEvent

log = logging.getLogger("dajiuzhu.audit.checkpoint")

FILE_NAME = "checkpoints.jsonl"
GENESIS = "0" * 64
_FIELDS = ("v", "kind", "at", "event_id", "count", "hash", "prev_sig", "key_id", "reason")


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    kind: str  # "checkpoint" or "rebase"
    at: dt.datetime
    event_id: int
    count: int
    hash: str
    prev_sig: str
    key_id: str
    reason: str
    sig: str
    line: int = 0  # its line number in the file (1-based)

    def record(self) -> dict:
        return {"v": 1, "kind": self.kind, "at": self.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "event_id": self.event_id, "count": self.count, "hash": self.hash, "prev_sig": self.prev_sig,
                "key_id": self.key_id, "reason": self.reason}


@dataclasses.dataclass
class CheckpointFile:
    """The valid checkpoints since the latest valid rebase, and what was wrong with the file, if anything."""

    checkpoints: list[Checkpoint]
    problem: str = ""  # a code word (see PROBLEMS in core.audit)
    problem_line: int = 0

    @property
    def latest(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None


def _key() -> bytes:
    secret = settings.AUDIT_CHECKPOINT_KEY.encode()
    return hashlib.sha256(b"dajiuzhu-audit-checkpoint\x00" + secret).digest()


def key_id() -> str:
    """A short public name of the current key (which key signed a line), never the key itself."""
    return hmac.new(_key(), b"key-id", hashlib.sha256).hexdigest()[:12]


def _sign(record: dict) -> str:
    payload = json.dumps({k: record[k] for k in _FIELDS}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()


def checkpoint_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / FILE_NAME


def _parse(raw: dict, line: int) -> Checkpoint:
    return Checkpoint(kind=raw["kind"], at=dt.datetime.fromisoformat(raw["at"].replace("Z", "+00:00")),
                      event_id=int(raw["event_id"]), count=int(raw["count"]), hash=str(raw["hash"]),
                      prev_sig=str(raw["prev_sig"]), key_id=str(raw["key_id"]), reason=str(raw.get("reason", "")),
                      sig=str(raw["sig"]), line=line)


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return path.read_text(encoding="utf-8").splitlines()


def checkpoints_load(path: Path | None = None) -> CheckpointFile:
    """Read and check the file: every line after the latest valid rebase must be signed with the current key
    and link to the line before it. The first bad line ends the reading (its problem is reported)."""
    lines = _read_lines(path or checkpoint_path())
    parsed: list[tuple[int, dict | None]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict) or not all(k in raw for k in (*_FIELDS, "sig")):
                raw = None
        except ValueError:
            raw = None
        parsed.append((number, raw))
    start = 0
    for index, (_number, raw) in enumerate(parsed):
        if raw is not None and raw["kind"] == "rebase" and hmac.compare_digest(_sign(raw), str(raw["sig"])):
            start = index
    found = CheckpointFile([])
    previous_sig = None
    for index, (number, raw) in enumerate(parsed[start:]):
        if raw is None:
            return CheckpointFile(found.checkpoints, "checkpoint_unreadable", number)
        if raw["key_id"] != key_id():
            return CheckpointFile(found.checkpoints, "checkpoint_other_key", number)
        if not hmac.compare_digest(_sign(raw), str(raw["sig"])):
            return CheckpointFile(found.checkpoints, "checkpoint_forged", number)
        if index > 0 and raw["prev_sig"] != previous_sig:
            return CheckpointFile(found.checkpoints, "checkpoint_lines_removed", number)
        found.checkpoints.append(_parse(raw, number))
        previous_sig = raw["sig"]
    return found


def _head() -> tuple[int, str]:
    row = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    return (row[0], row[1]) if row else (0, GENESIS)


def checkpoint_write(*, reason: str = "scheduled", kind: str = "checkpoint", force: bool = False) -> Checkpoint | None:
    """Sign the chain's current (committed) head and append it to the file; the checkpoint written, or None
    when the head has not moved since the latest checkpoint (unless ``force``).

    Ids are given under the chain's lock, which is held until commit, so every event with an id below the
    committed head is committed too: the count of ids up to the head is stable."""
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # one writer at a time across processes
        try:
            current = checkpoints_load(path)
            last_line = next((line for line in reversed(_read_lines(path)) if line.strip()), "")
            try:
                prev_sig = str(json.loads(last_line).get("sig", "")) if last_line else ""
            except ValueError:
                prev_sig = ""
            head_id, head_hash = _head()
            latest = current.latest
            if (not force and kind == "checkpoint" and latest is not None and not current.problem
                    and latest.event_id == head_id and latest.hash == head_hash):
                return None
            if (kind == "checkpoint" and latest is not None and not current.problem
                    and latest.event_id <= head_id):
                count = latest.count + AuditEvent.objects.filter(id__gt=latest.event_id, id__lte=head_id).count()
            else:
                count = AuditEvent.objects.filter(id__lte=head_id).count()
            record = {"v": 1, "kind": kind, "at": timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                      "event_id": head_id, "count": count, "hash": head_hash, "prev_sig": prev_sig,
                      "key_id": key_id(), "reason": reason[:200]}
            record["sig"] = _sign(record)
            text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    log.info("audit checkpoint %s", text)  # a second copy for the central log collector
    return _parse(record, 0)


def checkpoint_after_commit() -> None:
    """``transaction.on_commit`` callback of ``audit_record_many`` when the chain passes a multiple of
    ``AUDIT_CHECKPOINT_EVERY``: the change is committed already, so a failure here is logged, never raised."""
    try:
        checkpoint_write(reason="every")
    except Exception:  # noqa: BLE001 - never fail a committed change over its checkpoint
        log.exception("could not write the audit checkpoint")


def crosses_checkpoint(first_id: int | None, last_id: int | None) -> bool:
    """Whether the ids ``first_id``..``last_id`` just appended pass a multiple of ``AUDIT_CHECKPOINT_EVERY``."""
    every = int(getattr(settings, "AUDIT_CHECKPOINT_EVERY", 0) or 0)
    if every <= 0 or first_id is None or last_id is None:
        return False
    return last_id // every != (first_id - 1) // every

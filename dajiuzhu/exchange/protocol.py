"""The message envelope of the standard: parsing a request, building headers and bodies.

A request is ``{"signature", "header", "message"}``. The header (``MsgHeader_V1.0.0``) needs
``message_id``, ``message_ts``, ``action``, ``sender_id`` and ``total_count``; ``version`` is
``1.0.0``; ``receiver_id`` if given must be this registry's id (``DCI_RECEIVER_ID``); ``sender_id``
must be the client's own id. Answers are ``MsgCallbackHeader_V1.0.0`` headers with ``status``;
acknowledgements are the standard's ``Response`` (``ack_status`` ACK / ERR with an ``Error``);
refusals at the HTTP layer are ``HttpErrorResponse`` (``{"errors": [{"code", "message"}]}``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone

from . import errors
from .errors import DciError

VERSION = "1.0.0"
MAX_TOTAL_COUNT = 100


def receiver_id() -> str:
    return getattr(settings, "DCI_RECEIVER_ID", "dajiuzhu.registry")


def now_ts() -> str:
    return timezone.now().isoformat(timespec="milliseconds")


def new_id() -> str:
    return uuid.uuid4().hex


@dataclasses.dataclass
class Envelope:
    signature: str | None
    header: dict
    message: dict
    raw: dict

    @property
    def message_id(self) -> str:
        return str(self.header["message_id"])

    @property
    def sender_uri(self) -> str:
        return str(self.header.get("sender_uri") or "")


def parse(body: bytes, *, action: str, client_id: str) -> Envelope:
    """The envelope of a request for ``action``, or ``DciError`` naming what is wrong."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise DciError(errors.BAD_REQUEST, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise DciError(errors.BAD_REQUEST, "the body is a JSON object with header and message")
    header = data.get("header")
    if not isinstance(header, dict):
        raise DciError(errors.BAD_REQUEST, "header is missing")
    missing = [f for f in ("message_id", "message_ts", "action", "sender_id", "total_count") if f not in header]
    if missing:
        raise DciError(errors.BAD_REQUEST, f"header lacks {', '.join(missing)}")
    version = str(header.get("version") or VERSION)
    if version != VERSION:
        raise DciError(errors.VERSION, f"version {version} is not supported (1.0.0)", reason=errors.RJCT_VERSION)
    message_id = header["message_id"]
    if not isinstance(message_id, (str, int)) or not str(message_id).strip() or len(str(message_id)) > 99:
        raise DciError(errors.BAD_REQUEST, "message_id is a text of 1 to 99 characters")
    try:
        ts = dt.datetime.fromisoformat(str(header["message_ts"]).replace("Z", "+00:00"))
        if ts.tzinfo is None:
            raise ValueError
    except ValueError:
        raise DciError(errors.BAD_REQUEST, "message_ts is an ISO 8601 time with its time zone",
                       reason=errors.RJCT_MESSAGE_TS) from None
    if header["action"] != action:
        raise DciError(errors.BAD_REQUEST, f"action {header['action']!r} does not match this endpoint ({action})",
                       reason=errors.RJCT_ACTION)
    if str(header["sender_id"]) != client_id:
        raise DciError(errors.SENDER_ID, "sender_id is not the id of the authenticated client")
    if header.get("receiver_id") not in (None, "", receiver_id()):
        raise DciError(errors.RECEIVER_ID, f"receiver_id must be {receiver_id()}")
    if header.get("is_msg_encrypted"):
        raise DciError(errors.ENCRYPTION, "encrypted messages are not accepted; use TLS")
    if "message" not in data:
        raise DciError(errors.BAD_REQUEST, "message is missing")
    message = data["message"]
    if not isinstance(message, dict):
        raise DciError(errors.BAD_REQUEST, "message is an object")
    total = header["total_count"]
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise DciError(errors.BAD_REQUEST, "total_count is a whole number", reason=errors.RJCT_TOTAL_COUNT)
    if total > MAX_TOTAL_COUNT:
        raise DciError(errors.BAD_REQUEST, f"at most {MAX_TOTAL_COUNT} requests in one message",
                       reason=errors.RJCT_TOTAL_COUNT_LIMIT)
    transaction_id = message.get("transaction_id")
    if not isinstance(transaction_id, (str, int)) or not str(transaction_id).strip() or len(str(transaction_id)) > 99:
        raise DciError(errors.BAD_REQUEST, "message.transaction_id is a text of 1 to 99 characters")
    signature = data.get("signature")
    return Envelope(signature=signature if isinstance(signature, str) else None, header=header, message=message,
                    raw=data)


def callback_header(*, action: str, client_id: str, status: str, total_count: int = 0, completed_count: int = 0,
                    reason: str = "", reason_message: str = "", message_id: str | None = None) -> dict:
    header = {"version": VERSION, "message_id": message_id or new_id(), "message_ts": now_ts(), "action": action,
              "status": status, "total_count": total_count, "completed_count": completed_count,
              "sender_id": receiver_id(), "receiver_id": client_id, "is_msg_encrypted": False}
    if reason:
        header["status_reason_code"] = reason
        header["status_reason_message"] = reason_message[:999]
    return header


def ack(correlation_id: str) -> JsonResponse:
    return JsonResponse({"message": {"ack_status": "ACK", "timestamp": now_ts(), "correlation_id": correlation_id}})


def error_response(exc: DciError, *, action: str = "", client_id: str = "", correlation_id: str = "") -> JsonResponse:
    """401 / 403 / 429 / 503: ``HttpErrorResponse``; other refusals: the ``Response`` acknowledgement
    with ``ack_status: ERR`` and the ``Error``, and a header with the reason code when the header is at fault."""
    if exc.status in (401, 403, 429, 503):
        body: dict = {"errors": [{"code": exc.code, "message": exc.message}]}
    else:
        body = {"message": {"ack_status": "ERR", "timestamp": now_ts(), "correlation_id": correlation_id,
                            "error": {"code": exc.code, "message": exc.message[:999]}}}
        if exc.reason:
            body["header"] = callback_header(action=f"on-{action}" if action else "", client_id=client_id,
                                             status="rjct", reason=exc.reason, reason_message=exc.message)
    response = JsonResponse(body, status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="dci"'
    return response

"""Search: ``SearchRequest`` in, ``SearchResponse`` out (sync and async alike), audited per record."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dajiuzhu.core.audit import audit_record

from . import errors, protocol
from .errors import ItemRejected
from .models import Client, Status, Transaction
from .query import run_query
from .records import build_records

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


def reference_ids(message: dict, key: str) -> list[str]:
    items = message.get(key)
    if not isinstance(items, list) or not items:
        raise errors.DciError(errors.BAD_REQUEST, f"message.{key} is a non-empty list")
    refs = []
    for item in items:
        if not isinstance(item, dict):
            raise errors.DciError(errors.BAD_REQUEST, f"every entry of {key} is an object")
        refs.append(str(item.get("reference_id", "")))
    return refs


def _check_item(item: dict, seen: set[str]) -> None:
    ref = item.get("reference_id")
    if not isinstance(ref, (str, int)) or not str(ref).strip():
        raise ItemRejected(errors.SEARCH_REFERENCE_ID, "reference_id is missing")
    if str(ref) in seen:
        raise ItemRejected(errors.SEARCH_REFERENCE_DUPLICATE, f"reference_id {ref} appears twice")
    seen.add(str(ref))
    try:
        ts = dt.datetime.fromisoformat(str(item.get("timestamp", "")).replace("Z", "+00:00"))
        if ts.tzinfo is None:
            raise ValueError
    except ValueError:
        raise ItemRejected(errors.SEARCH_TIMESTAMP, "timestamp is an ISO 8601 time with its time zone") from None


def _one(item: dict, *, client: Client, actor, seen: set[str]) -> tuple[dict, list[int]]:
    base = {"reference_id": str(item.get("reference_id", "")) if isinstance(item, dict) else "",
            "timestamp": protocol.now_ts()}
    try:
        if not isinstance(item, dict):
            raise ItemRejected(errors.SEARCH_REFERENCE_ID, "a search request is an object")
        _check_item(item, seen)
        criteria = item.get("search_criteria")
        if not isinstance(criteria, dict) or "query_type" not in criteria or "query" not in criteria:
            raise ItemRejected(errors.SEARCH_CRITERIA, "search_criteria needs query_type and query")
        wanted = criteria.get("fields") or criteria.get("record_fields")
        allowed = set(client.fields)
        if wanted is not None:
            if not isinstance(wanted, list) or not all(isinstance(f, str) for f in wanted):
                raise ItemRejected(errors.SEARCH_CRITERIA, "fields is a list of field names")
            outside = [f for f in wanted if f not in allowed]
            if outside:
                raise ItemRejected(errors.SEARCH_CRITERIA,
                                   f"field {outside[0]!r} is not in this client's field set")
            allowed = set(wanted)
        pagination = criteria.get("pagination") or {}
        if not isinstance(pagination, dict):
            raise ItemRejected(errors.SEARCH_PAGINATION, "pagination is an object")
        try:
            size = int(pagination.get("page_size", DEFAULT_PAGE_SIZE))
            number = int(pagination.get("page_number", 1))
        except (TypeError, ValueError):
            raise ItemRejected(errors.SEARCH_PAGINATION, "page_size and page_number are numbers") from None
        if not 1 <= size <= MAX_PAGE_SIZE or number < 1:
            raise ItemRejected(errors.SEARCH_PAGINATION, f"page_size is 1 to {MAX_PAGE_SIZE}, page_number from 1")
        if criteria.get("sort") not in (None, []):
            raise ItemRejected(errors.SEARCH_SORT, "sorting is not supported: records come in person-number order")
        qs = run_query(criteria["query_type"], criteria["query"], actor=actor, fields=set(client.fields),
                       jurisdiction=client.region_prefix).order_by("pk")
        page = list(qs[(number - 1) * size: number * size + 1])
        more = len(page) > size
        page = page[:size]
        total = (number - 1) * size + len(page) if not more else qs.count()
        records = build_records(page, fields=allowed, show_uin=True)
        return ({**base, "status": Status.SUCC, "data": {"version": "1.0.0", "reg_records": records},
                 "pagination": {"page_size": size, "page_number": number, "total_count": total},
                 **({"locale": item["locale"]} if isinstance(item.get("locale"), str) else {})},
                [p.pk for p in page])
    except ItemRejected as exc:
        return {**base, "status": Status.RJCT, "status_reason_code": exc.reason,
                "status_reason_message": exc.message[:999]}, []


def search_answer(*, client: Client, actor, message: dict, transaction_id: str,
                  correlation_id: str) -> tuple[dict, str, list[int]]:
    """The ``SearchResponse`` of a ``SearchRequest`` (reads only), its status and the person ids returned."""
    seen: set[str] = set()
    responses, returned = [], []
    for item in message.get("search_request", []):
        response, ids = _one(item, client=client, actor=actor, seen=seen)
        responses.append(response)
        returned.extend(ids)
    answer = {"transaction_id": transaction_id, "correlation_id": correlation_id, "search_response": responses}
    status = Status.SUCC if any(r["status"] == Status.SUCC for r in responses) else Status.RJCT
    return answer, status, returned


def search_audit(*, client: Client, actor, txn: Transaction, returned: list[int]) -> None:
    """Who got which records, for what purpose (inside the transaction that stores the answer)."""
    rejected = [r.get("status_reason_code") for r in txn.response["search_response"] if r["status"] == Status.RJCT]
    audit_record(actor=actor, action="exchange.search", obj=txn, region_code=client.region_prefix,
                 new={"client": client.client_id, "purpose": client.purpose, "message_id": txn.message_id,
                      "transaction_id": txn.transaction_id, "status": txn.status, "records": len(returned),
                      "person_ids": returned[:MAX_PAGE_SIZE * 10], "rejected": rejected})


def search_run(*, client: Client, actor, txn: Transaction) -> dict:
    """Answer a stored (asynchronous) search transaction; store and audit the answer."""
    answer, status, returned = search_answer(client=client, actor=actor, message=txn.request,
                                             transaction_id=txn.transaction_id, correlation_id=txn.correlation_id)
    with transaction.atomic():
        txn.response, txn.status, txn.completed_at = answer, status, timezone.now()
        txn.save(update_fields=["response", "status", "completed_at"])
        search_audit(client=client, actor=actor, txn=txn, returned=returned)
    return answer

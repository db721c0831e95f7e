"""Subscriptions and the registry events they receive as ``notify`` callbacks.

A client subscribes (``SubscribeRequest``) to event types for a region inside its jurisdiction
(``filter``: an ``idtype-value``/``predicate`` on ``region_code``; its whole jurisdiction when
absent). When an event happens (``event_publish``, from the registry, credit and roster hooks in
``receivers``) every active subscription of that type whose region contains the person's region gets
a ``notify`` with a ``NotifyEventRequest`` whose record has the subscriber's own field set."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.jobs import job_enqueue
from dajiuzhu.core.regioncodes import prefix_of
from dajiuzhu.registry.models import Household, Person

from . import errors, protocol
from .callbacks import callback_create
from .errors import ItemRejected
from .models import Client, EventType, Status, Subscription, Transaction
from .records import build_records

PUBLISH_JOB = "exchange.publish"
REG_TYPE = "ns:dajiuzhu:RegistryType:SocialRegistry"


def _region_of_filter(criteria: dict, client: Client) -> str:
    flt = criteria.get("filter")
    if flt in (None, {}, []):
        return client.region_prefix
    values = []
    if isinstance(flt, dict) and flt.get("type") == "region_code":
        values = [flt.get("value")]
    elif isinstance(flt, list):
        for item in flt:
            expr = item.get("expression1") if isinstance(item, dict) else None
            if not isinstance(expr, dict) or expr.get("attribute_name") != "region_code" or expr.get("operator") != "eq":
                raise ItemRejected(errors.SUB_NOTIFY_DETAILS, "a subscription filter is region_code eq <code>")
            values.append(expr.get("attribute_value"))
    else:
        raise ItemRejected(errors.SUB_NOTIFY_DETAILS, "a subscription filter is region_code eq <code>")
    if len(values) != 1 or not isinstance(values[0], str) or not values[0].isdigit():
        raise ItemRejected(errors.SUB_NOTIFY_DETAILS, "one region_code, a division code")
    code = values[0]
    prefix = prefix_of(code) if len(code) == 12 else code
    if not prefix.startswith(client.region_prefix):
        raise ItemRejected(errors.SUB_NOTIFY_DETAILS,
                           f"region {code} is outside this client's jurisdiction {client.region_prefix}")
    return prefix


def subscribe_run(*, client: Client, actor, txn: Transaction, notify_uri: str) -> dict:
    """``SubscribeResponse`` for the transaction's ``subscribe_request`` (subscriptions created)."""
    responses, created = [], []
    seen: set[str] = set()
    for item in txn.request.get("subscribe_request", []):
        ref = str(item.get("reference_id", "")) if isinstance(item, dict) else ""
        base = {"reference_id": ref, "timestamp": protocol.now_ts()}
        try:
            if not ref or ref in seen:
                raise ItemRejected(errors.SEARCH_REFERENCE_DUPLICATE if ref else errors.SEARCH_REFERENCE_ID,
                                   "reference_id is missing or repeated")
            seen.add(ref)
            criteria = item.get("subscribe_criteria")
            if not isinstance(criteria, dict):
                raise ItemRejected(errors.SUB_NOTIFY_DETAILS, "subscribe_criteria is missing")
            event_type = criteria.get("reg_event_type")
            if event_type not in EventType.values:
                raise ItemRejected(errors.SUB_NOTIFY_TYPES, f"unknown reg_event_type {event_type!r}; known: "
                                   + ", ".join(EventType.values))
            prefix = _region_of_filter(criteria, client)
            if Subscription.objects.filter(client=client, event_type=event_type, region_prefix=prefix,
                                           active=True).exists():
                raise ItemRejected(errors.SUB_ALREADY, "this client already subscribes to this event here")
            subscription = Subscription.objects.create(
                code=f"sub-{secrets.token_hex(8)}", client=client, transaction=txn, reference_id=ref,
                event_type=event_type, region_prefix=prefix, notify_uri=notify_uri)
            created.append(subscription.code)
            responses.append({**base, "status": Status.SUCC, "subscriptions": [{
                "version": "1.0.0", "code": subscription.code, "status": "subscribe", "timestamp": protocol.now_ts(),
                "reg_type": REG_TYPE, "reg_event_type": event_type,
                "filter_type": "predicate", "filter": [{"seq_num": 1, "expression1": {
                    "attribute_name": "region_code", "operator": "eq", "attribute_value": prefix}}],
                "notify_record_type": criteria.get("notify_record_type") or "Person"}]})
        except ItemRejected as exc:
            responses.append({**base, "status": Status.RJCT, "status_reason_code": exc.reason,
                              "status_reason_message": exc.message[:999]})
    message = {"transaction_id": txn.transaction_id, "correlation_id": txn.correlation_id,
               "subscribe_response": responses}
    status = Status.SUCC if created else Status.RJCT
    txn.response, txn.status, txn.completed_at = message, status, timezone.now()
    txn.save(update_fields=["response", "status", "completed_at"])
    audit_record(actor=actor, action="exchange.subscribe", obj=txn, region_code=client.region_prefix,
                 new={"client": client.client_id, "purpose": client.purpose, "message_id": txn.message_id,
                      "subscriptions": created, "status": status})
    callback_create(client=client, action="on-subscribe", url=notify_uri, message=message, status=status,
                    total_count=len(responses))
    return message


def unsubscribe_run(*, client: Client, actor, txn: Transaction, notify_uri: str) -> dict:
    codes = txn.request.get("subscription_codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise errors.DciError(errors.BAD_REQUEST, "message.subscription_codes is a non-empty list of codes")
    statuses, reason, reason_message = [], "", ""
    ended = []
    for code in codes:
        subscription = Subscription.objects.select_for_update().filter(code=code, client=client).first()
        if subscription is None:
            reason, reason_message = errors.UNSUB_CODE, f"no subscription {code} of this client"
            continue
        if not subscription.active:
            reason, reason_message = errors.UNSUB_ALREADY, f"{code} is already unsubscribed"
            statuses.append({"code": code, "status": "unsubscribe"})
            continue
        subscription.active, subscription.ended_at = False, timezone.now()
        subscription.save(update_fields=["active", "ended_at"])
        ended.append(code)
        statuses.append({"code": code, "status": "unsubscribe"})
    status = Status.SUCC if ended else Status.RJCT
    message = {"transaction_id": txn.transaction_id, "correlation_id": txn.correlation_id,
               "timestamp": protocol.now_ts(), "status": status, "subscription_status": statuses}
    if reason:
        message.update({"status_reason_code": reason, "status_reason_message": reason_message})
    txn.response, txn.status, txn.completed_at = message, status, timezone.now()
    txn.save(update_fields=["response", "status", "completed_at"])
    audit_record(actor=actor, action="exchange.unsubscribe", obj=txn, region_code=client.region_prefix,
                 new={"client": client.client_id, "message_id": txn.message_id, "ended": ended, "status": status})
    callback_create(client=client, action="on-unsubscribe", url=notify_uri, message=message, status=status,
                    total_count=len(codes))
    return message


def event_publish(*, event_type: str, person_id: int | None = None, household_id: int | None = None,
                  region_code: str, occurred_on: dt.date, details: dict | None = None) -> None:
    """Queue the fan-out of one registry event to its subscribers (on commit of the caller)."""
    if not Subscription.objects.filter(event_type=event_type, active=True).exists():
        return
    job_enqueue(kind=PUBLISH_JOB, params={
        "event_type": event_type, "person_id": person_id, "household_id": household_id, "region_code": region_code,
        "occurred_on": occurred_on.isoformat(), "details": details or {}}, region_code=region_code)


def event_fan_out(*, event_type: str, person_id: int | None, household_id: int | None, region_code: str,
                  occurred_on: str, details: dict) -> int:
    """One ``notify`` per matching subscription; the record has the subscriber's field set."""
    prefixes = [region_code[:n] for n in range(2, 13)]
    subscriptions = list(Subscription.objects.select_related("client", "transaction").filter(
        event_type=event_type, active=True, region_prefix__in=prefixes, client__is_active=True))
    if not subscriptions:
        return 0
    if person_id is not None:
        people = list(Person.objects.select_related("household").filter(pk=person_id))
    else:
        head = Household.objects.filter(pk=household_id).values_list("head_id", flat=True).first()
        people = list(Person.objects.select_related("household").filter(pk=head))
    with transaction.atomic():
        for subscription in subscriptions:
            client = subscription.client
            records = build_records(people, fields=client.fields, show_uin=True)
            message = {"transaction_id": subscription.transaction.transaction_id, "notify_event": [{
                "reference_id": subscription.code, "timestamp": protocol.now_ts(), "data": {
                    "version": "1.0.0", "reg_type": REG_TYPE, "reg_event_type": event_type,
                    "reg_record_type": "Person",
                    "reg_records": {"event_date": occurred_on, **({"event": details} if details else {}),
                                    "subscription_code": subscription.code, "persons": records}}}]}
            callback_create(client=client, action="notify", url=subscription.notify_uri, message=message,
                            total_count=1, region_code=region_code)
            audit_record(actor=None, action="exchange.notify", object_type="exchange.subscription",
                         object_id=subscription.pk, region_code=region_code,
                         new={"client": client.client_id, "purpose": client.purpose, "event": event_type,
                              "person_ids": [p.pk for p in people]})
    return len(subscriptions)

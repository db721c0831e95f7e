"""Writes of the exchange: clients, transactions (search, subscribe, unsubscribe, department events),
and the callbacks that carry answers and events back to clients. See docs/exchange.md."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError, Forbidden
from dajiuzhu.core.scoping import region_in_scope
from dajiuzhu.regions.models import Region

from . import errors, signing
from .errors import DciError
from .models import AccessToken, Client, Scope, Status, Transaction, TxnKind
from .records import FIELDS


def _may_manage(actor, region_prefix: str) -> bool:
    return region_in_scope(actor, region_prefix, perm="accounts.manage")


@transaction.atomic
def client_register(*, actor, name: str, department, region_prefix: str, purpose: str, scopes: list[str],
                    fields: list[str], public_key: str = "", require_signature: bool = False,
                    rate_limit: int = 600, client_id: str = "") -> tuple[Client, str]:
    """Register a consuming system; returns the client and its secret (shown once, stored hashed)."""
    from dajiuzhu.accounts.models import User  # accounts is above; imported here to keep module import light

    if not _may_manage(actor, region_prefix):
        raise Forbidden(_("you may not register clients for this region"))
    if not purpose.strip():
        raise DomainError(_("say what the client uses the data for"), field="purpose")
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown or not scopes:
        raise DomainError(f"unknown scope {unknown[0] if unknown else ''}; known: {', '.join(Scope.values)}",
                          field="scopes")
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise DomainError(f"unknown field {unknown[0]}; known: {', '.join(FIELDS)}", field="fields")
    region_code = region_prefix.ljust(12, "0")
    if not Region.objects.filter(code=region_code).exists():
        raise DomainError(f"no region {region_code}", field="region_prefix")
    if public_key:
        try:
            signing.load_public_key(public_key)
        except signing.SignatureError as exc:
            raise DomainError(str(exc), field="public_key") from None
    elif require_signature:
        raise DomainError(_("a client that must sign needs a public key"), field="public_key")
    client_id = client_id or f"{department.code}-{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(32)
    user = User.objects.create_user(username=f"dci-{client_id}"[:150], password=None, role="department",
                                    region_id=region_code, department=department, full_name=name[:60])
    client = Client.objects.create(client_id=client_id, name=name, secret_hash=make_password(secret),
                                   department=department, user=user, region_prefix=region_prefix,
                                   purpose=purpose.strip(), scopes=list(scopes), fields=list(fields),
                                   public_key=public_key, require_signature=require_signature, rate_limit=rate_limit)
    audit_record(actor=actor, action="exchange.client_register", obj=client,
                 new={"client_id": client_id, "name": name, "department": department.code, "purpose": purpose,
                      "scopes": scopes, "fields": fields, "region_prefix": region_prefix})
    return client, secret


@transaction.atomic
def client_suspend(*, actor, client: Client, reason: str) -> Client:
    """Stop a client at once: its tokens are revoked and every request is refused from now on."""
    if not _may_manage(actor, client.region_prefix):
        raise Forbidden(_("you may not suspend this client"))
    if not reason.strip():
        raise DomainError(_("give the reason for the suspension"), field="reason")
    client = Client.objects.select_for_update().get(pk=client.pk)
    client.is_active, client.suspended_at, client.suspended_reason = False, timezone.now(), reason.strip()[:200]
    client.save(update_fields=["is_active", "suspended_at", "suspended_reason"])
    AccessToken.objects.filter(client=client, revoked=False).update(revoked=True)
    client.user.is_active = False
    client.user.save(update_fields=["is_active"])
    audit_record(actor=actor, action="exchange.client_suspend", obj=client, new={"reason": reason.strip()})
    return client


@transaction.atomic
def client_resume(*, actor, client: Client) -> Client:
    if not _may_manage(actor, client.region_prefix):
        raise Forbidden(_("you may not resume this client"))
    client = Client.objects.select_for_update().get(pk=client.pk)
    client.is_active, client.suspended_at, client.suspended_reason = True, None, ""
    client.save(update_fields=["is_active", "suspended_at", "suspended_reason"])
    client.user.is_active = True
    client.user.save(update_fields=["is_active"])
    audit_record(actor=actor, action="exchange.client_resume", obj=client, new={})
    return client


@transaction.atomic
def client_secret_rotate(*, actor, client: Client) -> str:
    if not _may_manage(actor, client.region_prefix):
        raise Forbidden(_("you may not change this client"))
    secret = secrets.token_urlsafe(32)
    Client.objects.filter(pk=client.pk).update(secret_hash=make_password(secret))
    AccessToken.objects.filter(client=client, revoked=False).update(revoked=True)
    audit_record(actor=actor, action="exchange.client_secret_rotate", obj=client, new={})
    return secret


def request_refused_record(*, client: Client | None, endpoint: str, code: str, reason: str = "",
                           message_id: str = "") -> None:
    """Audit a refused request (nothing else is written)."""
    with transaction.atomic():
        audit_record(actor=client.user if client else None, action="exchange.refused",
                     object_type="exchange.client", object_id=client.pk if client else "",
                     region_code=client.region_prefix if client else "",
                     new={"client": client.client_id if client else "", "purpose": client.purpose if client else "",
                          "endpoint": endpoint, "code": code, "reason": reason, "message_id": message_id[:99]})


def signature_check(*, client: Client, envelope) -> None:
    if envelope.signature is None:
        if client.require_signature:
            raise DciError(errors.SIGNATURE_MISSING, "this client must sign its requests (signature)")
        return
    if not client.public_key:
        raise DciError(errors.SIGNATURE_INVALID, "no public key is registered for this client")
    try:
        signing.verify(envelope.signature, client.public_key, envelope.header, envelope.message)
    except signing.SignatureError as exc:
        raise DciError(errors.SIGNATURE_INVALID, str(exc)) from None


def transaction_open(*, client: Client, envelope, kind: str, synchronous: bool, reference_ids: list[str],
                     sender_uri: str = "", correlation_id: str = "", response: dict | None = None,
                     status: str | None = None) -> Transaction:
    """Record the message (inside the caller's transaction); a replayed ``message_id`` is refused.
    A synchronous answer computed before may be stored with it (one write instead of two). No savepoint:
    a replay aborts the caller's whole transaction, which is refused anyway (two round trips fewer)."""
    try:
        with transaction.atomic(savepoint=False):
            return Transaction.objects.create(
                client=client, message_id=envelope.message_id, transaction_id=str(envelope.message["transaction_id"]),
                correlation_id=correlation_id or uuid.uuid4().hex, kind=kind, synchronous=synchronous,
                status=status or (Status.RCVD if not synchronous else Status.PDNG), reference_ids=reference_ids,
                request=envelope.message, sender_uri=sender_uri, response=response,
                completed_at=timezone.now() if response is not None else None)
    except IntegrityError:
        raise DciError(errors.BAD_REQUEST, f"message_id {envelope.message_id} was already received",
                       reason=errors.RJCT_MESSAGE_ID_DUPLICATE, status=409) from None


def transaction_complete(txn: Transaction, *, response: dict, status: str) -> None:
    txn.response, txn.status, txn.completed_at = response, status, timezone.now()
    txn.save(update_fields=["response", "status", "completed_at"])


def txn_status_message(*, client: Client, message: dict) -> dict:
    """``TxnStatusResponse`` for a ``TxnStatusRequest`` of the client's own transactions."""
    request = message.get("txnstatus_request")
    if not isinstance(request, dict):
        raise DciError(errors.BAD_REQUEST, "message.txnstatus_request is missing")
    missing = [f for f in ("reference_id", "txn_type", "attribute_type", "attribute_value") if f not in request]
    if missing:
        raise DciError(errors.BAD_REQUEST, f"txnstatus_request lacks {', '.join(missing)}")
    txn_type, attribute, value = request["txn_type"], request["attribute_type"], request["attribute_value"]
    kinds = {"search": TxnKind.SEARCH, "subscribe": TxnKind.SUBSCRIBE, "subscibe": TxnKind.SUBSCRIBE,
             "unsubscribe": TxnKind.UNSUBSCRIBE, "receipt": TxnKind.PUSH, "notify": TxnKind.PUSH}
    if txn_type not in kinds:
        raise DciError(errors.BAD_REQUEST, "txn_type is search, subscribe, unsubscribe or receipt")
    qs = Transaction.objects.filter(client=client, kind=kinds[txn_type])
    if attribute == "transaction_id":
        qs = qs.filter(transaction_id=str(value))
    elif attribute == "correlation_id":
        qs = qs.filter(correlation_id=str(value))
    elif attribute == "reference_id_list":
        if not isinstance(value, list) or not value:
            raise DciError(errors.BAD_REQUEST, "attribute_value is a list of reference ids")
        wanted = {str(v) for v in value}
        ids = [t.pk for t in qs.order_by("-received_at")[:500] if wanted & set(t.reference_ids)]
        qs = qs.filter(pk__in=ids)
    else:
        raise DciError(errors.BAD_REQUEST, "attribute_type is transaction_id, reference_id_list or correlation_id")
    txn = qs.order_by("-received_at").first()
    if txn is None:
        raise DciError(errors.NOT_FOUND, "no such transaction of this client", status=404)
    status = {"transaction_id": txn.transaction_id, "correlation_id": txn.correlation_id, "status": txn.status}
    if txn.response:
        status.update(txn.response)
    return {"transaction_id": str(message.get("transaction_id")), "correlation_id": txn.correlation_id,
            "txnstatus_response": {"txn_type": txn_type, "txn_status": status}}


def today() -> dt.date:
    return timezone.localdate()

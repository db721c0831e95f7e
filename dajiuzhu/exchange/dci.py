"""The HTTP face of the exchange: a NinjaAPI of its own at ``/api/dci/`` (OpenAPI at
``/api/dci/openapi.json``, browsable at ``/api/dci/docs``), speaking the SPDCI Social Registry API
v1.0.0 envelope. Bodies are read as the standard defines them (not through pydantic models), so
every refusal carries the standard's codes in ``application/json`` — never problem+json. Ninja
views are exempt from CSRF (bearer tokens, no cookies)."""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable
from urllib.parse import parse_qs

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from ninja import NinjaAPI

from dajiuzhu.core.jobs import job_enqueue
from dajiuzhu.core.swagger import LocalSwagger

from . import auth, errors, protocol
from .callbacks import callback_create
from .errors import DciError
from .events import subscribe_run, unsubscribe_run
from .jobs import SEARCH_JOB
from .models import Client, Scope, Status, TxnKind
from .openapi import BODY, RESPONSES, TOKEN_BODY
from .pushes import push_run
from .search import reference_ids, search_answer, search_audit
from .services import request_refused_record, signature_check, transaction_open, txn_status_message
from .urlsafety import UnsafeUrl, check_callback_url

log = logging.getLogger(__name__)

class _DciApi(NinjaAPI):
    """Declares the bearer scheme the operations name (they authenticate themselves, in ``_handle``)."""

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        schema["components"].setdefault("securitySchemes", {})["Authorization"] = {
            "type": "http", "scheme": "bearer",
            "description": "OAuth2 client credentials: POST /api/dci/oauth2/token (docs/exchange.md)"}
        return schema


dci_api = _DciApi(
    title="Dajiuzhu open registry API (SPDCI Social Registry v1.0.0)",
    version="1.0.0",
    description=("The SPDCI Social Registry API v1.0.0 (spdci/standards, release/yaml/social_api_v1.0.0.yaml) "
                 "over the county registry. OAuth2 client credentials at /api/dci/oauth2/token; see docs/exchange.md."),
    urls_namespace="dci",
    docs_url="/docs",
    docs=LocalSwagger(),  # vendored swagger-ui, no CDN, no inline script (strict CSP)
)


@dci_api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    """An unexpected failure is the standard's HttpErrorResponse (500), logged with its traceback."""
    log.exception("DCI request %s failed", request.path)
    return JsonResponse({"errors": [{"code": errors.UNAVAILABLE, "message": "internal error; try again later"}]},
                        status=500)


def _sender_uri(envelope) -> str:
    try:
        return check_callback_url(envelope.sender_uri)
    except UnsafeUrl as exc:
        raise DciError(errors.SENDER_URI, str(exc)) from None


def _handle(request: HttpRequest, *, endpoint: str, action: str, scope: str | None,
            run: Callable[[Client, object, protocol.Envelope], JsonResponse]) -> JsonResponse:
    client = None
    message_id = ""
    try:
        client, actor, _token = auth.authenticate(request, scope=scope)
        envelope = protocol.parse(request.body, action=action, client_id=client.client_id)
        message_id = envelope.message_id
        signature_check(client=client, envelope=envelope)
        return run(client, actor, envelope)
    except DciError as exc:
        request_refused_record(client=client, endpoint=endpoint, code=exc.code, reason=exc.reason,
                               message_id=message_id)
        return protocol.error_response(exc, action=action, client_id=client.client_id if client else "")


def _op(path: str, operation_id: str, summary: str, schema: str, tags: list[str]):
    return dci_api.post(path, operation_id=operation_id, summary=summary, tags=tags, auth=None,
                        openapi_extra={"requestBody": BODY[schema], "responses": RESPONSES[schema],
                                       "security": [{"Authorization": []}]})


@_op("/registry/sync/search", "post_reg_sync_search", "Search the registry and answer at once", "sync_search",
     ["Sync"])
def sync_search(request):
    def run(client, actor, envelope):
        refs = reference_ids(envelope.message, "search_request")
        message, status, returned = search_answer(
            client=client, actor=actor, message=envelope.message, transaction_id=str(envelope.message["transaction_id"]),
            correlation_id=uuid.uuid4().hex)
        with transaction.atomic():
            txn = transaction_open(client=client, envelope=envelope, kind=TxnKind.SEARCH, synchronous=True,
                                   reference_ids=refs, correlation_id=message["correlation_id"], response=message,
                                   status=status)
            search_audit(client=client, actor=actor, txn=txn, returned=returned)
        done = sum(1 for r in message["search_response"] if r["status"] == Status.SUCC)
        header = protocol.callback_header(action="on-search", client_id=client.client_id, status=txn.status,
                                          total_count=len(refs), completed_count=done)
        return JsonResponse({"header": header, "message": message})

    return _handle(request, endpoint="sync/search", action="search", scope=Scope.SEARCH, run=run)


@_op("/registry/search", "post_reg_search", "Search; the result is POSTed to sender_uri as on-search", "search",
     ["Async"])
def search(request):
    def run(client, actor, envelope):
        refs = reference_ids(envelope.message, "search_request")
        uri = _sender_uri(envelope)
        with transaction.atomic():
            txn = transaction_open(client=client, envelope=envelope, kind=TxnKind.SEARCH, synchronous=False,
                                   reference_ids=refs, sender_uri=uri)
            job_enqueue(kind=SEARCH_JOB, params={"transaction_id": txn.pk}, region_code=client.region_prefix)
        return protocol.ack(txn.correlation_id)

    return _handle(request, endpoint="search", action="search", scope=Scope.SEARCH, run=run)


@_op("/registry/subscribe", "post_reg_subscribe", "Subscribe to registry events (on-subscribe, then notify)",
     "subscribe", ["Async"])
def subscribe(request):
    def run(client, actor, envelope):
        refs = reference_ids(envelope.message, "subscribe_request")
        uri = _sender_uri(envelope)
        with transaction.atomic():
            txn = transaction_open(client=client, envelope=envelope, kind=TxnKind.SUBSCRIBE, synchronous=False,
                                   reference_ids=refs, sender_uri=uri)
            subscribe_run(client=client, actor=actor, txn=txn, notify_uri=uri)
        return protocol.ack(txn.correlation_id)

    return _handle(request, endpoint="subscribe", action="subscribe", scope=Scope.SUBSCRIBE, run=run)


@_op("/registry/unsubscribe", "post_reg_unsubscribe", "End subscriptions (on-unsubscribe)", "unsubscribe",
     ["Async"])
def unsubscribe(request):
    def run(client, actor, envelope):
        uri = _sender_uri(envelope)
        with transaction.atomic():
            txn = transaction_open(client=client, envelope=envelope, kind=TxnKind.UNSUBSCRIBE, synchronous=False,
                                   reference_ids=[], sender_uri=uri)
            unsubscribe_run(client=client, actor=actor, txn=txn, notify_uri=uri)
        return protocol.ack(txn.correlation_id)

    return _handle(request, endpoint="unsubscribe", action="unsubscribe", scope=Scope.SUBSCRIBE, run=run)


@_op("/registry/txn/status", "post_reg_txnstatus", "Status of an earlier transaction, POSTed as txn-on-status",
     "txn_status", ["Async"])
def txn_status(request):
    def run(client, actor, envelope):
        uri = _sender_uri(envelope)
        message = txn_status_message(client=client, message=envelope.message)
        with transaction.atomic():
            txn = transaction_open(client=client, envelope=envelope, kind=TxnKind.TXN_STATUS, synchronous=False,
                                   reference_ids=[], sender_uri=uri)
            txn.response, txn.status = message, Status.SUCC
            txn.save(update_fields=["response", "status"])
            callback_create(client=client, action="txn-on-status", url=uri, message=message, total_count=1)
        return protocol.ack(txn.correlation_id)

    return _handle(request, endpoint="txn/status", action="txn-status", scope=None, run=run)


@_op("/registry/sync/txn/status", "post_reg_sync_txnstatus", "Status of an earlier transaction, at once",
     "sync_txn_status", ["Sync"])
def sync_txn_status(request):
    def run(client, actor, envelope):
        message = txn_status_message(client=client, message=envelope.message)
        header = protocol.callback_header(action="txn-on-status", client_id=client.client_id, status=Status.SUCC,
                                          total_count=1, completed_count=1)
        return JsonResponse({"header": header, "message": message})

    return _handle(request, endpoint="sync/txn/status", action="txn-status", scope=None,
                   run=run)


@_op("/registry/notify", "post_reg_notify", "A department pushes its events (death, hospital admission, "
     "disability certificate, unemployment registration)", "notify", ["Department events"])
def notify(request):
    def run(client, actor, envelope):
        refs = reference_ids(envelope.message, "notify_event")
        with transaction.atomic():
            txn = transaction_open(client=client, envelope=envelope, kind=TxnKind.PUSH, synchronous=True,
                                   reference_ids=refs)
        message = push_run(client=client, actor=actor, txn=txn)
        body = protocol.ack(txn.correlation_id)
        payload = json.loads(body.content)
        payload["message"]["notify_response"] = message["notify_response"]
        return JsonResponse(payload)

    return _handle(request, endpoint="notify", action="notify", scope=Scope.PUSH, run=run)


def _token_error(error: str, description: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="dci"'
    return response


@dci_api.post("/oauth2/token", operation_id="oauth2_token", summary="OAuth2 client credentials: a bearer token",
              tags=["Authorization"], auth=None,
              openapi_extra={"requestBody": TOKEN_BODY, "responses": RESPONSES["token"]})
def token(request):
    """RFC 6749 section 4.4: ``grant_type=client_credentials``, the client authenticated by HTTP Basic or
    ``client_id``/``client_secret`` in the form (or a JSON body)."""
    started = time.perf_counter()
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("application/json"):
        try:
            form = json.loads(request.body or b"{}")
        except ValueError:
            form = None
        if not isinstance(form, dict):
            return _token_error("invalid_request", "the body is not a JSON object", 400)
        form = {k: str(v) for k, v in form.items()}
    else:
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    basic = request.META.get("HTTP_AUTHORIZATION", "")
    if basic.lower().startswith("basic "):
        try:
            client_id, _sep, secret = base64.b64decode(basic[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return _token_error("invalid_client", "malformed Basic credentials", 401)
    if form.get("grant_type") != "client_credentials":
        return _token_error("unsupported_grant_type", "grant_type must be client_credentials", 400)
    try:
        client = auth.client_authenticate(client_id, secret)
        raw, issued = auth.token_issue(client=client, scope=form.get("scope", ""))
    except auth.TokenRefused as exc:
        known = Client.objects.filter(client_id=client_id).first()
        request_refused_record(client=known, endpoint="oauth2/token", code=exc.error)
        return _token_error(exc.error, exc.description, exc.status)
    response = JsonResponse({"access_token": raw, "token_type": "Bearer", "expires_in": auth.token_seconds(),
                             "scope": " ".join(issued.scopes)})
    response["Cache-Control"] = "no-store"
    response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response

"""Callbacks to clients: ``on-search``, ``on-subscribe``, ``on-unsubscribe`` and ``notify``.

Each is a ``Callback`` row, POSTed by a job (``exchange.callback``); a 2xx answer whose body is not an
``ERR`` acknowledgement delivers it. Otherwise it is retried after ``DCI_CALLBACK_BACKOFF_SECONDS`` ×
2^(attempts−1) (30 s, 1 min, 2 min, … by default) until ``DCI_CALLBACK_MAX_ATTEMPTS`` (8), then it is a
dead letter (the staff page lists them and can send them again). Retries are enqueued by the beat
entry ``exchange-callbacks-due`` every 30 seconds (``callbacks_retry_due``), and sooner by a timer in
the embedded (thread) mode or a countdown task under Celery."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import urllib.error
import urllib.request

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import Forbidden
from dajiuzhu.core.jobs import job_enqueue
from dajiuzhu.core.scoping import region_in_scope

from . import protocol
from .models import Callback, CallbackStatus, Client
from .urlsafety import UnsafeUrl, check_callback_url

log = logging.getLogger(__name__)
JOB = "exchange.callback"


def backoff_seconds() -> float:
    return float(getattr(settings, "DCI_CALLBACK_BACKOFF_SECONDS", 30))


def max_attempts() -> int:
    return int(getattr(settings, "DCI_CALLBACK_MAX_ATTEMPTS", 8))


def timeout_seconds() -> float:
    return float(getattr(settings, "DCI_CALLBACK_TIMEOUT_SECONDS", 10))


def callback_create(*, client: Client, action: str, url: str, message: dict, status: str = "succ",
                    total_count: int = 0, region_code: str = "") -> Callback:
    """Queue one callback (enqueued on commit of the caller's transaction)."""
    header = protocol.callback_header(action=action, client_id=client.client_id, status=status,
                                      total_count=total_count, completed_count=total_count)
    callback = Callback.objects.create(client=client, action=action, url=url, message_id=header["message_id"],
                                       body={"header": header, "message": message},
                                       region_code=region_code or client.region_prefix,
                                       next_attempt_at=timezone.now())
    job_enqueue(kind=JOB, params={"callback_id": callback.pk}, region_code=client.region_prefix)
    return callback


def _post(url: str, body: dict) -> tuple[bool, str]:
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 - http(s) only, checked before
                                     headers={"Content-Type": "application/json", "User-Agent": "dajiuzhu-dci/1.0"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        # S310: the scheme is http(s), checked by check_callback_url before every attempt.
        with opener.open(request, timeout=timeout_seconds()) as response:  # noqa: S310
            text = response.read(65536)
            status = response.status
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"[:300]
    if not 200 <= status < 300:
        return False, f"HTTP {status}"
    try:
        answer = json.loads(text) if text else {}
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and isinstance(answer.get("message"), dict) \
            and answer["message"].get("ack_status") == "ERR":
        return False, "the receiver answered ERR: " + json.dumps(answer["message"].get("error", ""))[:200]
    return True, ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A callback never follows a redirect (it could lead to a private address)."""

    def redirect_request(self, *args, **kwargs):
        return None


def callback_attempt(*, callback_id: int) -> str:
    """Try one delivery now; returns the callback's status afterwards."""
    with transaction.atomic():
        callback = Callback.objects.select_for_update().select_related("client").filter(pk=callback_id).first()
        if callback is None or callback.status != CallbackStatus.PENDING:
            return callback.status if callback else "missing"
        if callback.next_attempt_at and callback.next_attempt_at > timezone.now() + dt.timedelta(seconds=1):
            return callback.status  # not due yet (a sweep and a timer raced)
        callback.attempts += 1
        callback.next_attempt_at = timezone.now() + dt.timedelta(minutes=5)  # held while this attempt runs
        callback.save(update_fields=["attempts", "next_attempt_at"])
    try:
        url = check_callback_url(callback.url)
        ok, error = _post(url, callback.body)
    except UnsafeUrl as exc:
        ok, error = False, f"unsafe address: {exc}"
    with transaction.atomic():
        callback = Callback.objects.select_for_update().get(pk=callback_id)
        if ok:
            callback.status, callback.delivered_at, callback.last_error = CallbackStatus.DELIVERED, timezone.now(), ""
            callback.next_attempt_at = None
        elif callback.attempts >= max_attempts():
            callback.status, callback.last_error, callback.next_attempt_at = CallbackStatus.DEAD, error, None
            audit_record(actor=None, action="exchange.callback_dead", obj=callback, region_code=callback.region_code,
                         new={"client": callback.client.client_id, "action": callback.action,
                              "attempts": callback.attempts, "error": error})
        else:
            delay = backoff_seconds() * (2 ** (callback.attempts - 1))
            callback.last_error = error
            callback.next_attempt_at = timezone.now() + dt.timedelta(seconds=delay)
            transaction.on_commit(lambda: _schedule_retry(callback_id, delay))
        callback.save(update_fields=["status", "delivered_at", "last_error", "next_attempt_at"])
    if not ok:
        log.warning("callback %s (%s) to client %s failed: %s", callback_id, callback.action,
                    callback.client.client_id, error)
    return callback.status


def _schedule_retry(callback_id: int, delay: float) -> None:
    backend = settings.JOBS_BACKEND
    if backend == "thread":
        timer = threading.Timer(delay, lambda: _enqueue_now(callback_id))
        timer.daemon = True
        timer.start()
    elif backend == "celery":
        from .tasks import retry_callback

        retry_callback.apply_async(args=[callback_id], countdown=delay)
    # inline (tests, commands): the sweep ``callbacks_retry_due`` picks it up.


def _enqueue_now(callback_id: int) -> None:
    from django.db import close_old_connections

    try:
        with transaction.atomic():
            job_enqueue(kind=JOB, params={"callback_id": callback_id})
    finally:
        close_old_connections()


def callbacks_retry_due(*, now: dt.datetime | None = None) -> int:
    """Enqueue an attempt for every pending callback whose time has come."""
    now = now or timezone.now()
    due = list(Callback.objects.filter(status=CallbackStatus.PENDING, next_attempt_at__lte=now)
               .values_list("pk", "client__region_prefix")[:1000])
    with transaction.atomic():
        for pk, prefix in due:
            Callback.objects.filter(pk=pk).update(next_attempt_at=now)
            job_enqueue(kind=JOB, params={"callback_id": pk}, region_code=prefix)
    return len(due)


@transaction.atomic
def callback_resend(*, actor, callback: Callback) -> Callback:
    """Send a dead letter again (a staff action): attempts start afresh."""
    if not region_in_scope(actor, callback.client.region_prefix, perm="accounts.manage"):
        raise Forbidden(_("you may not resend this callback"))
    callback = Callback.objects.select_for_update().get(pk=callback.pk)
    callback.status, callback.attempts, callback.next_attempt_at = CallbackStatus.PENDING, 0, timezone.now()
    callback.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit_record(actor=actor, action="exchange.callback_resend", obj=callback, region_code=callback.region_code,
                 new={"client": callback.client.client_id, "action": callback.action})
    job_enqueue(kind=JOB, actor=actor, params={"callback_id": callback.pk})
    return callback

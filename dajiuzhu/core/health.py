"""Health checks for load balancers and monitors, one endpoint per part of a deployment.

- ``/healthz``         the web process answers and the database runs a query;
- ``/healthz/cache``   the cache (Redis in production) stores and returns a value;
- ``/healthz/broker``  the Celery broker accepts a connection;
- ``/healthz/worker``  a Celery worker answered a ping recently (a successful ping is
  remembered for ``HEALTH_WORKER_FRESH_SECONDS``, so probes do not flood the broker).

Each answers JSON ``{"status": "ok" | "error", ...}`` with HTTP 200 or 503, needs no login,
and never shows a stack trace or a secret (broker URLs are shown without credentials).
"""

from __future__ import annotations

import functools
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

_last_worker_ping: dict[str, float] = {}


def _answer(checks: dict[str, str], **extra) -> JsonResponse:
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks, **extra}, status=200 if healthy else 503)


def _public_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def check_database(alias: str = "default") -> str:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure is "error"
        return "error"
    return "ok"


def check_cache() -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception:  # noqa: BLE001
        return "error"
    return "ok" if ok else "error"


def check_broker(url: str | None = None, *, timeout: float = 2.0) -> str:
    from kombu import Connection

    try:
        with Connection(url or settings.CELERY_BROKER_URL, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception:  # noqa: BLE001
        return "error"
    return "ok"


@functools.lru_cache(maxsize=4)
def _control_app(url: str):
    from celery import Celery

    return Celery("dajiuzhu-health", broker=url, set_as_current=False)


def ping_workers(url: str | None = None, *, timeout: float = 1.0) -> list[str]:
    """Names of the workers that answered a ping on the broker."""
    url = url or settings.CELERY_BROKER_URL
    app = _control_app(url)
    # An explicit connection: Celery would otherwise prefer a CELERY_BROKER_URL environment variable
    # over the URL asked for here.
    with app.connection_for_write(url) as connection:
        replies = app.control.ping(timeout=timeout, connection=connection)
    return sorted(name for reply in replies for name in reply)


def check_worker(url: str | None = None) -> tuple[str, dict]:
    url = url or settings.CELERY_BROKER_URL
    fresh = getattr(settings, "HEALTH_WORKER_FRESH_SECONDS", 30)
    last = _last_worker_ping.get(url)
    if last is not None and time.monotonic() - last < fresh:
        return "ok", {"answered_seconds_ago": round(time.monotonic() - last, 1)}
    try:
        workers = ping_workers(url)
    except Exception:  # noqa: BLE001
        return "error", {"workers": 0}
    if workers:
        _last_worker_ping[url] = time.monotonic()
        return "ok", {"workers": len(workers), "answered_seconds_ago": 0}
    _last_worker_ping.pop(url, None)
    return "error", {"workers": 0}


@never_cache
@require_GET
def healthz(request):
    """Web + database (and the read replica when one is configured)."""
    checks = {"web": "ok", "database": check_database()}
    if "replica" in settings.DATABASES:
        checks["replica"] = check_database("replica")
    return _answer(checks)


@never_cache
@require_GET
def healthz_cache(request):
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return _answer({"cache": check_cache()}, backend=backend)


@never_cache
@require_GET
def healthz_broker(request):
    return _answer({"broker": check_broker()}, url=_public_url(settings.CELERY_BROKER_URL))


@never_cache
@require_GET
def healthz_worker(request):
    status, extra = check_worker()
    return _answer({"worker": status}, **extra)

"""Health-check endpoints, against the services this machine runs (no mocks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.test import override_settings

from dajiuzhu.core import health
from dajiuzhu.core.testing import redis_reachable, stop_process_group

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
ROOT = Path(__file__).resolve().parents[3]


def _redis_running() -> bool:
    return redis_reachable(REDIS_HOST, REDIS_PORT)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


needs_redis = pytest.mark.skipif(not _redis_running(), reason="Redis is not running on 127.0.0.1:6379")
REDIS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                           "LOCATION": f"redis://{REDIS_HOST}:{REDIS_PORT}/15"}}


@pytest.mark.django_db
def test_healthz_reports_web_and_database_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "web": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_cache_with_the_configured_cache(client):
    response = client.get("/healthz/cache")
    assert response.status_code == 200 and response.json()["cache"] == "ok"


@pytest.mark.services
@needs_redis
@pytest.mark.django_db
def test_healthz_cache_on_redis_and_when_redis_is_unreachable(client):
    with override_settings(CACHES=REDIS_CACHE):
        response = client.get("/healthz/cache")
        assert response.status_code == 200 and response.json()["backend"] == "RedisCache"
    unreachable = {"default": {**REDIS_CACHE["default"], "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0"}}
    with override_settings(CACHES=unreachable):
        response = client.get("/healthz/cache")
        assert response.status_code == 503 and response.json() == {"status": "error", "cache": "error",
                                                                  "backend": "RedisCache"}


@pytest.mark.services
@needs_redis
@pytest.mark.django_db
def test_healthz_broker_reachable_and_unreachable_without_showing_credentials(client):
    with override_settings(CELERY_BROKER_URL=f"redis://:secret@{REDIS_HOST}:{REDIS_PORT}/13"):
        # Redis without a password accepts the connection; the password never appears in the answer.
        response = client.get("/healthz/broker")
        assert "secret" not in response.content.decode()
    with override_settings(CELERY_BROKER_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/13"):
        response = client.get("/healthz/broker")
        assert response.status_code == 200 and response.json()["broker"] == "ok"
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        response = client.get("/healthz/broker")
        assert response.status_code == 503 and response.json()["broker"] == "error"


@pytest.mark.services
@pytest.mark.slow
@needs_redis
@pytest.mark.django_db
def test_healthz_worker_is_error_without_a_worker_and_ok_once_one_answers(client, tmp_path):
    # The broker the environment names, if any: Celery lets a CELERY_BROKER_URL variable win over
    # a URL given in code, so the worker and this process must agree on it.
    broker = os.environ.get("CELERY_BROKER_URL") or f"redis://{REDIS_HOST}:{REDIS_PORT}/12"
    health._last_worker_ping.clear()
    name = f"health-{uuid.uuid4().hex[:8]}@test"
    with override_settings(CELERY_BROKER_URL=broker, HEALTH_WORKER_FRESH_SECONDS=30):
        assert name not in health.ping_workers(broker)
        if not health.ping_workers(broker):
            assert client.get("/healthz/worker").status_code == 503
        log = tmp_path / "worker.log"
        env = {**os.environ, "CELERY_BROKER_URL": broker, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite3'}",
               "DAJIUZHU_VAR_DIR": str(tmp_path)}
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-n", name,
             "-Q", f"health-{name}", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"), start_new_session=True)
        try:
            # Generous: a loaded CI machine can take a while to import Django and Celery in the worker.
            deadline = time.monotonic() + 150
            while True:
                # A fresh control connection each time: a cached one may be stale after earlier tests.
                health._control_app.cache_clear()
                if name in health.ping_workers(broker, timeout=2.0):
                    break
                assert worker.poll() is None, f"the worker exited: {log.read_text()[-2000:]}"
                assert time.monotonic() < deadline, f"the worker never answered: {log.read_text()[-2000:]}"
            health._last_worker_ping.clear()
            response = client.get("/healthz/worker")
            assert response.status_code == 200 and response.json()["worker"] == "ok"
        finally:
            stop_process_group(worker)
    health._last_worker_ping.clear()

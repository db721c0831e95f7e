"""The open registry API under load: ``sync/search`` by resident ID number from 50 concurrent clients
(each waiting 2 s between requests, as ``bench/decision_load`` does: a bounded offered load),
and the time from a death pushed by a department to the early-warning alert of the household.

A gunicorn server (2 worker processes × 25 threads, the embedded ``thread`` job backend) is started on a
free loopback port against the benchmark database; first one client alone sends searches one after
the other (the service time), then 50 client threads each send sync searches for random people of
the registry, 2 s apart (a new connection per request, as simple integrators do); the p50/p95/p99
latencies are taken over all of them. Then a police client pushes
the death of a living household head (``POST /registry/notify``) and the module polls for that
household's alert: the figure is the time from the push until the alert row exists (the scan of the
household's village runs as a job in the server). The person's death is undone afterwards (the
module's writes are rolled back by hand: person, facts, alert), so runs repeat on the same data.

Standalone: ``python -m bench --only exchange --people 1000000``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

TITLE = "Open registry API: sync/search by identifier at 50 concurrent clients; pushed death to alert"
POSTGRES_ONLY = True  # the server processes share the database with this process
ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 50
THINK = 2.0  # seconds each client waits between requests: at most 25 requests/s offered (as bench/decision_load)


def _quantiles(values: list[float]) -> list[float]:
    if len(values) < 2:
        return [values[0] if values else 0.0] * 99
    return statistics.quantiles(values, n=100)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict | bytes, token: str = "", content_type: str = "application/json",
          basic: str = "") -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if basic:
        headers["Authorization"] = f"Basic {basic}"
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)  # noqa: S310 - loopback http
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _clients() -> dict[str, tuple[str, str]]:
    """The benchmark's search and push clients (created once), with fresh secrets."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from dajiuzhu.accounts.departments import ensure_departments
    from dajiuzhu.accounts.models import Department, User
    from dajiuzhu.exchange.models import Client
    from dajiuzhu.exchange.services import client_register, client_secret_rotate

    ensure_departments()
    admin = User.objects.filter(role="county_admin", region_id="371424000000").first()
    if admin is None:
        admin = User.objects.create_user(username="bench-exchange-admin", password=None, role="county_admin",
                                         region_id="371424000000")
    out = {}
    with transaction.atomic():
        for client_id, department, scopes, fields in (
                ("bench-yibao", "medical_insurance", ["registry.search"], ["name", "sex", "birth_date", "roster"]),
                ("bench-gongan", "police", ["registry.push"], [])):
            client = Client.objects.filter(client_id=client_id).first()
            if client is None:
                client, secret = client_register(actor=admin, name=client_id, department=Department.objects.get(
                    code=department), region_prefix="371424", purpose="benchmark", scopes=scopes, fields=fields,
                    client_id=client_id, rate_limit=10_000_000)
            else:
                secret = client_secret_rotate(actor=admin, client=client)
            # A hasher the server process has whatever this one's settings are (the test suite adds a fast one).
            Client.objects.filter(pk=client.pk).update(secret_hash=make_password(secret, hasher="pbkdf2_sha256"))
            out[client_id] = (client_id, secret)
    return out


def _token(base: str, client_id: str, secret: str) -> str:
    import base64

    status, body = _post(f"{base}/api/dci/oauth2/token", b"grant_type=client_credentials",
                         content_type="application/x-www-form-urlencoded",
                         basic=base64.b64encode(f"{client_id}:{secret}".encode()).decode())
    if status != 200:
        raise RuntimeError(f"token refused: {body}")
    return body["access_token"]


def _search_body(client_id: str, number: str) -> dict:
    now = dt.datetime.now(dt.UTC).isoformat()
    return {"header": {"version": "1.0.0", "message_id": uuid.uuid4().hex, "message_ts": now, "action": "search",
                       "sender_id": client_id, "total_count": 1},
            "message": {"transaction_id": uuid.uuid4().hex, "search_request": [{
                "reference_id": "r1", "timestamp": now,
                "search_criteria": {"query_type": "idtype-value", "query": {"type": "UIN", "value": number}}}]}}


def _start_server(port: int) -> subprocess.Popen:
    from dajiuzhu.core.dburl import database_url

    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_DEBUG": "0", "DAJIUZHU_JOBS": "thread",
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "DCI_CALLBACK_ALLOW_PRIVATE": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--threads", "25",
         "--log-level", "warning", "--timeout", "120"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start within 60 s")


def run(people: int, **context) -> dict:
    from django.db import connection

    from bench.common import Skip
    from dajiuzhu.alerts.models import Alert, AlertSignal
    from dajiuzhu.core.testing import stop_process_group
    from dajiuzhu.registry.models import Household, MemberFacts, Person

    if connection.vendor != "postgresql":
        raise Skip("PostgreSQL only: the server processes share the database")
    smoke = bool(context.get("smoke"))
    per_client = 2 if smoke else 12
    rng = random.Random(context.get("seed", 371424) + context.get("repeat_index", 0))
    ids = list(Person.objects.filter(deceased_on__isnull=True, household__isnull=False)
               .order_by("?").values_list("pk", flat=True)[:2000])
    numbers = [p.id_number for p in Person.objects.filter(pk__in=ids[:500])]
    registry_size = Person.objects.count()
    credentials = _clients()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(port)
    try:
        search_token = _token(base, *credentials["bench-yibao"])
        # warm both workers' connections and caches
        for number in numbers[:10]:
            _post(f"{base}/api/dci/registry/sync/search", _search_body("bench-yibao", number), search_token)
        def one(number: str) -> tuple[float, bool, int]:
            started = time.perf_counter()
            status, body = _post(f"{base}/api/dci/registry/sync/search", _search_body("bench-yibao", number),
                                 search_token)
            found = status == 200 and body["message"]["search_response"][0].get("pagination", {}) \
                .get("total_count") == 1
            return time.perf_counter() - started, found, status

        # one client alone: the service time
        alone = [one(rng.choice(numbers))[0] for _ in range(10 if smoke else 100)]
        alone_q = _quantiles(alone)

        # 50 clients, each waiting THINK seconds between requests (bounded offered load)
        latencies: list[float] = []
        failures: list[int] = []
        lock = threading.Lock()

        def worker(seed: float) -> None:
            local = random.Random(seed)
            time.sleep(local.uniform(0, THINK))  # spread the first requests
            mine, bad = [], []
            for _ in range(per_client):
                elapsed, found, status = one(local.choice(numbers))
                (mine if found else bad).append(elapsed if found else status)
                time.sleep(THINK)
            with lock:
                latencies.extend(mine)
                failures.extend(bad)

        threads = [threading.Thread(target=worker, args=(rng.random(),)) for _ in range(CONCURRENCY)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        quantiles = _quantiles(latencies)

        # a pushed death to the alert
        push_token = _token(base, *credentials["bench-gongan"])
        living = Person.objects.select_related("household").filter(deceased_on__isnull=True, household__isnull=False)
        head = living.filter(pk__in=ids[500:]).exclude(household__alerts__isnull=False).first() \
            or living.exclude(household__alerts__isnull=False).exclude(pk__in=ids[:20]).first() or living.first()
        household = head.household
        died = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        before_alerts = set(Alert.objects.filter(household=household).values_list("pk", flat=True))
        body = {"header": {"version": "1.0.0", "message_id": uuid.uuid4().hex,
                           "message_ts": dt.datetime.now(dt.UTC).isoformat(), "action": "notify",
                           "sender_id": "bench-gongan", "total_count": 1},
                "message": {"transaction_id": uuid.uuid4().hex, "notify_event": [{
                    "reference_id": "e1", "timestamp": dt.datetime.now(dt.UTC).isoformat(), "data": {
                        "reg_event_type": "death", "reg_records": {
                            "identifier": [{"identifier_type": "UIN", "identifier_value": head.id_number}],
                            "event_date": died}}}]}}
        pushed = time.perf_counter()
        status, answer = _post(f"{base}/api/dci/registry/notify", body, push_token)
        acknowledged = time.perf_counter() - pushed
        alert_seconds = None
        while time.perf_counter() - pushed < (20 if smoke else 120):
            if Alert.objects.filter(household=household).exclude(pk__in=before_alerts).exists():
                alert_seconds = time.perf_counter() - pushed
                break
            time.sleep(0.05)
        # undo the death and its alert so the next run finds the same registry
        new_alerts = Alert.objects.filter(household=household).exclude(pk__in=before_alerts)
        AlertSignal.objects.filter(alert__in=new_alerts).delete()
        new_alerts.delete()
        Person.objects.filter(pk=head.pk).update(deceased_on=None)
        MemberFacts.objects.filter(person=head, as_of=died, source="department").delete()
        households = Household.objects.filter(region_code=household.region_code).count()
    finally:
        stop_process_group(server)
    return {"figures": [
        {"name": "sync/search by UIN, p95, 50 clients, think 2 s (at most 25 req/s offered)",
         "value": round(quantiles[94] * 1000, 1), "unit": "ms", "target": 1000, "better": "lower"},
        {"name": "sync/search p50, 50 clients", "value": round(quantiles[49] * 1000, 1), "unit": "ms"},
        {"name": "sync/search p99, 50 clients", "value": round(quantiles[98] * 1000, 1), "unit": "ms"},
        {"name": "throughput, 50 clients, think 2 s", "value": round(len(latencies) / wall, 1), "unit": "req/s",
         "better": "higher"},
        {"name": "sync/search p50, one client alone (service time)", "value": round(alone_q[49] * 1000, 1),
         "unit": "ms"},
        {"name": "sync/search p95, one client alone", "value": round(alone_q[94] * 1000, 1), "unit": "ms"},
        {"name": "failed searches", "value": len(failures), "unit": "", "target": 0},
        {"name": "pushed death to alert", "value": round(alert_seconds, 2) if alert_seconds is not None else None,
         "unit": "s", "target": 60},
        {"name": "push acknowledged", "value": round(acknowledged * 1000, 1), "unit": "ms"},
    ], "notes": (f"{len(latencies)} searches by {CONCURRENCY} client threads ({per_client} each, {THINK:g} s apart, a new "
                 f"HTTP connection per request) against gunicorn (2 workers × 25 threads) on loopback, after "
                 f"{len(alone)} searches by one client alone; registry of {registry_size:,} people; the alert scan "
                 f"covered the {households} households of the village {household.region_code}; the push answered "
                 f"HTTP {status} "
                 f"({answer.get('message', {}).get('notify_response', [{}])[0].get('event_status', '')}).")}

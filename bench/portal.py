"""掌上办 (the resident portal): how much a phone downloads, and the status page under 200 residents.

Set-up (not timed, idempotent): the demo catalogue; ``RESIDENTS`` households of the registry with a
resident account each (linked by the blind index of the head's ID number), a signed-in session each
(written with Django's session store, as a sign-in by code would), and one online application each
(``cases.window.window_submit`` as the resident: decided at once like any online 低保 application).

1. **Transfer size**: every resident page a family sees on the way (landing, sign-in, code, "what could
   we get?" with its answer, home, apply, the application's status page, messages) fetched through the
   Django test client with a resident's session; *first load* = the HTML plus every stylesheet, script,
   icon and the manifest it references (bytes as served, and gzip-compressed as the web server sends
   them); *cached* = the HTML alone (static files carry far-future cache headers from WhiteNoise, and
   the service worker keeps the stylesheet and the offline page).
2. **Status page under load**: gunicorn (``config.wsgi``, sync workers) on 127.0.0.1 at a free port
   against the same PostgreSQL database; ``RESIDENTS`` concurrent residents (a closed loop: each has one
   request in flight) each fetch their own application's status page ``/m/cases/<id>/`` ``ROUNDS`` times
   over loopback (raw HTTP/1.1 with asyncio, no third-party client), pausing ``THINK_SECONDS`` on average
   between fetches (reading): p50/p95/p99 (the target row). Then one resident alone (service time) and all
   of them at once without pause (saturation: throughput, and the queueing latency). Bounded: at most
   RESIDENTS × (ROUNDS + 2) + 23 requests, 127.0.0.1 only.

Standalone: ``python -m bench --only portal --people 20000``.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TITLE = "Resident portal (掌上办): page weight on a phone, status page under 200 concurrent residents"
POSTGRES_ONLY = True
RESIDENTS = 200
ROUNDS = 5
THINK_SECONDS = 10.0  # mean pause between two fetches of one resident (reading the page)
WORKERS = int(os.environ.get("PORTAL_BENCH_WORKERS", "3"))
HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
USER_PREFIX = "bench-resident-"
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+|/m/manifest\.webmanifest)"')
TARGET_P95_MS = 500.0
TARGET_FIRST_LOAD_KB = 100.0


def setup(people: int, **context) -> dict:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import transaction

    from dajiuzhu.accounts.models import User
    from dajiuzhu.cases.models import Case
    from dajiuzhu.cases.window import window_submit
    from dajiuzhu.programs.catalogue import ensure_demo_catalogue
    from dajiuzhu.registry.models import Household

    ensure_demo_catalogue()
    wanted = 5 if context.get("smoke") else RESIDENTS
    existing = list(User.objects.filter(username__startswith=USER_PREFIX).order_by("id"))
    reused = len(existing) >= wanted
    if not reused:
        taken = set(User.objects.filter(role="resident").values_list("person_id_hash", flat=True))
        households = (Household.objects.filter(head__isnull=False, head__deceased_on__isnull=True)
                      .exclude(head__id_hash__in=taken).exclude(case_items__status="pending")
                      .exclude(case_items__status="approved", case_items__periodic=True)
                      .select_related("head").order_by("id")[: wanted * 2])
        for household in households:
            if len(existing) >= wanted:
                break
            user = User.objects.create(username=f"{USER_PREFIX}{household.pk}", role="resident",
                                       region_id=household.region_code, person_id_hash=household.head.id_hash,
                                       full_name=household.head.name)
            try:
                with transaction.atomic():
                    window_submit(actor=user, item_codes=["dibao"], facts={"monthly_wages": "600"},
                                  promise_signed=True, authorisation_signed=True)
            except Exception:  # noqa: BLE001 - a household the rules refuse to take (e.g. a duplicate) is skipped
                user.delete()
                continue
            existing.append(user)
    sessions = []
    for user in existing[:wanted]:
        case = Case.objects.filter(household__members__id_hash=user.person_id_hash).order_by("-id").first()
        store = SessionStore()
        store[SESSION_KEY], store[BACKEND_SESSION_KEY] = str(user.pk), "dajiuzhu.accounts.backends.ThrottledModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append({"session": store.session_key, "case": case.pk})
    return {"reused": reused, "what": f"{len(sessions)} residents with a session and an online application",
            "sessions": sessions}


def _transfer(session_key: str, case_id: int) -> dict:
    from django.conf import settings
    from django.contrib.staticfiles import finders
    from django.test import Client

    anonymous, resident = Client(), Client()
    resident.cookies[settings.SESSION_COOKIE_NAME] = session_key
    estimate = {"urban": "0", "members": "2", "my_age": "45", "able_to_work": "2", "monthly_wages": "1196",
                "housing": "safe", "my_disability_grade": "0"}
    pages = [("landing", anonymous, "get", "/m/", None), ("sign-in", anonymous, "get", "/m/sign-in/", None),
             ("estimate", anonymous, "post", "/m/what-could-we-get/", estimate),
             ("home", resident, "get", "/m/", None), ("apply", resident, "get", "/m/apply/dibao/", None),
             ("status", resident, "get", f"/m/cases/{case_id}/", None), ("messages", resident, "get", "/m/messages/", None)]
    rows, assets = {}, {}
    for name, client, method, url, data in pages:
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        html = response.content
        refs = sorted(set(ASSET.findall(html.decode())))
        total, total_gz = len(html), len(gzip.compress(html))
        for ref in refs:
            if ref not in assets:
                if ref.startswith("/static/"):
                    path = finders.find(ref.removeprefix(settings.STATIC_URL if settings.STATIC_URL.startswith("/")
                                                         else "/" + settings.STATIC_URL))
                    body = Path(path).read_bytes()
                else:
                    body = anonymous.get(ref).content
                assets[ref] = (len(body), len(gzip.compress(body)))
            total += assets[ref][0]
            total_gz += assets[ref][1]
        rows[name] = {"first": total, "first_gz": total_gz, "cached": len(html), "cached_gz": len(gzip.compress(html))}
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _start_server(port: int, workers: int) -> subprocess.Popen:
    from dajiuzhu.core.dburl import database_url

    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_DEBUG": "0",
           "DJANGO_ALLOWED_HOSTS": HOST, "DATABASE_CONN_MAX_AGE": "600", "DAJIUZHU_JOBS": "inline",
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DAJIUZHU_TESTING", None)
    log = open(Path(tempfile.gettempdir()) / f"portal_bench_{port}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603 - our own gunicorn with fixed arguments
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-b", f"{HOST}:{port}", "-w", str(workers),
         "--backlog", "1024", "--timeout", "120", "--log-level", "warning"],
        cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log.name}")
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return process
        time.sleep(0.3)
    _stop(process)
    raise RuntimeError("gunicorn did not start within 60 s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def _get(port: int, path: str, cookie: str) -> tuple[int, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write((f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nCookie: {cookie}\r\n"
                  "Accept-Language: zh-CN\r\nConnection: close\r\n\r\n").encode())
    await writer.drain()
    response = await reader.read()
    writer.close()
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0
    return status, time.perf_counter() - started


async def _load(port: int, sessions: list[dict], rounds: int, think: float = 0.0, seed: int = 17) -> dict:
    """Each resident fetches its status page ``rounds`` times; with ``think``, after a random start within
    ``think`` seconds and an exponential pause of mean ``think`` between fetches (people reading the page)."""
    import random

    from django.conf import settings

    latencies, statuses = [], {}
    rng = random.Random(seed)

    async def resident(entry: dict) -> None:
        cookie = f"{settings.SESSION_COOKIE_NAME}={entry['session']}"
        if think:
            await asyncio.sleep(rng.uniform(0, think))
        for index in range(rounds):
            status, elapsed = await _get(port, f"/m/cases/{entry['case']}/", cookie)
            latencies.append(elapsed)
            statuses[status] = statuses.get(status, 0) + 1
            if think and index < rounds - 1:
                await asyncio.sleep(rng.expovariate(1 / think))

    started = time.perf_counter()
    await asyncio.gather(*(resident(s) for s in sessions))
    wall = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(n - 1, max(0, round(p / 100 * n + 0.5) - 1))] * 1000

    return {"n": n, "wall": wall, "p50": pct(50), "p95": pct(95), "p99": pct(99),
            "mean": statistics.fmean(latencies) * 1000, "throughput": n / wall, "statuses": statuses}


def run(people: int, report, **context) -> None:
    from django.db import connection

    from bench.common import Skip

    if connection.vendor != "postgresql":
        raise Skip("PostgreSQL only (gunicorn serves the same database)")
    state = context.get("setup") or setup(people, **context)
    sessions = state["sessions"]
    if not sessions:
        raise Skip("no resident could be set up")
    smoke = bool(context.get("smoke"))
    rows = _transfer(sessions[0]["session"], sessions[0]["case"])
    for name, row in rows.items():
        report.figure(f"{name}: first load (gzip)", round(row["first_gz"] / 1024, 1), "KB",
                      target=TARGET_FIRST_LOAD_KB if name == "status" else None)
        report.figure(f"{name}: cached (gzip)", round(row["cached_gz"] / 1024, 1), "KB")
    heaviest = max(rows.values(), key=lambda r: r["first"])
    report.figure("heaviest page, first load (uncompressed)", round(heaviest["first"] / 1024, 1), "KB")
    port = _free_port()
    server = _start_server(port, 1 if smoke else WORKERS)
    think = 0.2 if smoke else THINK_SECONDS
    try:
        asyncio.run(_load(port, sessions[:3], 1))  # warm the workers (connections, the catalogue copy)
        single = asyncio.run(_load(port, sessions[:1], 3 if smoke else 20))
        result = asyncio.run(_load(port, sessions, 2 if smoke else ROUNDS, think=think))
        saturation = asyncio.run(_load(port, sessions, 1 if smoke else 2))
    finally:
        _stop(server)
    for phase in (single, result, saturation):
        if set(phase["statuses"]) != {200}:
            raise RuntimeError(f"status page answered {phase['statuses']}")
    report.figure(f"status page p95, {len(sessions)} concurrent residents (think {think:g} s)", round(result["p95"], 1),
                  "ms", target=TARGET_P95_MS)
    report.figure("status page p50 (same)", round(result["p50"], 1), "ms")
    report.figure("status page p99 (same)", round(result["p99"], 1), "ms")
    report.figure("status page, one resident alone (p50)", round(single["p50"], 1), "ms")
    report.figure(f"status pages per second at saturation ({len(sessions)} at once, no pause)",
                  round(saturation["throughput"], 1), "req/s", better="higher")
    report.figure("status page p95 at saturation (queueing)", round(saturation["p95"], 1), "ms")
    report.note(f"{result['n']} requests of /m/cases/<id>/ by {len(sessions)} concurrent residents (each its own "
                f"session and case, {2 if smoke else ROUNDS} rounds, an exponential pause of mean {think:g} s between "
                f"fetches: people reading the page); then all {len(sessions)} at once with no pause (saturation: "
                "latency there is the queue in front of the workers); gunicorn "
                f"{1 if smoke else WORKERS} sync workers on loopback, PostgreSQL on the same machine. Transfer sizes: "
                "HTML plus every stylesheet, script, icon and manifest the page references (first load) or the HTML "
                "alone (cached), gzip as served; the pages use no framework (one 6 KB stylesheet, two small scripts).")

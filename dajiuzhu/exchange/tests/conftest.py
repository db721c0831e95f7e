"""An external client's view: a real HTTP server (pytest-django's live_server) and a callback
listener thread on a free loopback port."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from dajiuzhu.accounts.departments import ensure_departments
from dajiuzhu.accounts.models import Department
from dajiuzhu.core.testing import LINYI_COUNTY, make_user
from dajiuzhu.exchange.services import client_register


class Listener:
    def __init__(self):
        self.received: list[dict] = []
        self.fail_next = 0
        self.event = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if listener.fail_next:
                    listener.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                listener.received.append({"path": self.path, "body": body})
                listener.event.set()
                payload = json.dumps({"message": {"ack_status": "ACK", "timestamp": timezone.now().isoformat(),
                                                  "correlation_id": "x"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def of(self, action: str) -> list[dict]:
        return [r["body"] for r in self.received if r["body"].get("header", {}).get("action") == action]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def county_admin(db):
    return make_user("county_admin", LINYI_COUNTY, username="exchange-admin")


@pytest.fixture
def register(county_admin):
    ensure_departments()

    def make(department="medical_insurance", *, region="371424", fields=("name", "roster", "sex", "birth_date"),
             scopes=("registry.search", "registry.subscribe"), **kw):
        return client_register(actor=county_admin, name=f"{department} system",
                               department=Department.objects.get(code=department), region_prefix=region,
                               purpose="premium waiver for 低保 households", scopes=list(scopes), fields=list(fields),
                               **kw)

    return make


def http(url: str, body=None, *, token: str = "", data: bytes | None = None, headers: dict | None = None):
    raw = data if data is not None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=raw, method="POST", headers={
        "Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}),
        **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"{}"), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), exc.headers


def get_token(base: str, client_id: str, secret: str, scope: str = "") -> str:
    form = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    if scope:
        form += f"&scope={scope}"
    status, body, _h = http(f"{base}/api/dci/oauth2/token", data=form.encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, body
    return body["access_token"]


def envelope(action: str, client_id: str, message: dict, *, sender_uri: str = "", message_id: str = "") -> dict:
    header = {"version": "1.0.0", "message_id": message_id or uuid.uuid4().hex,
              "message_ts": timezone.now().isoformat(), "action": action, "sender_id": client_id,
              "receiver_id": "dajiuzhu.registry", "total_count": 1}
    if sender_uri:
        header["sender_uri"] = sender_uri
    return {"signature": None, "header": header, "message": message}


def search_message(query_type: str, query, **criteria) -> dict:
    return {"transaction_id": uuid.uuid4().hex, "search_request": [{
        "reference_id": "r1", "timestamp": timezone.now().isoformat(),
        "search_criteria": {"version": "1.0.0", "query_type": query_type, "query": query, **criteria}}]}

"""The client address of the address-based limits (core.net.client_address), unit by unit and through
the shipped gunicorn configuration on a Unix socket, as deployed behind nginx."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import RequestFactory, override_settings
from django.urls import reverse

from dajiuzhu.core.dburl import database_url
from dajiuzhu.core.net import client_address
from dajiuzhu.core.testing import LINYI_TOWN, make_user

BASE = Path(settings.BASE_DIR)
PASSWORD = "Right-password-2026"


def _request(**meta):
    request = RequestFactory().get("/")
    request.META.pop("REMOTE_ADDR", None)
    request.META.update(meta)
    return request


# -- the helper -------------------------------------------------------------------------------------------

@override_settings(TRUSTED_PROXY_HEADER="")
def test_without_a_configured_header_the_socket_address_is_used_and_headers_are_ignored():
    assert client_address(_request(REMOTE_ADDR="10.1.2.3")) == "10.1.2.3"
    # A client cannot pick its own bucket by sending a forwarding header nobody configured.
    assert client_address(_request(REMOTE_ADDR="", HTTP_X_REAL_IP="198.51.100.7",
                                   HTTP_X_FORWARDED_FOR="198.51.100.7")) == ""
    assert client_address(_request(REMOTE_ADDR="not-an-address")) == ""
    assert client_address(None) == ""


@override_settings(TRUSTED_PROXY_HEADER="X-Real-IP", TRUSTED_PROXY_HOPS=1)
def test_x_real_ip_from_the_proxy():
    assert client_address(_request(REMOTE_ADDR="", HTTP_X_REAL_IP="203.0.113.9")) == "203.0.113.9"
    assert client_address(_request(HTTP_X_REAL_IP=" 2001:db8::1 ")) == "2001:db8::1"
    assert client_address(_request(HTTP_X_REAL_IP="[2001:db8::2]:443")) == "2001:db8::2"
    assert client_address(_request(HTTP_X_REAL_IP="203.0.113.9:51234")) == "203.0.113.9"
    # Configured but missing or garbage: unknown, never the socket's (empty) address or the garbage.
    assert client_address(_request(REMOTE_ADDR="10.0.0.1")) == ""
    assert client_address(_request(HTTP_X_REAL_IP="<script>")) == ""


@override_settings(TRUSTED_PROXY_HEADER="X-Forwarded-For", TRUSTED_PROXY_HOPS=1)
def test_x_forwarded_for_takes_the_entry_the_trusted_proxy_added():
    # The client wrote "1.1.1.1" itself; nginx appended the address it saw.
    assert client_address(_request(HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9")) == "203.0.113.9"
    with override_settings(TRUSTED_PROXY_HOPS=2):  # a load balancer in front of nginx
        assert client_address(_request(HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9, 10.0.0.5")) == "203.0.113.9"
        assert client_address(_request(HTTP_X_FORWARDED_FOR="10.0.0.5")) == ""


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_HEADER="X-Real-IP")
def test_the_public_objection_limit_counts_per_client_address():
    from dajiuzhu.cases.notices import OBJECTIONS_PER_HOUR, objection_allowed

    first = client_address(_request(HTTP_X_REAL_IP="203.0.113.1"))
    second = client_address(_request(HTTP_X_REAL_IP="203.0.113.2"))
    assert all(objection_allowed(first) for _ in range(OBJECTIONS_PER_HOUR))
    assert not objection_allowed(first)
    assert objection_allowed(second)


def test_no_code_reads_the_socket_address_or_a_forwarding_header_directly():
    offenders = []
    for path in (BASE / "dajiuzhu").rglob("*.py"):
        if "tests" in path.parts or path.name == "net.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"REMOTE_ADDR|HTTP_X_FORWARDED_FOR|HTTP_X_REAL_IP", text):
            offenders.append(str(path.relative_to(BASE)))
    assert offenders == []


# -- through gunicorn on its Unix socket ------------------------------------------------------------------

class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=30)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self._path)


class _Browser:
    """One client behind nginx: every request carries the X-Real-IP nginx would set for it."""

    def __init__(self, sock: str, address: str):
        self.sock, self.address, self.cookies = sock, address, {}

    def request(self, method: str, path: str, body: str = "") -> tuple[int, str]:
        conn = _UnixConnection(self.sock)
        headers = {"Host": "localhost", "X-Real-IP": self.address, "X-Forwarded-Proto": "http"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body.encode(), headers=headers)
        response = conn.getresponse()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        text = response.read().decode()
        conn.close()
        return response.status, text

    def login(self, username: str, password: str) -> tuple[int, str]:
        from urllib.parse import urlencode

        _, page = self.request("GET", reverse("accounts:login"))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request("POST", reverse("accounts:login"),
                            urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password}))


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """The shipped deploy/gunicorn.conf.py, bound to a Unix socket in tmp_path, on this test's database."""
    if connection.vendor == "sqlite":
        # The test database lives in memory: hand gunicorn a file copy of it.
        db_file = tmp_path / "db.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(db_file)])
        url = f"sqlite:///{db_file}"
    else:
        url = database_url()
    sock = tmp_path / "gunicorn.sock"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DAJIUZHU_", "DATABASE_", "REDIS_", "PYTEST"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": url, "DAJIUZHU_TESTING": "1",
                "DAJIUZHU_VAR_DIR": str(tmp_path / "var"), "GUNICORN_BIND": f"unix:{sock}",
                "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "1", "DAJIUZHU_LOG_LEVEL": "WARNING",
                "DAJIUZHU_TRUSTED_PROXY_HEADER": "X-Real-IP"})
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
        [sys.executable, "-m", "gunicorn", "-c", str(BASE / "deploy" / "gunicorn.conf.py"), "config.wsgi"],
        cwd=BASE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail("gunicorn exited: " + process.stderr.read().decode()[-2000:])
            if sock.exists():
                try:
                    if _Browser(str(sock), "192.0.2.1").request("GET", "/healthz")[0] in (200, 503):
                        break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not answer on its socket within 90 s")
            time.sleep(0.3)
        yield str(sock)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def gunicorn_user(transactional_db):
    return make_user("township_handler", LINYI_TOWN, username="wang", password=PASSWORD)


def test_login_limit_per_address_through_gunicorn_on_its_unix_socket(gunicorn_user, gunicorn):
    sprayer = _Browser(gunicorn, "203.0.113.66")
    # Password spraying: one attempt on each of many accounts from one address.
    for n in range(settings.LOGIN_MAX_FAILURES):
        status, _ = sprayer.login(f"account-{n}", "Guessed-password-1")
        assert status == 200
    # The address is now held back, even with the right password of an account it never tried.
    status, page = sprayer.login("wang", PASSWORD)
    assert status == 200 and ("失败次数过多" in page or "Too many failed attempts" in page)
    # Another address has its own bucket: the same account signs in from there.
    status, _ = _Browser(gunicorn, "198.51.100.23").login("wang", PASSWORD)
    assert status == 302

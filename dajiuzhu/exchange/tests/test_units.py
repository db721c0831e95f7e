"""Callback address safety, signatures of each algorithm, and the demo clients."""

from __future__ import annotations

import random

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.contrib.auth.hashers import check_password

from dajiuzhu.exchange import signing
from dajiuzhu.exchange.urlsafety import UnsafeUrl, check_callback_url


@pytest.mark.parametrize("url, reason", [
    ("ftp://example.org/cb", "http or https"),
    ("javascript:alert(1)", "http or https"),
    ("https://user:pw@example.org/cb", "credentials"),
    ("http:///nohost", "no host"),
    ("http://127.0.0.1:9000/cb", "private or loopback"),
    ("http://localhost/cb", "private or loopback"),
    ("http://10.1.2.3/cb", "private or loopback"),
    ("http://[::1]/cb", "private or loopback"),
    ("http://169.254.169.254/latest/meta-data", "private or loopback"),
])
def test_callback_addresses_that_are_refused_when_private_ones_are_forbidden(settings, url, reason):
    settings.DCI_CALLBACK_ALLOW_PRIVATE = False
    with pytest.raises(UnsafeUrl, match=reason):
        check_callback_url(url)


def test_private_addresses_are_allowed_when_the_deployment_allows_them(settings):
    settings.DCI_CALLBACK_ALLOW_PRIVATE = True
    assert check_callback_url("http://127.0.0.1:9000/cb") == "http://127.0.0.1:9000/cb"
    with pytest.raises(UnsafeUrl):
        check_callback_url("file:///etc/passwd")


@pytest.mark.parametrize("make_key", [
    ed25519.Ed25519PrivateKey.generate,
    lambda: ec.generate_private_key(ec.SECP256R1()),
    lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
])
def test_each_algorithm_signs_and_verifies_attached_and_detached(make_key):
    key = make_key()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    header, message = {"message_id": "1", "action": "search"}, {"transaction_id": "t", "search_request": []}
    for detached in (True, False):
        jws = signing.sign(key, header, message, detached=detached)
        signing.verify(jws, pem, header, message)
        with pytest.raises(signing.SignatureError):
            signing.verify(jws, pem, header, {**message, "transaction_id": "u"})
    other = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(signing.SignatureError):
        signing.verify(signing.sign(key, header, message), other, header, message)


@pytest.mark.django_db
def test_demo_clients_are_seeded_once_with_their_documented_secrets():
    from dajiuzhu.accounts.departments import ensure_departments
    from dajiuzhu.core.demo import DemoContext
    from dajiuzhu.core.testing import LINYI_COUNTY, make_user
    from dajiuzhu.exchange import demo
    from dajiuzhu.exchange.models import Client

    ensure_departments()
    make_user("county_admin", LINYI_COUNTY, username="county_admin")
    ctx = DemoContext(rng=random.Random(1), log=lambda message: None)
    demo.seed(ctx)
    demo.seed(ctx)
    clients = {c.client_id: c for c in Client.objects.all()}
    assert set(clients) == {"yibao-demo", "jiaoyu-demo", "gongan-demo"}
    assert check_password("yibao-demo-Linyi-demo-2026", clients["yibao-demo"].secret_hash)
    assert "income" not in clients["yibao-demo"].fields and "roster" in clients["yibao-demo"].fields

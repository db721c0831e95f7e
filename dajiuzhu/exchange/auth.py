"""OAuth2 client credentials for the exchange: issuing tokens, checking bearer tokens, rate limits.

A token is an opaque random string (``dci_…``); only its SHA-256 is stored, with its scopes and
expiry (``DCI_TOKEN_SECONDS``, default an hour). Client secrets are stored with Django's password
hasher. Rate limits count requests per client per minute in the cache (Redis in production)."""

from __future__ import annotations

import datetime as dt
import secrets
import time

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.utils import timezone

from . import errors
from .models import AccessToken, Client, ClientUser, token_hash


def token_seconds() -> int:
    return int(getattr(settings, "DCI_TOKEN_SECONDS", 3600))


class TokenRefused(Exception):
    """An OAuth2 error of the token endpoint (RFC 6749 section 5.2)."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def client_authenticate(client_id: str, secret: str) -> Client:
    client = Client.objects.filter(client_id=client_id).first()
    # Hash even for an unknown id, so the answer takes as long either way.
    if client is None:
        check_password(secret, "pbkdf2_sha256$1000000$x$x")
        raise TokenRefused("invalid_client", "unknown client or wrong secret", 401)
    if not check_password(secret, client.secret_hash):
        raise TokenRefused("invalid_client", "unknown client or wrong secret", 401)
    if not client.is_active:
        raise TokenRefused("unauthorized_client", "the client is suspended", 401)
    return client


def token_issue(*, client: Client, scope: str = "") -> tuple[str, AccessToken]:
    requested = scope.split() if scope else list(client.scopes)
    refused = [s for s in requested if s not in client.scopes]
    if refused:
        raise TokenRefused("invalid_scope", f"scope not granted to this client: {' '.join(refused)}")
    raw = "dci_" + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(client=client, token_hash=token_hash(raw), scopes=requested,
                                       expires_at=timezone.now() + dt.timedelta(seconds=token_seconds()))
    return raw, token


def bearer(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    kind, _sep, value = header.partition(" ")
    return value.strip() if kind.lower() == "bearer" else ""


def authenticate(request, *, scope: str | None) -> tuple[Client, ClientUser, AccessToken]:
    """The client of a request's bearer token, refused with the standard's codes."""
    raw = bearer(request)
    if not raw:
        raise errors.DciError(errors.UNAUTHORIZED, "a bearer token is required (POST /api/dci/oauth2/token)")
    token = AccessToken.objects.select_related("client", "client__user").filter(token_hash=token_hash(raw)).first()
    if token is None or token.revoked:
        raise errors.DciError(errors.UNAUTHORIZED, "the token is not valid")
    if token.expires_at <= timezone.now():
        raise errors.DciError(errors.UNAUTHORIZED, "the token has expired")
    client = token.client
    if not client.is_active:
        raise errors.DciError(errors.FORBIDDEN, "the client is suspended")
    if scope is not None and scope not in token.scopes:
        raise errors.DciError(errors.FORBIDDEN, f"the token lacks the scope {scope}")
    rate_limit_check(client)
    return client, actor_of(client), token


def actor_of(client: Client) -> ClientUser:
    """The client's service account as the actor of its requests."""
    user = client.user  # loaded with the token (select_related): no query
    actor = ClientUser(**{f.attname: getattr(user, f.attname) for f in user._meta.concrete_fields})
    actor._state.adding, actor._state.db = False, user._state.db
    actor._client = client
    return actor


def rate_limit_check(client: Client) -> None:
    window = int(time.time() // 60)
    key = f"dci:rate:{client.pk}:{window}"
    if cache.add(key, 1, timeout=120):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=120)
            count = 1
    if count > client.rate_limit:
        raise errors.DciError(errors.TOO_MANY, f"more than {client.rate_limit} requests in a minute")

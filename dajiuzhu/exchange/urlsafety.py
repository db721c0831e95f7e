"""Callback addresses: only http(s), and — when ``DCI_CALLBACK_ALLOW_PRIVATE`` is off (the production
default) — never a private, loopback, link-local or reserved address, checked on the resolved host
both when the address is given and again before each delivery (a name may be re-pointed)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeUrl(ValueError):
    pass


def allow_private() -> bool:
    return bool(getattr(settings, "DCI_CALLBACK_ALLOW_PRIVATE", False))


def check_callback_url(url: str, *, resolve: bool = True) -> str:
    """The URL if it may receive callbacks; ``UnsafeUrl`` with the reason otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeUrl("sender_uri is missing")
    if len(url) > 500:
        raise UnsafeUrl("sender_uri is longer than 500 characters")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("sender_uri must be an http or https URL")
    if not parts.hostname:
        raise UnsafeUrl("sender_uri has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("sender_uri must not carry credentials")
    try:
        port = parts.port
    except ValueError:
        raise UnsafeUrl("sender_uri has an invalid port") from None
    if allow_private() or not resolve:
        return url.strip()
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl("the host of sender_uri cannot be resolved") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
                or address.is_multicast or address.is_unspecified):
            raise UnsafeUrl("sender_uri points at a private or loopback address")
    return url.strip()

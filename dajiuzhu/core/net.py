"""The client's network address, for every address-based limit.

Behind the shipped gunicorn (a Unix socket, ``deploy/gunicorn.conf.py``) ``REMOTE_ADDR`` is empty:
the only peer is nginx. The client's address then comes from a header the proxy sets, named by
``settings.TRUSTED_PROXY_HEADER`` (``DAJIUZHU_TRUSTED_PROXY_HEADER``): ``X-Real-IP`` (nginx:
``proxy_set_header X-Real-IP $remote_addr``, one value the client cannot influence) or
``X-Forwarded-For`` with ``TRUSTED_PROXY_HOPS`` trusted proxies (the entry that many places from
the right is the one the outermost trusted proxy saw; entries further left are the client's own
words and never used). When no header is configured the header is never read, whatever the
request carries: a client cannot choose its own bucket.

Use ``client_address(request)`` wherever an address is counted or recorded; never read
``REMOTE_ADDR`` or a forwarding header directly.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(value: str) -> str:
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.9:51234"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


def header_meta_key(header: str) -> str:
    """The WSGI environ key of a request header ("X-Real-IP" -> "HTTP_X_REAL_IP")."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


def client_address(request) -> str:
    """The client's IP address as text, or '' when it cannot be known (then limits use one shared bucket)."""
    if request is None:
        return ""
    meta = request.META
    header = getattr(settings, "TRUSTED_PROXY_HEADER", "")
    if not header:
        return _valid(meta.get("REMOTE_ADDR", ""))
    raw = meta.get(header_meta_key(header), "")
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    hops = max(1, int(getattr(settings, "TRUSTED_PROXY_HOPS", 1)))
    if len(parts) < hops:
        return ""
    return _valid(parts[-hops])

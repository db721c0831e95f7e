"""Authentication with throttling of failed attempts.

After ``LOGIN_MAX_FAILURES`` failures for one username, or from one address, within
``LOGIN_FAILURE_WINDOW_SECONDS``, further attempts are refused without checking the
password until the window passes. Counters live in the cache (Redis in production).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from dajiuzhu.core.net import client_address


def _keys(request, username: str) -> list[str]:
    keys = ["login-fail:user:" + hashlib.sha256((username or "").lower().encode()).hexdigest()[:32]]
    address = client_address(request)
    if address:
        keys.append("login-fail:addr:" + address)
    return keys


def is_throttled(request, username: str) -> bool:
    return any((cache.get(key) or 0) >= settings.LOGIN_MAX_FAILURES for key in _keys(request, username))


def record_failure(request, username: str) -> None:
    for key in _keys(request, username):
        if cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)


def clear_failures(request, username: str) -> None:
    cache.delete_many(_keys(request, username)[:1])


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("username")
        if is_throttled(request, username or ""):
            if request is not None:
                request.login_throttled = True
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(request, username or "")
        else:
            clear_failures(request, username or "")
        return user

"""Logins and failed logins go to the audit log (the username only, never the password).

A failed login is throttled BEFORE anything is written, because each audit row serialises on
the audit chain's lock: an anonymous caller must not be able to write rows without limit.

- an attempt refused by the throttle (``request.login_throttled``) writes nothing: the failures
  that led to it are in the log already;
- a failure for an existing account is written with its username (at most
  ``LOGIN_MAX_FAILURES`` per account and window, by the throttle);
- a failure for a name that is no account is written WITHOUT the typed name (it may be a
  password typed in the wrong box, or someone else's personal data), and only
  ``LOGIN_UNKNOWN_AUDIT_LIMIT`` such rows per window are written for the whole platform; the
  next row written after a quiet window carries how many were left out (``suppressed``).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.net import client_address

_UNKNOWN_COUNT = "login-fail:audit-unknown"
_UNKNOWN_SUPPRESSED = "login-fail:audit-unknown-suppressed"


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    with transaction.atomic():
        audit_record(actor=user, action="auth.login", obj=user, region_code=user.region_id or "")


def _count(key: str, window: int) -> int:
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def _unknown_allowed() -> tuple[bool, int]:
    """May one more row for an unknown account be written now? And how many were left out before it."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    if _count(_UNKNOWN_COUNT, window) > settings.LOGIN_UNKNOWN_AUDIT_LIMIT:
        _count(_UNKNOWN_SUPPRESSED, 7 * 24 * 3600)
        return False, 0
    suppressed = cache.get(_UNKNOWN_SUPPRESSED) or 0
    if suppressed:
        cache.delete(_UNKNOWN_SUPPRESSED)
    return True, suppressed


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    if request is not None and getattr(request, "login_throttled", False):
        return
    User = get_user_model()
    username = str(credentials.get("username", ""))[:150]
    known = bool(username) and User._default_manager.filter(**{User.USERNAME_FIELD: username}).exists()
    new = {"address": client_address(request) if request else ""}
    if known:
        new["username"] = username
    else:
        allowed, suppressed = _unknown_allowed()
        if not allowed:
            return
        new["unknown_account"] = True
        if suppressed:
            new["suppressed"] = suppressed
    with transaction.atomic():
        audit_record(actor=None, action="auth.login_failed", object_type="accounts.user", new=new)

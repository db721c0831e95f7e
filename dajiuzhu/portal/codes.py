"""One-time codes (验证码): issued by SMS, hashed at rest, single use, expiring, rate-limited.

A code is six digits; only its keyed hash (HMAC, ``core.crypto.blind_index``, bound to the purpose,
the phone and the code's own row) is stored. At most ``PORTAL_CODES_PER_PHONE_HOUR`` codes per phone
and ``PORTAL_CODES_PER_ADDRESS_HOUR`` per client address in any hour; a code accepts at most
``MAX_ATTEMPTS`` wrong guesses, then it is spent.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dajiuzhu.core import crypto
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.sms import SmsResult, sms_send

from .models import OneTimeCode

MAX_ATTEMPTS = 5


class CodeRefused(DomainError):
    """Too many codes, or a wrong, expired or spent code (the message says which, politely)."""


def _code_hash(row_salt: str, purpose: str, phone: str, code: str) -> str:
    return crypto.blind_index(f"otp|{row_salt}|{purpose}|{phone}|{code}")


def address_hash(address: str) -> str:
    return crypto.blind_index("addr|" + (address or ""))


def _check_rate(*, phone_hash: str, addr_hash: str, now: dt.datetime) -> None:
    hour_ago = now - dt.timedelta(hours=1)
    recent = OneTimeCode.objects.filter(created_at__gte=hour_ago)
    if recent.filter(phone_hash=phone_hash).count() >= settings.PORTAL_CODES_PER_PHONE_HOUR:
        raise CodeRefused(_("Too many codes were sent to this phone. Please try again in an hour."), field="phone")
    if addr_hash and recent.filter(address_hash=addr_hash).count() >= settings.PORTAL_CODES_PER_ADDRESS_HOUR:
        raise CodeRefused(_("Too many codes were asked for from this network. Please try again later."), field="phone")


@transaction.atomic
def code_issue(*, purpose: str, phone: str, id_hash: str = "", address: str = "", label: str = "") -> tuple[OneTimeCode, SmsResult]:
    """Make a code for ``phone`` and send it by SMS; refuses (storing nothing) over the rate limits."""
    now = timezone.now()
    phone_hash, addr_hash = crypto.blind_index(phone), address_hash(address)
    _check_rate(phone_hash=phone_hash, addr_hash=addr_hash, now=now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    minutes = max(1, settings.PORTAL_CODE_TTL_SECONDS // 60)
    row = OneTimeCode(purpose=purpose, phone_hash=phone_hash, id_hash=id_hash, address_hash=addr_hash,
                      code_hash="", created_at=now, expires_at=now + dt.timedelta(seconds=settings.PORTAL_CODE_TTL_SECONDS))
    row.save()
    row.code_hash = _code_hash(str(row.pk), purpose, phone, code)
    row.save(update_fields=["code_hash"])
    if purpose == OneTimeCode.Purpose.SIGN_IN:
        result = sms_send(phone=phone, template="login_code", params=[code, minutes])
    else:
        result = sms_send(phone=phone, template="sign_code", params=[label or _("the promise and the authorisation"),
                                                                     code, minutes])
    return row, result


def code_verify(*, code_id: int | None, purpose: str, phone: str, code: str) -> OneTimeCode:
    """Spend the code if it is right; a wrong guess counts against it. Raises ``CodeRefused``."""
    code = (code or "").strip()
    refusal = None
    with transaction.atomic():  # a wrong guess is counted (committed) before the refusal is raised
        row = (OneTimeCode.objects.select_for_update().filter(pk=code_id or 0, purpose=purpose,
                                                               phone_hash=crypto.blind_index(phone)).first())
        now = timezone.now()
        if row is None or row.used_at is not None or row.attempts >= MAX_ATTEMPTS:
            refusal = _("This code has been used or is no longer valid. Please ask for a new one.")
        elif row.expires_at <= now:
            refusal = _("This code has expired. Please ask for a new one.")
        elif not (code.isdigit() and len(code) == 6) or row.code_hash != _code_hash(str(row.pk), purpose, phone, code):
            OneTimeCode.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
            left = MAX_ATTEMPTS - row.attempts - 1
            refusal = (_("The code is not right. You may try %(n)d more times.") % {"n": left} if left > 0
                       else _("The code is not right. Please ask for a new one."))
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
    if refusal:
        raise CodeRefused(refusal, field="code")
    return row

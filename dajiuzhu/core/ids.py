"""Resident identity numbers (公民身份号码, GB 11643-1999) and masking.

An 18-character number is a 6-digit address code, the birth date YYYYMMDD, a 3-digit
sequence (odd for men) and a check character. ``python-stdnum``'s ``cn.ric.validate``
wrongly rejects people born before an address code came into use (every 371424 number
of someone born before 1994), so the date check here is our own; an unknown address
code is a warning for the caller, never an error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from django.utils.translation import gettext as _

from .errors import DomainError
from .normalise import clean_code

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = dt.date(1890, 1, 1)


class InvalidIdNumber(ValueError):
    """The text is not a valid resident identity number; the message says why."""


@dataclasses.dataclass(frozen=True, slots=True)
class IdNumber:
    number: str
    birth_date: dt.date
    sex: str  # "M" or "F"
    address_code: str

    def age_on(self, day: dt.date) -> int:
        return age_on(self.birth_date, day)


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise_id_number(raw: object) -> str:
    """Half-width, no spaces, upper-case X; 15-digit numbers converted to 18."""
    text = clean_code(raw)
    if len(text) == 15 and text.isdigit():
        first17 = text[:6] + "19" + text[6:]
        return first17 + check_character(first17)
    return text


_ID_LIKE = re.compile(r"\d{15,}|\d{14}X")


def looks_like_id_number(raw: object) -> bool:
    """Does a search text carry an ID number (15 digits or more in a row, or 14 digits and X)?

    Such a text must never travel in a URL (browser history, proxy and server logs): searches
    by ID number are POSTs. Household numbers (``371424100202-00017``) and names do not match.
    """
    return bool(_ID_LIKE.search(clean_code(raw)))


def refuse_id_number_in_url(q: object, *, field: str = "q") -> None:
    """For GET endpoints: a query string carrying an ID number is refused (422), not searched."""
    if looks_like_id_number(q):
        raise DomainError(_("ID numbers are not accepted in a URL: send the search in the body of a POST to the "
                            "list's /search endpoint"), field=field)


def parse_id_number(raw: object, *, today: dt.date | None = None) -> IdNumber:
    """Normalise and validate; raise ``InvalidIdNumber`` with the reason in words."""
    number = normalise_id_number(raw)
    if not number:
        raise InvalidIdNumber(_("ID number is empty"))
    if len(number) != 18:
        raise InvalidIdNumber(_("ID number must have 18 characters (or 15 digits), got %(n)d") % {"n": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber(_("ID number may contain only digits and a final X"))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(_("ID number holds an impossible birth date %(date)s") % {"date": number[6:14]}) from None
    today = today or dt.date.today()
    if birth > today or birth < EARLIEST_BIRTH:
        raise InvalidIdNumber(_("ID number holds an implausible birth date %(date)s") % {"date": birth.isoformat()})
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber(
            _("ID number check character is %(found)s, expected %(expected)s") % {"found": number[17], "expected": expected}
        )
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumber(number=number, birth_date=birth, sex=sex, address_code=number[:6])


def is_valid_id_number(raw: object) -> bool:
    try:
        parse_id_number(raw)
    except InvalidIdNumber:
        return False
    return True


def make_id_number(address_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number (used by factories and the demo generator)."""
    first17 = f"{address_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def mask_id_number(number: str) -> str:
    """``3714**********123X``: the first four and last four characters only."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(number: str) -> str:
    """``138****5678``."""
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_name(name: str) -> str:
    """For public notices: the family name, the given name masked (张*, 欧阳**)."""
    if not name:
        return ""
    family_len = 2 if len(name) >= 4 else 1
    return name[:family_len] + "*" * max(1, len(name) - family_len)


# -- many numbers at once ---------------------------------------------------------------------------
_WEIGHTS_NP = None


def _fast_id_check(values, *, today: dt.date):
    """Vectorised acceptance of already-clean 18-character numbers (numpy over the bytes).

    Returns ``(accepted, ymd, male)`` as numpy arrays over ``values``: ``accepted[i]`` is True only
    when ``parse_id_number(values[i])`` would accept the value unchanged (a str of 17 ASCII digits and a
    digit or ``X``, a real birth date between 1890-01-01 and ``today``, the right check character); then
    ``ymd[i]`` is the birth date as YYYYMMDD and ``male[i]`` the sex. Anything else is not accepted here
    (it may still be valid after normalising: the caller asks ``parse_id_number``).
    """
    import numpy as np

    global _WEIGHTS_NP
    if _WEIGHTS_NP is None:
        _WEIGHTS_NP = np.array(WEIGHTS, dtype=np.int64)
    count = len(values)
    candidate = np.fromiter((v.__class__ is str and len(v) == 18 and v.isascii() for v in values), dtype=bool,
                            count=count)
    accepted = np.zeros(count, dtype=bool)
    ymd = np.zeros(count, dtype=np.int64)
    male = np.zeros(count, dtype=bool)
    where = np.flatnonzero(candidate)
    if not where.size:
        return accepted, ymd, male
    raw = np.frombuffer("".join([values[i] for i in where]).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    digits = raw.astype(np.int64) - 48
    body_ok = ((digits[:, :17] >= 0) & (digits[:, :17] <= 9)).all(axis=1)
    last = raw[:, 17]
    last_ok = ((last >= 48) & (last <= 57)) | (last == 88)  # a digit or "X"
    body = np.where(body_ok[:, None], digits[:, :17], 0)
    year = body[:, 6] * 1000 + body[:, 7] * 100 + body[:, 8] * 10 + body[:, 9]
    month = body[:, 10] * 10 + body[:, 11]
    day = body[:, 12] * 10 + body[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    days = month_days[np.clip(month, 0, 12)] + ((month == 2) & leap)
    date_ok = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= days)
    stamp = year * 10000 + month * 100 + day
    range_ok = (stamp >= EARLIEST_BIRTH.year * 10000 + EARLIEST_BIRTH.month * 100 + EARLIEST_BIRTH.day) & (
        stamp <= today.year * 10000 + today.month * 100 + today.day)
    expected = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8)[(body * _WEIGHTS_NP).sum(axis=1) % 11]
    ok = body_ok & last_ok & date_ok & range_ok & (expected == last)
    accepted[where] = ok
    ymd[where] = np.where(ok, stamp, 0)
    male[where] = body[:, 16] % 2 == 1
    return accepted, ymd, male


def parse_id_numbers(values, *, today: dt.date | None = None) -> list[IdNumber | InvalidIdNumber]:
    """``parse_id_number`` over many values at once: for each value its ``IdNumber``, or the
    ``InvalidIdNumber`` that ``parse_id_number`` raises for it (same message). Clean numbers are
    checked together with numpy; the rest (15 digits, full-width, spaces, errors) one by one."""
    today = today or dt.date.today()
    values = list(values)
    accepted, ymd, male = _fast_id_check(values, today=today)
    out: list[IdNumber | InvalidIdNumber] = []
    dates: dict[int, dt.date] = {}
    for i, value in enumerate(values):
        if accepted[i]:
            stamp = int(ymd[i])
            birth = dates.get(stamp)
            if birth is None:
                birth = dates[stamp] = dt.date(stamp // 10000, stamp // 100 % 100, stamp % 100)
            out.append(IdNumber(number=value, birth_date=birth, sex="M" if male[i] else "F", address_code=value[:6]))
            continue
        try:
            out.append(parse_id_number(value, today=today))
        except InvalidIdNumber as exc:
            out.append(exc)
    return out

"""Normalisers shared by every intake path (forms, files, department deliveries, API).

Offices type data with full-width digits, ideographic spaces, Chinese dates such as
``1990年3月5日`` and amounts with thousands separators or a trailing 元. Each function
here takes the raw text and returns a clean value or raises ``ValueError`` with a reason
that can be shown to the user next to the row and column.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space


def to_halfwidth(text: str) -> str:
    """Full-width ASCII (０-９, Ａ-Ｚ, ｘ, punctuation) and the ideographic space to ASCII."""
    return text.translate(_FULLWIDTH)


def clean_text(value: object) -> str:
    """Strip, NFC-normalise and collapse inner whitespace; None becomes ''."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\u3000", " ")
    text = text.replace("\ufeff", "").replace("\u200b", "")
    return " ".join(text.split())


def clean_code(value: object) -> str:
    """A code typed by people: half-width, no spaces at all, upper case."""
    text = to_halfwidth(clean_text(value))
    return re.sub(r"\s+", "", text).upper()


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    """A cell that a spreadsheet would execute (CSV/formula injection)."""
    return bool(text) and text[0] in _FORMULA_PREFIXES and not _is_number(text)


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def parse_date(value: object) -> dt.date | None:
    """Dates as offices write them: 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_code(value)
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise ValueError(_("impossible date %(value)s") % {"value": text}) from None
    raise ValueError(_("not a date: %(value)s") % {"value": text})


MAX_DIGITS = 12  # digits before the decimal point, as core.money.MoneyField holds (14 digits, 2 places)


def parse_decimal(value: object, *, places: int = 2, minimum: Decimal | None = Decimal(0)) -> Decimal | None:
    """Amounts: '1,234.50', '１２３４．５', '800元', '8千'? (no: words are refused)."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = clean_code(value).replace(",", "").replace("，", "").replace("．", ".")
        text = text.removesuffix("元").removeprefix("¥").removeprefix("￥")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("not a number: %(value)s") % {"value": clean_text(value)}) from None
    if not number.is_finite():
        raise ValueError(_("not a number: %(value)s") % {"value": value})
    if minimum is not None and number < minimum:
        raise ValueError(_("must not be below %(minimum)s") % {"minimum": minimum})
    if number.adjusted() >= MAX_DIGITS:
        # ``1E100`` is a number, but no amount or count: refuse it here rather than let the
        # quantize below (or the database's numeric column) fail on it.
        raise ValueError(_("too large: %(value)s") % {"value": clean_text(value)})
    return number.quantize(Decimal(1).scaleb(-places))


def parse_int(value: object, *, minimum: int | None = 0, maximum: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    number = parse_decimal(value, places=0, minimum=None)
    if number is None:
        return None
    result = int(number)
    if minimum is not None and result < minimum:
        raise ValueError(_("must not be below %(minimum)s") % {"minimum": minimum})
    if maximum is not None and result > maximum:
        raise ValueError(_("must not be above %(maximum)s") % {"maximum": maximum})
    return result


_TRUE = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
_FALSE = {"否", "无", "n", "no", "false", "0", "×", "x"}


def parse_bool(value: object) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = clean_code(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(_("expected yes/no (是/否), got %(value)s") % {"value": clean_text(value)})


def parse_phone(value: object) -> str:
    """A mainland mobile (11 digits starting 1) or a landline with area code."""
    text = re.sub(r"[\s\-()（）]", "", clean_code(value)).removeprefix("+86")
    if not text:
        return ""
    if re.fullmatch(r"1[3-9]\d{9}", text) or re.fullmatch(r"0\d{2,3}\d{7,8}", text):
        return text
    raise ValueError(_("not a phone number: %(value)s") % {"value": clean_text(value)})

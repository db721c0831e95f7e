"""Cell values as text, and the cells an import refuses (formulas, markup)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _

_NUMBER = re.compile(r"[+-]?[\d\s.,]+")
_MARKUP = re.compile(r"<\s*[a-zA-Z!/?]|javascript\s*:|vbscript\s*:", re.IGNORECASE)
_FORMULA_PREFIXES = ("=", "+", "-", "@")


def cell_text(value: object) -> str:
    """A cell as the text a person typed: numbers without a spurious ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def is_formula(text: str) -> bool:
    """Text a spreadsheet would execute (=, +, -, @ or a control character first), numbers aside."""
    stripped = text.lstrip(" \u3000")
    if not stripped:
        return False
    if stripped[0] in ("\t", "\r", "\n") or (text[:1] in ("\t", "\r")):
        return True
    return stripped[0] in _FORMULA_PREFIXES and not _NUMBER.fullmatch(stripped)


def is_markup(text: str) -> bool:
    """HTML or script in a cell (``<script>``, ``<img …>``, ``javascript:``)."""
    return bool(_MARKUP.search(text))


def cell_problem(value: object) -> str | None:
    """Why a cell is refused, or None. The caller names the row and column."""
    if not isinstance(value, str) or not value:
        return None
    if is_formula(value):
        return _("contains a formula (%(text)s); enter the value as plain text") % {"text": _preview(value)}
    if is_markup(value):
        return _("contains markup or a script (%(text)s); enter plain text") % {"text": _preview(value)}
    return None


def _preview(text: str, limit: int = 20) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + "…"


def is_large_number_cell(value: object) -> bool:
    """A spreadsheet number of 15+ digits: Excel kept only 15 significant digits (ID numbers!)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e14

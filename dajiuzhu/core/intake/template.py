"""Column definitions of an import template and the mapping of a file's headers onto them.

Offices write headers their own way: ``身份证号`` for ``公民身份号码``, a trailing ``*`` on
required columns, notes in brackets (``公民身份号码（18位）``), full-width letters, stray
spaces. ``normalise_header`` removes all of that; each ``Column`` lists its aliases.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _

from dajiuzhu.core.normalise import clean_text, to_halfwidth

from .errors import FileRefused

_BRACKETED = re.compile(r"[(\[【（][^)\]】）]*[)\]】）]")


def normalise_header(value: object) -> str:
    text = to_halfwidth(clean_text(value if isinstance(value, str) else ("" if value is None else str(value))))
    text = _BRACKETED.sub("", text)
    text = re.sub(r"\s+", "", text).strip("*＊:：").lower()
    return text


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a template: its key (the validator's field name) and Chinese header."""

    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    level: str = "member"  # "member" or "household"
    description: str = ""
    example: str = ""
    values: str = ""  # allowed values, for the documentation sheet


@dataclasses.dataclass
class HeaderMap:
    """Where each known column is in the file, and what the file's header row said."""

    headers: list[str]  # the header cells as written
    index: dict[str, int]  # column key → position
    unknown: list[str]
    header_row: int

    def extract(self, row: Sequence[object]) -> dict[str, object]:
        size = len(row)
        return {key: (row[i] if i < size else None) for key, i in self.index.items()}

    def column_name(self, key: str) -> str:
        """``公民身份号码 (C)``: the header as written in the file and its column letter."""
        position = self.index.get(key)
        if position is None:
            return key
        return f"{self.headers[position]} ({column_letter(position)})"

    def present(self, key: str) -> bool:
        return key in self.index


class Template:
    """An ordered set of columns; knows its required headers and maps a header row."""

    def __init__(self, columns: Iterable[Column], *, ignored: Iterable[str] = ()):
        self.columns: tuple[Column, ...] = tuple(columns)
        self.by_key = {c.key: c for c in self.columns}
        self._lookup: dict[str, str] = {}
        for column in self.columns:
            for name in (column.header, *column.aliases, column.key):
                self._lookup.setdefault(normalise_header(name), column.key)
        self.ignored = {normalise_header(name) for name in ignored}

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def key_of(self, header: object) -> str | None:
        return self._lookup.get(normalise_header(header))

    def missing(self, header_row: Sequence[object]) -> list[Column]:
        found = {self.key_of(cell) for cell in header_row}
        return [c for c in self.required if c.key not in found]

    def map_headers(self, header_row: Sequence[object], *, row_number: int) -> HeaderMap:
        """Map a header row; refuse a missing required column or a column given twice."""
        headers = [clean_text(cell) if cell is not None else "" for cell in header_row]
        index: dict[str, int] = {}
        unknown: list[str] = []
        for position, header in enumerate(headers):
            if not header:
                continue
            key = self.key_of(header)
            if key is None:
                if normalise_header(header) not in self.ignored:
                    unknown.append(header)
                continue
            if key in index:
                raise FileRefused(
                    _("column %(header)s appears twice (columns %(first)s and %(second)s)")
                    % {"header": self.by_key[key].header, "first": column_letter(index[key]),
                       "second": column_letter(position)}
                )
            index[key] = position
        missing = [c.header for c in self.required if c.key not in index]
        if missing:
            raise FileRefused(
                _("required column missing: %(columns)s (the header row has: %(found)s)")
                % {"columns": "、".join(missing), "found": "、".join(h for h in headers if h) or "—"}
            )
        return HeaderMap(headers=headers, index=index, unknown=unknown, header_row=row_number)

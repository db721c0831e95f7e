"""Reading a delivered file (CSV in UTF-8/GBK or XLSX) into rows keyed by header.

Deliberately small: the header is the first non-empty row; every later non-empty row is a
dict of header → cell. The foundation's generic reader (``core.intake``) can replace it
without changing the delivery service, which takes any iterable of mappings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from dajiuzhu.core.errors import DomainError

MAX_ROWS = 200_000


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(_("the file is neither UTF-8 nor GBK text"), field="file")


def _rows_from_matrix(matrix: Iterator[list]) -> list[dict]:
    header: list[str] | None = None
    rows: list[dict] = []
    for cells in matrix:
        values = ["" if c is None else c for c in cells]
        if not any(str(v).strip() for v in values):
            continue
        if header is None:
            header = [str(v).strip() for v in values]
            continue
        rows.append({h: v for h, v in zip(header, values, strict=False) if h})
        if len(rows) > MAX_ROWS:
            raise DomainError(_("a file may have at most %(n)d rows; split it") % {"n": MAX_ROWS}, field="file")
    if header is None:
        raise DomainError(_("the file is empty"), field="file")
    return rows


def read_rows(name: str, data: bytes) -> list[dict]:
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - any unreadable workbook is one refusal
            raise DomainError(_("the spreadsheet cannot be read"), field="file") from None
        sheet = book.worksheets[0]
        return _rows_from_matrix(list(row) for row in sheet.iter_rows(values_only=True))
    if lowered.endswith(".csv") or lowered.endswith(".txt"):
        return _rows_from_matrix(csv.reader(io.StringIO(_decode(data))))
    raise DomainError(_("deliver a .csv or .xlsx file"), field="file")


def template_csv(headers: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(headers)
    return ("\ufeff" + out.getvalue()).encode("utf-8")

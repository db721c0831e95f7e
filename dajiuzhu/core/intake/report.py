"""The error report: the refused rows in the file's own layout plus the reason and row number.

The report keeps the original header row and cells, so an operator can correct the cells
and import the report itself; the two extra columns (``错误原因``, ``原行号``) are ignored on
import. Cells that a spreadsheet would execute are written as text (CSV: a leading ``'``;
XLSX: a string cell), so a refused formula never runs when the report is opened.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from .cells import cell_text, is_formula

REASON_HEADER = "错误原因"
ROW_HEADER = "原行号"
EXTRA_HEADERS = (REASON_HEADER, ROW_HEADER)


class ErrorReport:
    """Write refused rows to ``path`` (CSV or XLSX by its suffix); the file appears on the first row."""

    def __init__(self, path: str | Path, headers: Sequence[str]):
        self.path = Path(path)
        self.kind = "xlsx" if self.path.suffix.lower() == ".xlsx" else "csv"
        self.headers = [str(h) for h in headers]
        self.rows = 0
        self._handle = None
        self._writer = None
        self._workbook = None
        self._sheet = None

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        header = [*self.headers, *EXTRA_HEADERS]
        if self.kind == "csv":
            self._handle = open(self.path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            self._writer = csv.writer(self._handle)
            self._writer.writerow(header)
        else:
            import openpyxl

            self._workbook = openpyxl.Workbook(write_only=True)
            self._sheet = self._workbook.create_sheet("错误报告")
            self._sheet.append([self._xlsx_cell(h) for h in header])

    def add(self, row_number: int, values: Sequence[object], reason: str) -> None:
        if self.rows == 0:
            self._open()
        width = len(self.headers)
        cells = [values[i] if i < len(values) else None for i in range(width)]
        if self.kind == "csv":
            self._writer.writerow([_safe_csv(cell_text(c)) for c in cells] + [_safe_csv(reason), row_number])
        else:
            self._sheet.append([self._xlsx_cell(c) for c in cells] + [self._xlsx_cell(reason), row_number])
        self.rows += 1

    def _xlsx_cell(self, value: object):
        from openpyxl.cell import WriteOnlyCell

        if isinstance(value, str):
            from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

            cell = WriteOnlyCell(self._sheet, value=None)
            cell._value = ILLEGAL_CHARACTERS_RE.sub("", value)  # a string cell, never a formula
            cell.data_type = "s"
            return cell
        return value

    def close(self) -> Path | None:
        """Finish the file; the path, or None when no row was refused."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._workbook is not None:
            self._workbook.save(self.path)
            self._workbook = None
        return self.path if self.rows else None


def _safe_csv(text: str) -> str:
    return "'" + text if text and is_formula(text) else text

"""The error report: the refused rows in the file's own layout plus the reason and row number.

The report keeps the original header row and cells, so an operator can correct the cells
and import the report itself; the two extra columns (``错误原因``, ``原行号``) are ignored on
import. Cells that a spreadsheet would execute are written as text (CSV: a leading ``'``;
XLSX: a string cell), so a refused formula never runs when the report is opened.

A report whose path ends in ``.enc`` (``registry-….csv.enc``, the reports kept under
``VAR_DIR/reports``) is sealed: the rows are written as JSON lines through ``sealed.SealedWriter``
(AES-GCM, chunk by chunk), so no ID number or name is on disk in plaintext, not even in a
temporary file; ``report_content`` turns it back into the CSV or XLSX file, streamed, when an
authorised user downloads it.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from .cells import cell_text, is_formula
from .sealed import SUFFIX, SealedWriter, is_sealed_path, sealed_lines

REASON_HEADER = "错误原因"
ROW_HEADER = "原行号"
EXTRA_HEADERS = (REASON_HEADER, ROW_HEADER)


class ErrorReport:
    """Write refused rows to ``path`` (CSV or XLSX by its suffix); the file appears on the first row."""

    def __init__(self, path: str | Path, headers: Sequence[str]):
        self.path = Path(path)
        self.sealed = is_sealed_path(self.path)
        self.kind = report_kind(self.path)
        self.headers = [str(h) for h in headers]
        self.rows = 0
        self._handle = None
        self._writer = None
        self._workbook = None
        self._sheet = None

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        header = [*self.headers, *EXTRA_HEADERS]
        if self.sealed:
            self._handle = SealedWriter(self.path)
            self._handle.write(_json_line({"kind": self.kind, "header": header}))
        elif self.kind == "csv":
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
        if self.sealed:  # the cells as read (numbers stay numbers); made safe when the file is built
            self._handle.write(_json_line([*map(_plain, cells), reason, row_number]))
        elif self.kind == "csv":
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


def report_kind(path: str | Path) -> str:
    """``csv`` or ``xlsx``: the format of the report (of the imported file), sealed or not."""
    name = str(path).lower().removesuffix(SUFFIX)
    return "xlsx" if name.endswith(".xlsx") else "csv"


def _plain(value: object):
    return value if value is None or isinstance(value, (str, int, float, bool)) else cell_text(value)


def _json_line(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode() + b"\n"


def report_rows(path: str | Path) -> Iterator[list]:
    """The rows of a sealed report, the header row first."""
    lines = sealed_lines(path)
    head = json.loads(next(lines))
    yield head["header"]
    for line in lines:
        yield json.loads(line)


def report_content(path: str | Path) -> tuple[Iterator[bytes], str]:
    """The file an operator downloads (CSV in UTF-8 with BOM, or XLSX), streamed, and its kind."""
    kind = report_kind(path)
    rows = report_rows(path)
    rows = itertools.chain([next(rows)], rows)  # the header now: a file that does not open fails here, not mid-download
    return (_xlsx_bytes(rows) if kind == "xlsx" else _csv_bytes(rows)), kind


def _csv_bytes(rows: Iterator[list], batch: int = 2000) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    for number, row in enumerate(rows):
        if number == 0:
            writer.writerow(row)
        else:
            writer.writerow([_safe_csv(cell_text(c)) for c in row[:-1]] + [row[-1]])
        if number % batch == batch - 1:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


class _Sink:
    """An unseekable byte sink for ``zipfile``: what is written is taken out by ``take``."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="错误报告" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
        'Target="styles.xml"/></Relationships>'),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>'),
}


def _xlsx_cell(value) -> str:
    """One ``<c>``: text always as an inline string (never a formula), numbers as numbers."""
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f"<c><v>{value!r}</v></c>" if value == value and abs(value) != float("inf") else "<c/>"
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = escape(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _xlsx_bytes(rows: Iterator[list], batch: int = 2000) -> Iterator[bytes]:
    """An XLSX workbook built row by row into a streamed zip (no temporary file: nothing in plaintext on disk)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in _XLSX_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for number, row in enumerate(rows, start=1):
                sheet.write(f"<row>{''.join(map(_xlsx_cell, row))}</row>".encode())
                if number % batch == 0:
                    yield sink.take()
            sheet.write(b"</sheetData></worksheet>")
    yield sink.take()

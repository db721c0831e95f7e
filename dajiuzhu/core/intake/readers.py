"""Reading CSV (UTF-8 or GBK/GB18030, detected) and XLSX (read-only, streamed) tables.

``open_table`` finds the header row (a title row above it is allowed), maps it onto the
template and returns a ``Table`` whose ``rows()`` yields one data row at a time: a file of a
million rows is never held in memory. Everything that makes the file unusable as a whole
raises ``FileRefused`` with a message the operator can act on.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from .cells import cell_text
from .errors import FileRefused
from .guard import inspect_xlsx
from .sealed import SealedFileError, open_binary
from .template import HeaderMap, Template

HEADER_SCAN_ROWS = 10
_SAMPLE = 1 << 20
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAX_LINE = 1 << 20  # characters: a longer line is not a row of a table
# What a file really is when its name says table: (magic bytes, what to call it)
_NOT_TABLES = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", None),  # a BMP only with its header's size field (checked below)
    (b"Rar!\x1a\x07", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
)
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')

csv.field_size_limit(1 << 24)


@dataclasses.dataclass
class Table:
    """An opened table: where its header is, how it is encoded, and its data rows."""

    path: Path
    kind: str  # "csv" or "xlsx"
    header_map: HeaderMap
    encoding: str = ""
    delimiter: str = ","
    sheet_name: str = ""
    sheets: tuple[str, ...] = ()
    _workbook: object = None
    _worksheet: object = None
    _source: object = None

    def rows(self) -> Iterator[tuple[int, tuple]]:
        """(row number as the user sees it, raw cell values) for every non-blank data row."""
        if self.kind == "csv":
            yield from self._csv_rows()
        else:
            yield from self._xlsx_rows()

    def describe(self) -> str:
        if self.kind == "csv":
            return _("CSV file, encoding %(encoding)s") % {"encoding": self.encoding}
        return _("XLSX file, sheet %(sheet)s") % {"sheet": self.sheet_name}

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None
        if self._source is not None:
            self._source.close()
            self._source = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _csv_rows(self) -> Iterator[tuple[int, tuple]]:
        with _open_text(self.path, self.encoding) as handle:
            lines = _checked_lines(handle)
            reader = csv.reader(lines, delimiter=self.delimiter)
            number = 0
            try:
                for record in reader:
                    number += 1
                    if number <= self.header_map.header_row:
                        continue
                    if _blank(record):
                        continue
                    yield number, tuple(record)
            except UnicodeDecodeError as exc:
                raise FileRefused(_encoding_message(self.encoding, number + 1, exc)) from None
            except _BadLine as exc:
                raise FileRefused(exc.message(number + 1)) from None
            except SealedFileError:
                raise FileRefused(_("the stored upload cannot be read back (altered or cut off); upload the file "
                                    "again")) from None
            except csv.Error as exc:
                raise FileRefused(_("row %(row)d cannot be read as CSV: %(reason)s") % {"row": number + 1,
                                                                                        "reason": exc}) from None

    def _xlsx_rows(self) -> Iterator[tuple[int, tuple]]:
        first = self.header_map.header_row + 1
        try:
            for number, record in enumerate(self._worksheet.iter_rows(min_row=first, values_only=True), start=first):
                if _blank(record):
                    continue
                yield number, record
        except _XLSX_DAMAGE as exc:
            raise FileRefused(_("the XLSX file is damaged and cannot be read: %(reason)s")
                              % {"reason": str(exc)[:200] or type(exc).__name__}) from None


# What openpyxl raises on a damaged workbook as it reads rows (malformed XML is a SyntaxError, what
# defusedxml refuses a ValueError).
_XLSX_DAMAGE = (zipfile.BadZipFile, zlib.error, KeyError, ValueError, OSError, EOFError, SyntaxError, SealedFileError)


def _blank(record) -> bool:
    if record and record[0].__class__ is str and record[0].strip():  # the common case: the first cell has text
        return False
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in record)


def _encoding_message(encoding: str, row: int, exc: UnicodeDecodeError) -> str:
    return _(
        "the file is not valid %(encoding)s text (near row %(row)d, byte %(byte)s); save it as CSV in UTF-8 or GBK"
    ) % {"encoding": encoding.upper(), "row": row, "byte": exc.object[exc.start:exc.start + 1].hex() if exc.object else ""}


@contextlib.contextmanager
def _open_text(path: Path, encoding: str):
    handle = io.TextIOWrapper(open_binary(path), encoding=encoding, errors="strict", newline="")
    try:
        yield handle
    finally:
        handle.close()


class _BadLine(Exception):
    """A line of a CSV file that no table row can be: a NUL byte in text, or a line of megabytes."""

    def __init__(self, kind: str, column: int = 0):
        super().__init__(kind)
        self.kind, self.column = kind, column

    def message(self, row: int) -> str:
        if self.kind == "nul":
            return _("row %(row)d holds a NUL byte (character %(column)d of the line): the file is damaged or not a "
                     "text file; save the table again as CSV in UTF-8 or GBK") % {"row": row, "column": self.column}
        return _("row %(row)d is longer than %(max)d characters: the file is not a table in the template's layout "
                 "(is it one line without line breaks?)") % {"row": row, "max": _MAX_LINE}


def _checked_lines(handle) -> Iterator[str]:
    """The lines of a text file, refusing a NUL character or a line beyond ``_MAX_LINE`` (``_BadLine``)."""
    while line := handle.readline(_MAX_LINE + 1):
        if "\x00" in line:
            raise _BadLine("nul", line.index("\x00") + 1)
        if len(line) > _MAX_LINE:
            raise _BadLine("long")
        yield line


def _nul_position(sample: bytes) -> tuple[int, int] | None:
    """(row, byte position counted from 1) of the first NUL byte in ``sample``."""
    at = sample.find(b"\x00")
    if at < 0:
        return None
    return sample.count(b"\n", 0, at) + 1, at + 1


def _utf16_without_bom(sample: bytes) -> bool:
    """Text in UTF-16 without a BOM: a NUL in (nearly) every other byte, on one side only (ASCII letters,
    digits and separators are a character and a zero byte), as a NUL byte in damaged text never is."""
    window = sample[:4096]
    if len(window) < 8:
        return False
    even, odd = window[0::2], window[1::2]
    nul_even, nul_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    return (nul_odd >= 0.3 and nul_even <= 0.02) or (nul_even >= 0.3 and nul_odd <= 0.02)


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK and GB2312); refuse anything else."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(sample):
        raise FileRefused(_("the file is UTF-16 text (Excel “Unicode text”); save it as CSV in UTF-8 or GBK"))
    if nul := _nul_position(sample):
        raise FileRefused(_("row %(row)d holds a NUL byte (byte %(byte)d of the file): the file is damaged or not a "
                            "text file; save the table again as CSV in UTF-8 or GBK") % {"row": nul[0], "byte": nul[1]})
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            decoder.decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileRefused(_("the file's encoding is neither UTF-8 nor GBK/GB18030; save it as CSV in UTF-8 or GBK"))


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _find_header(rows: Iterator, template: Template) -> tuple[int, tuple] | None:
    """The first of the first rows that holds every required header; else the first non-blank row."""
    first_nonblank = None
    for number, record in rows:
        if number > HEADER_SCAN_ROWS:
            break
        if _blank(record):
            continue
        if first_nonblank is None:
            first_nonblank = (number, record)
        if not template.missing(record):
            return number, record
    return first_nonblank


def open_table(path: str | Path, template: Template, *, filename: str = "", inspect: bool = True) -> Table:
    """Open a CSV or XLSX file laid out in ``template``; refuse it whole if it is unusable.

    ``path`` may be a sealed upload (``core.uploads``): it is decrypted as it is read, never to disk.
    An XLSX is first checked against the limits of ``guard.inspect_xlsx`` (``inspect=False`` only for a
    file already checked, e.g. by the process that forked the caller).
    """
    path = Path(path)
    name = (filename or path.name).lower()
    try:
        with open_binary(path) as handle:
            head = handle.read(_SAMPLE)
            complete = len(head) < _SAMPLE
    except OSError as exc:
        raise FileRefused(_("the file cannot be opened: %(reason)s") % {"reason": exc.strerror}) from None
    except SealedFileError:
        raise FileRefused(_("the stored upload cannot be read back (altered or cut off); upload the file "
                            "again")) from None
    if not head.strip(b" \r\n\t\xef\xbb\xbf"):
        raise FileRefused(_("the file is empty"))
    if head.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        raise FileRefused(_("the old Excel format (.xls) is not supported; save the file as .xlsx or CSV"))
    _refuse_not_a_table(head)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path, template, inspect=inspect)
    if name.endswith((".xlsx", ".xlsm")):
        raise FileRefused(_("the file is named .xlsx but is not an XLSX workbook; save the table from Excel or WPS "
                            "as .xlsx or CSV"))
    if head.startswith((b"PK\x05\x06", b"PK\x07\x08")):
        raise FileRefused(_("the file is not a valid XLSX workbook (its ZIP structure is damaged)"))
    return _open_csv(path, template, head, complete)


def _refuse_not_a_table(head: bytes) -> None:
    for magic, kind in _NOT_TABLES:
        if not head.startswith(magic):
            continue
        if kind is None:  # "BM": a bitmap only with its header's zero reserved bytes, else text starting "BM"
            if len(head) < 14 or head[6:10] != b"\x00\x00\x00\x00" or int.from_bytes(head[2:6], "little") < 26:
                continue
            kind = "BMP"
        raise FileRefused(_("the file is a %(kind)s file (an image, a document or an archive), not a table; upload "
                            "the table as CSV or XLSX") % {"kind": kind})


def _open_csv(path: Path, template: Template, head: bytes, complete: bool) -> Table:
    encoding = detect_encoding(head, complete=complete)
    text = head.decode(encoding, errors="ignore")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line[:_MAX_LINE])
    with _open_text(path, encoding) as handle:
        number = 0
        try:
            records = ((number := n, tuple(r))
                       for n, r in enumerate(csv.reader(_checked_lines(handle), delimiter=delimiter), start=1))
            found = _find_header(records, template)
        except UnicodeDecodeError as exc:
            raise FileRefused(_encoding_message(encoding, 1, exc)) from None
        except _BadLine as exc:
            raise FileRefused(exc.message(number + 1)) from None
        except csv.Error as exc:
            raise FileRefused(_("the file cannot be read as CSV: %(reason)s") % {"reason": exc}) from None
    if found is None:
        raise FileRefused(_("the file is empty"))
    number, record = found
    try:
        header_map = template.map_headers(record, row_number=number)
    except FileRefused as exc:
        if encoding == "gb18030" and not any(_has_cjk(cell) for cell in record):
            raise FileRefused(exc.message + " " + _("(the file was read as GBK; if the headers look garbled, save it "
                                                    "as CSV in UTF-8)")) from None
        raise
    return Table(path=path, kind="csv", header_map=header_map, encoding=encoding, delimiter=delimiter)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text or "")


def _open_xlsx(path: Path, template: Template, *, inspect: bool = True) -> Table:
    import openpyxl

    source = open_binary(path)
    try:
        if inspect:
            inspect_xlsx(source)
            source.seek(0)
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=False)
    except FileRefused:
        source.close()
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        source.close()
        raise FileRefused(_("the XLSX file cannot be read: %(reason)s") % {"reason": exc or type(exc).__name__}) from None
    try:
        sheets = tuple(ws.title for ws in workbook.worksheets)
        first_problem: FileRefused | None = None
        for worksheet in workbook.worksheets:
            # The declared dimension is not trusted: a lying one (A1:XFD1048576) would pad every row to 16,384
            # cells. Rows come back as long as their last cell; ``HeaderMap.extract`` takes short rows.
            worksheet.reset_dimensions()
            rows = enumerate(worksheet.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True), start=1)
            try:
                found = _find_header(((n, tuple(cell_text(c) for c in r)) for n, r in rows), template)
            except _XLSX_DAMAGE as exc:
                raise FileRefused(_("the XLSX file is damaged and cannot be read: %(reason)s")
                                  % {"reason": str(exc)[:200] or type(exc).__name__}) from None
            if found is None:
                continue
            number, record = found
            try:
                header_map = template.map_headers(record, row_number=number)
            except FileRefused as exc:
                first_problem = first_problem or FileRefused(
                    _("sheet %(sheet)s: %(reason)s") % {"sheet": worksheet.title, "reason": exc.message})
                continue
            _refuse_merged_cells(workbook, worksheet, header_row=number)
            return Table(path=path, kind="xlsx", header_map=header_map, sheet_name=worksheet.title, sheets=sheets,
                         _workbook=workbook, _worksheet=worksheet, _source=source)
        if first_problem is not None and len(sheets) == 1:
            raise first_problem
        if first_problem is not None:
            raise FileRefused(_("no sheet has the required columns (sheets: %(sheets)s); %(reason)s")
                              % {"sheets": "、".join(sheets), "reason": first_problem.message})
        raise FileRefused(_("the file is empty"))
    except BaseException:
        workbook.close()
        source.close()
        raise


def _merged_ranges(workbook, worksheet) -> list[str]:
    """The merged ranges of a sheet, by scanning its XML (read-only sheets do not parse them)."""
    refs: list[str] = []
    path = getattr(worksheet, "_worksheet_path", None)
    archive = getattr(workbook, "_archive", None)
    if not path or archive is None:
        return refs
    tail = b""
    with archive.open(path) as source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            if b"mergeCell" in data:
                refs.extend(m.decode() for m in _MERGE_REF.findall(data))
            tail = data[-200:]
    return list(dict.fromkeys(refs))


def _refuse_merged_cells(workbook, worksheet, *, header_row: int) -> None:
    from openpyxl.utils.cell import range_boundaries

    bad = []
    for ref in _merged_ranges(workbook, worksheet):
        _min_col, _min_row, _max_col, max_row = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
        if max_row >= header_row:
            bad.append(ref)
    if bad:
        where = "、".join(bad[:5]) + ("…" if len(bad) > 5 else "")
        raise FileRefused(
            _("sheet %(sheet)s has merged cells (%(ranges)s) in the header or data rows; unmerge them and fill the "
              "value into every cell") % {"sheet": worksheet.title, "ranges": where}
        )


__all__ = ["Table", "detect_encoding", "open_table"]

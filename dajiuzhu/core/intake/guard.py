"""Limits checked on an uploaded file before any parser sees it (decompression and XML bombs).

An XLSX is a ZIP of XML files. A small file can declare or hold gigabytes (a sheet of whitespace,
twenty million empty shared strings), a lying dimension that makes a reader pad every row to 16,384
cells, or an XML entity that expands a billion times. ``inspect_xlsx`` refuses such a file with the
reason, before ``openpyxl`` parses anything:

- the ZIP's central directory: at most ``members`` members, each declared size at most
  ``member_bytes``, their sum at most ``total_bytes``, and no member larger than ``min_ratio_bytes``
  compressed more than ``ratio`` to one;
- then every member is decompressed as a stream (nothing kept) with a byte budget, so a header that
  lies about the size is caught by what actually comes out; XML members must not hold a document
  type declaration (``<!DOCTYPE``/``<!ENTITY``: an XLSX never has one, entity bombs need one);
- the shared strings are counted (at most ``shared_strings``: ``openpyxl`` keeps them all in memory)
  and the sheets' rows (at most Excel's 1,048,576); a sheet's declared dimension beyond Excel's limits
  is refused (a plausible one is ignored by the reader, which then pads nothing).

Time and memory stay bounded by the budget: one decompressed megabyte at a time. The limits are in
``LIMITS`` and can be changed with the setting ``INTAKE_LIMITS`` (a dict of the same keys).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import FileRefused

MB = 1024 * 1024
LIMITS = {
    "members": 1000,  # an XLSX from Excel or WPS has a few dozen
    "member_bytes": 1024 * MB,  # uncompressed, one member (a sheet of about a million rows)
    "total_bytes": 2048 * MB,  # uncompressed, the whole file
    "ratio": 100,  # uncompressed / compressed; real sheets compress 5 to 30 times
    "min_ratio_bytes": 4 * MB,  # small members may compress better (styles, empty sheets)
    "shared_strings": 2_000_000,
    "rows": 1_048_576,  # Excel's limit
    "columns": 16_384,
}
_READ = MB
_OVERLAP = 64
_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_PREFIXED_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*):(?:worksheet|sst)[\s>]")
_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref="\$?([A-Z]{1,4})?\$?(\d{1,9})?(?::\$?([A-Z]{1,4})\$?(\d{1,9}))?"')


def limits() -> dict[str, int]:
    return {**LIMITS, **(getattr(settings, "INTAKE_LIMITS", None) or {})}


def _mb(n: int) -> str:
    return f"{n / MB:,.0f}"


def _column_number(letters: bytes) -> int:
    number = 0
    for code in letters:
        number = number * 26 + code - 64
    return number


def inspect_xlsx(source: BinaryIO) -> dict:
    """Refuse (``FileRefused``) an XLSX beyond the limits; else what was found (members, bytes, counts)."""
    bounds = limits()
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError):
        raise FileRefused(_("the file is not a valid XLSX workbook (its ZIP structure is damaged)")) from None
    with archive:
        members = archive.infolist()
        if len(members) > bounds["members"]:
            raise FileRefused(_("the XLSX file holds %(n)d parts, more than the %(max)d allowed; it is not a normal "
                                "workbook") % {"n": len(members), "max": bounds["members"]})
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names:
            raise FileRefused(_("the file is a ZIP archive but not an XLSX workbook; save the table from Excel or WPS "
                                "as .xlsx or CSV"))
        total = 0
        for member in members:
            total += member.file_size
            if member.file_size > bounds["member_bytes"]:
                raise FileRefused(_("part %(part)s of the XLSX file unpacks to %(size)s MB, more than the %(max)s MB "
                                    "allowed; split the file or save it as CSV")
                                  % {"part": member.filename[:80], "size": _mb(member.file_size),
                                     "max": _mb(bounds["member_bytes"])})
            if (member.file_size > bounds["min_ratio_bytes"]
                    and member.file_size > bounds["ratio"] * max(member.compress_size, 1)):
                raise FileRefused(_("part %(part)s of the XLSX file is compressed %(ratio)d to one (more than %(max)d): "
                                    "the file is a decompression bomb or damaged, and was not opened")
                                  % {"part": member.filename[:80],
                                     "ratio": member.file_size // max(member.compress_size, 1), "max": bounds["ratio"]})
            if member.flag_bits & 0x1:
                raise FileRefused(_("the XLSX file is password-protected; remove the password and upload it again"))
        if total > bounds["total_bytes"]:
            raise FileRefused(_("the XLSX file unpacks to %(size)s MB, more than the %(max)s MB allowed; split the file "
                                "or save it as CSV") % {"size": _mb(total), "max": _mb(bounds["total_bytes"])})
        found = {"members": len(members), "bytes": 0, "shared_strings": 0, "rows": {}}
        budget = bounds["total_bytes"]
        for member in members:
            if member.is_dir():
                continue
            read = _stream_member(archive, member, bounds, found, budget)
            budget -= read
            found["bytes"] += read
    return found


def _stream_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, bounds: dict, found: dict, budget: int) -> int:
    name = member.filename
    is_xml = name.endswith((".xml", ".rels", ".vml"))
    is_shared = name.lower().endswith("sharedstrings.xml")
    is_sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
    limit = min(bounds["member_bytes"], budget, member.file_size)
    read = strings = rows = 0
    tail = b""
    needle: bytes | None = None
    try:
        with archive.open(member) as stream:
            while True:
                # never more than the declared size (plus one byte, to see a lie) and the budget
                chunk = stream.read(min(_READ, limit + 1 - read))
                if not chunk:
                    break
                read += len(chunk)
                if read > limit:
                    raise FileRefused(_("part %(part)s of the XLSX file holds more than it declares or is allowed "
                                        "(%(max)s MB); the file is damaged or a decompression bomb")
                                      % {"part": name[:80], "max": _mb(limit)})
                if not is_xml:
                    continue
                data = tail + chunk
                # A tag cut by the chunk's end is scanned with the next chunk, never twice; the scans take
                # ``end`` instead of slicing (no copy of the megabyte).
                cut = data.rfind(b"<")
                if cut >= max(len(data) - _OVERLAP, 0) and read < limit:
                    end, tail = cut, data[cut:]
                else:
                    end, tail = len(data), b""
                if data.find(b"<!", 0, end) >= 0 and _DOCTYPE.search(data, 0, end):
                    raise FileRefused(_("part %(part)s of the XLSX file declares a document type or entities, which "
                                        "a workbook never does; the file was not opened") % {"part": name[:80]})
                if needle is None and (is_sheet or is_shared):
                    if is_sheet:
                        _check_dimension(name, data, bounds)
                    needle = _needle(data, b"row" if is_sheet else b"si")
                if is_shared:
                    strings += data.count(needle, 0, end)
                    if strings > bounds["shared_strings"]:
                        raise FileRefused(_("the XLSX file holds more than %(max)s different texts (shared strings); "
                                            "split the file or save it as CSV") % {"max": f"{bounds['shared_strings']:,}"})
                elif is_sheet:
                    rows += data.count(needle, 0, end)  # "<rowBreaks" counts one more: harmless for a limit
                    if rows > bounds["rows"]:
                        raise FileRefused(_("sheet %(part)s holds more than %(max)s rows") % {
                            "part": name[:80], "max": f"{bounds['rows']:,}"})
    except FileRefused:
        raise
    except NotImplementedError:
        raise FileRefused(_("part %(part)s of the XLSX file uses a compression this program does not read; save "
                            "the file again from Excel or WPS") % {"part": name[:80]}) from None
    except RuntimeError:  # zipfile: an encrypted member
        raise FileRefused(_("the XLSX file is password-protected; remove the password and upload it again")) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        raise FileRefused(_("part %(part)s of the XLSX file is damaged (its content does not match its checksum "
                            "or size)") % {"part": name[:80]}) from None
    if read != member.file_size:
        raise FileRefused(_("part %(part)s of the XLSX file is damaged (its content does not match its checksum "
                            "or size)") % {"part": name[:80]})
    found["shared_strings"] += strings
    if is_sheet:
        found["rows"][name] = rows
    return read


def _needle(head: bytes, tag: bytes) -> bytes:
    """``<tag`` as this part writes it: with the namespace prefix of its root element, if it has one
    (``<x:worksheet`` → ``<x:row``)."""
    match = _PREFIXED_ROOT.search(head)
    return b"<" + (match.group(1) + b":" if match else b"") + tag


def _check_dimension(name: str, data: bytes, bounds: dict) -> None:
    match = _DIMENSION.search(data)
    if not match:
        return
    cols = [g for g in (match.group(1), match.group(3)) if g]
    rows = [g for g in (match.group(2), match.group(4)) if g]
    max_col = max((_column_number(c) for c in cols), default=0)
    max_row = max((int(r) for r in rows), default=0)
    if max_col > bounds["columns"] or max_row > bounds["rows"]:
        raise FileRefused(_("sheet %(part)s declares a size beyond what a workbook can hold (%(ref)s); the file is "
                            "damaged") % {"part": name[:80], "ref": match.group(0)[-40:].decode("ascii", "replace")})


__all__ = ["LIMITS", "inspect_xlsx", "limits"]

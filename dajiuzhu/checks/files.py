"""Reading a delivered file through the shared intake (``core.intake``).

CSV in UTF-8 or GBK/GB18030 is detected, XLSX is streamed read-only, headers are matched with the
foundation's normalisation (brackets, stars, full-width letters, spaces) and the data type's aliases,
formula and markup cells are named. Every row comes back as a dict of field name → cell text with
``_line`` (its row number in the file) and ``_problems`` (the cells refused by the intake). The
refused rows of a delivery come back in the same layout (``error_file``) with the reason in an extra
column, so a department can correct them and deliver the file again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from django.utils.translation import gettext as _

from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.intake import Column, FileRefused, Template, cell_problem, cell_text, open_table
from dajiuzhu.core.intake.cells import is_formula
from dajiuzhu.core.uploads import upload_delete, upload_save_bytes

from .datatypes import DataType
from .delivery import row_values
from .parsing import LEAD_ALIASES

MAX_ROWS = 200_000
LINE_HEADER = "原文件行号"
REASON_HEADER = "错误原因"
_LEAD_HEADERS = {"id_number": "身份证号", "name": "姓名", "as_of": "数据日期", "region_code": "行政区划代码"}


def delivery_template(spec: DataType) -> Template:
    """The file template of a data type: its lead columns, then its fields (docs/department-data.md)."""
    lead = ["region_code", "as_of"] if spec.subject == "region" else ["id_number", "name", "as_of"]
    columns = [
        Column(key=key, header=_LEAD_HEADERS[key], required=key != "name",
               aliases=tuple(alias for alias, target in LEAD_ALIASES.items() if target == key))
        for key in lead
    ]
    columns += [Column(key=f.name, header=f.header, required=f.required) for f in spec.fields]
    return Template(columns, ignored=[LINE_HEADER, REASON_HEADER])


def read_rows(name: str, data: bytes, *, spec: DataType) -> list[dict]:
    """The rows of a delivered file's bytes; a file that cannot be used at all is one ``DomainError``. The bytes
    are kept sealed while they are read (``core.uploads``), never as a plaintext file."""
    path = upload_save_bytes(data, name=name or "delivery.csv")
    try:
        return read_rows_at(path, name=name, spec=spec)
    finally:
        upload_delete(path)


def read_rows_at(path: str | Path, *, name: str, spec: DataType) -> list[dict]:
    """The rows of a delivered file kept at ``path`` (a sealed upload of ``core.uploads``, or plain)."""
    template = delivery_template(spec)
    rows: list[dict] = []
    try:
        with open_table(path, template, filename=name or "") as table:
            for line, record in table.rows():
                values = table.header_map.extract(record)
                row: dict = {key: cell_text(value) for key, value in values.items()}
                problems = [(key, problem) for key, value in values.items() if (problem := cell_problem(value))]
                row["_line"] = line
                if problems:
                    row["_problems"] = problems
                rows.append(row)
                if len(rows) > MAX_ROWS:
                    raise DomainError(_("a file may have at most %(n)d rows; split it") % {"n": MAX_ROWS},
                                      field="file")
    except FileRefused as exc:
        raise DomainError(str(exc), field="file") from None
    if not rows:
        raise DomainError(_("the file has a header but no data row"), field="file")
    return rows


def template_csv(headers: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(headers)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def error_file(spec: DataType, errors: Iterable[Mapping]) -> bytes:
    """The refused rows in the template's layout, with the file's row number first and the reasons
    last (both ignored when the corrected file is delivered again). UTF-8 with BOM, for Excel."""
    template = delivery_template(spec)
    keys = [c.key for c in template.columns]
    by_row: dict[object, dict] = {}
    for error in errors:
        entry = by_row.setdefault(error.get("row"), {"values": {}, "reasons": []})
        entry["reasons"].append(f"{_field_label(spec, error.get('field', ''))}: {error.get('reason', '')}")
        entry["values"] = entry["values"] or row_values(error)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([LINE_HEADER, *template.headers(), REASON_HEADER])
    for row, entry in by_row.items():
        writer.writerow([row, *[_safe(entry["values"].get(key, "")) for key in keys], "; ".join(entry["reasons"])])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _field_label(spec: DataType, key: str) -> str:
    for field in spec.fields:
        if field.name == key:
            return field.header
    return _LEAD_HEADERS.get(key, key)


def _safe(value: object) -> str:
    """A cell written back for correction; a formula is neutralised so a spreadsheet shows it as text."""
    text = "" if value is None else str(value)
    return "'" + text if is_formula(text) else text

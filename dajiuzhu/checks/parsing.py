"""One delivered row to a clean record: normalise, validate, and name every problem.

Rows come from the API (English field names) or from a file (the Chinese headers of the
template, docs/department-data.md); both are accepted. Normalisation is the foundation's
(``core.normalise``, ``core.ids``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.utils.translation import gettext as _

from dajiuzhu.core import crypto, regioncodes
from dajiuzhu.core.ids import InvalidIdNumber, mask_id_number, parse_id_number
from dajiuzhu.core.normalise import clean_code, clean_text, looks_like_formula, parse_date, parse_decimal, parse_int

from .datatypes import DataType

LEAD_ALIASES = {"身份证号": "id_number", "身份证号码": "id_number", "公民身份号码": "id_number", "姓名": "name",
                "数据日期": "as_of", "日期": "as_of", "行政区划代码": "region_code", "区划代码": "region_code"}


@dataclasses.dataclass
class CleanRecord:
    subject_key: str
    id_masked: str
    name: str
    region_code: str
    as_of: dt.date
    values: dict
    amount: int | None = None
    quantity: int | None = None
    quantity2: int | None = None
    event_date: dt.date | None = None

    def canonical(self) -> tuple:
        return (self.subject_key, self.as_of.isoformat(), sorted(self.values.items()))


class RowProblems(ValueError):
    def __init__(self, problems: list[tuple[str, str]], *, future: bool = False):
        super().__init__("; ".join(f"{f}: {r}" for f, r in problems))
        self.problems = problems
        self.future = future


def header_map(data_type: DataType) -> dict[str, str]:
    names = {**LEAD_ALIASES}
    for field in data_type.fields:
        names[field.header] = field.name
    for name in ["id_number", "name", "as_of", "region_code", *[f.name for f in data_type.fields]]:
        names[name] = name
    return names


def _fen(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def parse_row(data_type: DataType, raw: Mapping, *, today: dt.date) -> CleanRecord:
    """A clean record, or ``RowProblems`` with every (field, reason)."""
    names = header_map(data_type)
    row = {names[clean_text(k)]: v for k, v in raw.items() if clean_text(k) in names}
    problems: list[tuple[str, str]] = []
    future = False
    for key, value in row.items():
        if isinstance(value, str) and looks_like_formula(value.strip()):
            problems.append((key, _("contains a formula; enter the value as plain text")))
    if problems:
        raise RowProblems(problems)

    subject_key = id_masked = name = region_code = ""
    if data_type.subject == "region":
        region_code = clean_code(row.get("region_code"))
        if not regioncodes.is_code(region_code):
            problems.append(("region_code", _("a 12-digit division code is required")))
        subject_key = "region:" + region_code
    else:
        try:
            number = parse_id_number(row.get("id_number"), today=today).number
        except InvalidIdNumber as exc:
            problems.append(("id_number", str(exc)))
        else:
            subject_key, id_masked = crypto.blind_index(number), mask_id_number(number)
        name = clean_text(row.get("name"))[:60]

    as_of = None
    try:
        as_of = parse_date(row.get("as_of"))
    except ValueError as exc:
        problems.append(("as_of", str(exc)))
    if as_of is None and not any(f == "as_of" for f, _r in problems):
        problems.append(("as_of", _("the date the data describes is required")))
    elif as_of is not None and as_of > today:
        problems.append(("as_of", _("%(date)s is in the future") % {"date": as_of}))
        future = True

    values: dict[str, object] = {}
    typed: dict[str, object] = {}
    for field in data_type.fields:
        raw_value = row.get(field.name)
        try:
            if field.kind == "money":
                value = parse_decimal(raw_value)
                stored = str(value) if value is not None else None
                typed_value = _fen(value) if value is not None else None
            elif field.kind == "int":
                value = parse_int(raw_value, minimum=0, maximum=100000)
                stored = typed_value = value
            elif field.kind == "date":
                value = parse_date(raw_value)
                if value is not None and value > today:
                    future = True
                    raise ValueError(_("%(date)s is in the future") % {"date": value})
                stored, typed_value = (value.isoformat() if value else None), value
            else:
                value = clean_text(raw_value)[:200] or None
                if value is not None and field.choices and value not in field.choices:
                    raise ValueError(_("expected one of %(choices)s") % {"choices": ", ".join(field.choices)})
                stored = typed_value = value
        except ValueError as exc:
            problems.append((field.name, str(exc)))
            continue
        if value is None:
            if field.required:
                problems.append((field.name, _("%(label)s is required") % {"label": field.label}))
            continue
        values[field.name] = stored
        if field.column:
            typed[field.column] = typed_value
    if data_type.code == "disability" and typed.get("quantity") is not None and not 1 <= typed["quantity"] <= 4:
        problems.append(("grade", _("a disability grade is 1 to 4")))
    if problems:
        raise RowProblems(problems, future=future)
    return CleanRecord(subject_key=subject_key, id_masked=id_masked, name=name, region_code=region_code, as_of=as_of,
                       values=values, **typed)

"""Departments' and organisations' files of assistance records, read through the shared intake
(``core.intake``: CSV in UTF-8 or GBK detected, XLSX streamed, headers mapped by alias, formula
and markup cells refused)."""

from __future__ import annotations

from pathlib import Path

from dajiuzhu.core.intake import Column, Template, cell_problem, cell_text, file_digest, open_table

from .services import DELIVERY_COLUMNS

REQUIRED = {"id_number", "given_on"}
TEMPLATE = Template(
    Column(key=key, header=aliases[1] if len(aliases) > 1 else key, required=key in REQUIRED, aliases=aliases)
    for key, aliases in DELIVERY_COLUMNS.items()
)


def read_delivery_path(path: str | Path, *, filename: str) -> list[dict]:
    """The rows of a kept upload (``core.uploads``, sealed) as dicts of column key → text (``_line`` = the row
    number in the file, ``_problem`` = why a cell is refused)."""
    rows = []
    with open_table(path, TEMPLATE, filename=filename) as table:
        for number, record in table.rows():
            values = table.header_map.extract(record)
            row = {key: cell_text(value) for key, value in values.items()}
            problems = [f"{table.header_map.column_name(key)}: {problem}" for key, value in values.items()
                        if (problem := cell_problem(value))]
            row["_line"] = number
            if problems:
                row["_problem"] = "; ".join(problems)
            rows.append(row)
    return rows


def delivery_file_digest(path: str | Path) -> str:
    return file_digest(path)

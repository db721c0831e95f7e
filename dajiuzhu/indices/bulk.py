"""Bulk inserts that skip rows already there: COPY on PostgreSQL, batched inserts elsewhere.

The COPY data is built column by column (``column_texts``: numpy arrays formatted in one go, a
value shared by every row formatted once) and sent in large blocks — not one ``write_row`` call
with per-value conversions per row, which cost more than the database's own work."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from django.db import IntegrityError, connection, transaction

from dajiuzhu.core import fkchecks, regioncodes

try:  # COPY runs on the raw psycopg cursor: its errors are not wrapped by Django
    from psycopg import IntegrityError as PsycopgIntegrityError
except ImportError:  # pragma: no cover - SQLite-only installs
    PsycopgIntegrityError = IntegrityError

CONFLICT_ERRORS = (IntegrityError, PsycopgIntegrityError)
COPY_BLOCK_ROWS = 50_000


_CUTS = (0, *regioncodes.PREFIX_LENGTHS.values())  # "", province, city, county, township, village


def region_lock_keys(prefix: str) -> list[tuple[int, bool]]:
    """The advisory locks a writer of ``prefix`` takes, in the order it takes them: (key, exclusive).

    Its own region exclusively (a prefix between two levels counts as the level above: ``3714241`` locks
    the county ``371424``), every enclosing region shared. Two writers wait for each other exactly when
    one's region contains the other's: townships of one county write at once, a county-wide run waits
    for them (and they for it). Every writer takes its keys from the widest region down, one order for
    all, so no two writers can deadlock."""
    prefix = prefix[:12]
    own = max(n for n in _CUTS if n <= len(prefix))
    keys = [(prefix[:n], False) for n in _CUTS if n < own] + [(prefix[:own], True)]
    return [(0x494E_0000_0000 + (n << 32) + zlib.crc32(p.encode()), exclusive)
            for n, (p, exclusive) in enumerate(keys)]


def lock_region(prefix: str) -> None:
    """Serialise writers of overlapping regions' indices and roster (PostgreSQL advisory locks held until this
    transaction ends; ``region_lock_keys``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for key, exclusive in region_lock_keys(prefix):
                cursor.execute("SELECT pg_advisory_xact_lock(%s)" if exclusive
                               else "SELECT pg_advisory_xact_lock_shared(%s)", [key])


def _json(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


class Same:
    """One value for every row of a column (formatted once)."""

    def __init__(self, value):
        self.value = value


_SPECIAL = ("\\", "\t", "\n", "\r")


def _escape(text: str) -> str:
    """COPY text format escaping (as psycopg's ``write_row`` does)."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _field(value) -> str:
    """One value as a COPY text field."""
    if value is None:
        return r"\N"
    if isinstance(value, (bool, np.bool_)):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        return _escape(json.dumps(value, ensure_ascii=False))
    if isinstance(value, (float, np.floating)):
        return repr(float(value)) if value == value else r"\N"  # shortest text that reads back the same double
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return _escape(str(value))


def column_texts(values, n: int) -> list[str]:
    """The COPY text fields of one column of ``n`` rows: a ``Same``, a numpy array or a sequence."""
    if isinstance(values, Same):
        return [_field(values.value)] * n
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "b":
            return np.where(values, "t", "f").tolist()
        if values.dtype.kind in "iu":
            return list(map(str, values.tolist()))
        if values.dtype.kind == "f":  # repr: the shortest text that reads back the same double; nan is NULL
            return [repr(v) if v == v else r"\N" for v in values.tolist()]
        values = values.tolist()
    values = list(values)
    if len(values) != n:
        raise ValueError(f"a column has {len(values)} values for {n} rows")
    if all(type(v) is str for v in values):
        joined = "".join(values)  # one scan in C for the characters that need escaping
        return [_escape(v) for v in values] if any(c in joined for c in _SPECIAL) else values
    return [_field(v) for v in values]


def copy_columns(table: str, columns: dict[str, object], n: int) -> None:
    """COPY ``n`` rows given column-wise (see ``column_texts``) into ``table`` (PostgreSQL)."""
    if not n:
        return
    names = ", ".join(f'"{c}"' for c in columns)
    texts = [column_texts(values, n) for values in columns.values()]
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for start in range(0, n, COPY_BLOCK_ROWS):
            block = [t[start:start + COPY_BLOCK_ROWS] for t in texts]
            copy.write("\n".join(map("\t".join, zip(*block))) + "\n")


def _columns_of(columns: Sequence[str], rows: list[tuple]) -> dict[str, list]:
    return {name: [row[i] for row in rows] for i, name in enumerate(columns)}


def copy_rows(model, columns: Sequence[str], rows: list[tuple]) -> None:
    """COPY ``rows`` straight into ``model``'s table (PostgreSQL; the caller knows they are new)."""
    copy_columns(model._meta.db_table, _columns_of(columns, rows), len(rows))


def _distinct(values) -> set:
    if isinstance(values, Same):
        return {values.value}
    if isinstance(values, np.ndarray):
        return set(np.unique(values).tolist())
    return set(values)


@contextmanager
def references_checked(model, columns: dict[str, object], n: int) -> Iterator[None]:
    """Rows of ``model`` written inside the block skip PostgreSQL's per-row foreign-key triggers, and their keys
    are checked set-based after it (``core.fkchecks``), when this role may do so; else the triggers run.

    ``columns`` are the rows written (as for ``copy_columns``): every foreign-key column among them is
    checked against its parent table, each parent row locked ``FOR KEY SHARE`` as the trigger would."""
    table = model._meta.db_table
    if not n or not fkchecks.allowed([table]):
        yield
        return
    with connection.cursor() as cursor:
        with fkchecks.triggers_off(cursor):
            yield
        for field in model._meta.concrete_fields:
            if field.is_relation and field.db_constraint and field.column in columns:
                fkchecks.check_references(cursor, field.related_model._meta.db_table,
                                          _distinct(columns[field.column]), what=table)


def insert_columns(model, columns: dict[str, object], n: int, *, batch_size: int = 5000,
                   conflicts_possible: bool = True) -> None:
    """Insert ``n`` rows given column-wise (db column names; values as for ``column_texts``) into
    ``model``'s table; rows that would break a unique constraint are skipped. JSON values must be
    dicts or lists. ``conflicts_possible=False`` (new rows under ``lock_region``): one straight COPY
    on PostgreSQL (a rare conflict rolls back to a savepoint and takes the path that skips it)."""
    if not n:
        return
    table = model._meta.db_table
    if connection.vendor == "postgresql" and not conflicts_possible:
        try:
            with transaction.atomic(), references_checked(model, columns, n):
                copy_columns(table, columns, n)
            return
        except CONFLICT_ERRORS:
            pass
    if connection.vendor == "postgresql":
        cols = ", ".join(f'"{c}"' for c in columns)
        load = f"{table}_load"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {load} (LIKE {table}) ON COMMIT DROP")
            cursor.execute(f"ALTER TABLE {load} ALTER COLUMN id DROP NOT NULL")
            copy_columns(load, columns, n)
            with references_checked(model, columns, n):
                cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {load} ON CONFLICT DO NOTHING")
            cursor.execute(f"DROP TABLE {load}")
        return
    values = [[v.value] * n if isinstance(v, Same) else (v.tolist() if isinstance(v, np.ndarray) else list(v))
              for v in columns.values()]
    fields = {f.column: f.attname for f in model._meta.concrete_fields}
    objects = [model(**{fields[c]: v for c, v in zip(columns, row)}) for row in zip(*values)]
    model.objects.bulk_create(objects, batch_size=batch_size, ignore_conflicts=True)


def insert_ignoring_conflicts(model, columns: Sequence[str], rows: list[tuple], *, batch_size: int = 5000,
                              conflicts_possible: bool = True) -> None:
    """``insert_columns`` for rows given as tuples in ``columns`` order."""
    insert_columns(model, _columns_of(columns, rows), len(rows), batch_size=batch_size,
                   conflicts_possible=conflicts_possible)

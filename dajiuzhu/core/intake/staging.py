"""Set-based loading of validated rows: a temporary staging table, then SQL.

On PostgreSQL rows go in with ``COPY … FROM STDIN`` (the fastest way into the server); on
SQLite with batched ``executemany``. The statements that merge the staging table into the
real tables (``INSERT … SELECT … ON CONFLICT``, ``UPDATE … FROM``) are the same on both.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Sequence

from django.db import connection


def _sqlite_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def create_stage(cursor, name: str, columns: Sequence[tuple[str, str]]) -> None:
    """A temporary table that lives until the end of the transaction (PostgreSQL) or is replaced."""
    spec = ", ".join(f'"{column}" {kind}' for column, kind in columns)
    if connection.vendor == "postgresql":
        cursor.execute(f"CREATE TEMP TABLE {name} ({spec}) ON COMMIT DROP")
    else:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{name}")
        cursor.execute(f"CREATE TEMP TABLE {name} ({spec})")


_NUMERIC = 1700  # the oid of numeric


def column_types(cursor, table: str, columns: Sequence[str]) -> list[int]:
    """The type oids of ``columns`` of ``table`` (PostgreSQL; a temporary table is found too)."""
    cursor.execute("SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
                   "AND NOT attisdropped", [table])
    types = dict(cursor.fetchall())
    return [types[c] for c in columns]


def load_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Append rows to ``table`` (a staging table or a real one): COPY on PostgreSQL.

    The COPY is binary, typed by the table's own column types: psycopg then writes each value's
    binary form (a fraction of the CPU of formatting text, timestamps above all) and the server
    parses nothing. The values must be of the columns' Python types (``date`` for a date, ``Decimal``
    for a numeric, ``int`` for an integer), as the import's rows are.
    """
    names = ", ".join(f'"{c}"' for c in columns)
    count = 0
    if connection.vendor == "postgresql":
        types = column_types(cursor, table, columns)
        # psycopg's binary dumper of a Decimal goes through Decimal.as_tuple() (about 1 µs a value): a table with
        # numeric columns is copied as text, each value dumped by its Python type (an amount may be given as text)
        binary = _NUMERIC not in types
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")) as copy:
            if binary:
                copy.set_types(types)
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    placeholders = ", ".join(["%s"] * len(columns))
    batch = [tuple(_sqlite_value(v) for v in row) for row in rows]
    if batch:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", batch)
    return len(batch)


def stage(cursor, name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[object]]) -> int:
    create_stage(cursor, name, columns)
    return load_rows(cursor, name, [c for c, _kind in columns], rows)


def drop_stage(cursor, name: str) -> None:
    """Drop a staging table at once (so the next batch, or the next step, may reuse its name)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
    else:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{name}")


def param(value: object) -> object:
    """A query parameter in the form the backend stores (timestamps on SQLite are text)."""
    return _sqlite_value(value) if connection.vendor != "postgresql" else value


def allocate_ids(cursor, table: str, count: int) -> list[int]:
    """Primary keys for ``count`` new rows of ``table``, taken before the rows are written.

    Rows that refer to each other (a household and its head) can then be written in one pass.
    PostgreSQL takes them from the table's identity sequence; SQLite (one writer at a time, inside
    the writer's transaction) continues from the highest id in use.
    """
    if count <= 0:
        return []
    if connection.vendor == "postgresql":
        # the sequence is named once (pg_get_serial_sequence per row cost 5 µs of server CPU per id, nextval 0.8)
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
        return [row[0] for row in cursor.fetchall()]
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - table names are ours
    start = cursor.fetchone()[0] + 1
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    row = cursor.fetchone()
    if row and row[0] is not None and row[0] + 1 > start:
        start = row[0] + 1
    return list(range(start, start + count))

# ruff: noqa
# indices/bulk.py before the scale work (issue 7), verbatim except for imports: the reference
# the faster code must match exactly (test_reference_equality).
"""Bulk inserts that skip rows already there: COPY on PostgreSQL, batched inserts elsewhere."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence

from django.db import IntegrityError, connection, transaction

try:  # COPY runs on the raw psycopg cursor: its errors are not wrapped by Django
    from psycopg import IntegrityError as PsycopgIntegrityError
except ImportError:  # pragma: no cover - SQLite-only installs
    PsycopgIntegrityError = IntegrityError

CONFLICT_ERRORS = (IntegrityError, PsycopgIntegrityError)


def lock_region(prefix: str) -> None:
    """Serialise writers of one county's indices and roster (PostgreSQL advisory lock, this transaction)."""
    if connection.vendor == "postgresql":
        key = 0x494E_0000_0000 + zlib.crc32(prefix[:6].encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _json(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def copy_rows(model, columns: Sequence[str], rows: list[tuple]) -> None:
    """COPY ``rows`` straight into ``model``'s table (PostgreSQL; the caller knows they are new)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {model._meta.db_table} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_json(v) for v in row])


def insert_ignoring_conflicts(model, columns: Sequence[str], rows: list[tuple], *, batch_size: int = 5000,
                              conflicts_possible: bool = True) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, db column names) into ``model``'s table;
    rows that would break a unique constraint are skipped. JSON values must be dicts or lists.
    ``conflicts_possible=False`` (new rows under ``lock_region``): one straight COPY on PostgreSQL."""
    if not rows:
        return
    table = model._meta.db_table
    if connection.vendor == "postgresql" and not conflicts_possible:
        try:
            with transaction.atomic():  # a savepoint: a rare conflict falls back to the path below
                copy_rows(model, columns, rows)
            return
        except CONFLICT_ERRORS:
            pass
    if connection.vendor == "postgresql":
        cols = ", ".join(f'"{c}"' for c in columns)
        load = f"{table}_load"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {load} (LIKE {table}) ON COMMIT DROP")
            cursor.execute(f"ALTER TABLE {load} ALTER COLUMN id DROP NOT NULL")
            with cursor.cursor.copy(f"COPY {load} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_json(v) for v in row])
            cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {load} ON CONFLICT DO NOTHING")
            cursor.execute(f"DROP TABLE {load}")
        return
    fields = {f.column: f.attname for f in model._meta.concrete_fields}
    objects = [model(**{fields[c]: v for c, v in zip(columns, row)}) for row in rows]
    model.objects.bulk_create(objects, batch_size=batch_size, ignore_conflicts=True)

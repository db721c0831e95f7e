"""Bulk inserts that skip rows already there: COPY on PostgreSQL, batched inserts elsewhere."""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection


def insert_ignoring_conflicts(model, columns: Sequence[str], rows: list[tuple], *, batch_size: int = 5000) -> None:
    """Insert ``rows`` (tuples in ``columns`` order, db column names) into ``model``'s table;
    rows that would break a unique constraint are skipped. JSON values must be dicts or lists."""
    if not rows:
        return
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        cols = ", ".join(f'"{c}"' for c in columns)
        load = f"{table}_load"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {load} (LIKE {table}) ON COMMIT DROP")
            cursor.execute(f"ALTER TABLE {load} ALTER COLUMN id DROP NOT NULL")
            with cursor.cursor.copy(f"COPY {load} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                                    for v in row])
            cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {load} ON CONFLICT DO NOTHING")
            cursor.execute(f"DROP TABLE {load}")
        return
    fields = {f.column: f.attname for f in model._meta.concrete_fields}
    objects = [model(**{fields[c]: v for c, v in zip(columns, row)}) for row in rows]
    model.objects.bulk_create(objects, batch_size=batch_size, ignore_conflicts=True)

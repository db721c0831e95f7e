"""Precompiled SQL for hot paths (the instant decision, the API token, the credit hook, the audit chain):
model rows read and written without the ORM's per-query compilation.

The ORM builds, for every query, the SQL from the query tree (``as_sql``, ``get_select``, order-by
pairs, joins) — about 1 ms of CPU a query on this machine, most of the decision's CPU. The hot path
runs the same few statements every time, so their SQL is written once (portable SQL: PostgreSQL and
SQLite alike unless said otherwise), and the rows are turned into model instances with
``Model.from_db`` after the same database converters the ORM applies (``columns(model)``) — the objects
are what a queryset would have returned.

``insert_sql`` is the INSERT that ``bulk_create`` would send (the same columns and prepared values,
``pre_save`` applied), with ``RETURNING`` of the primary key where asked.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import AutoField

_COLUMNS: dict[tuple, Columns] = {}
_INSERTS: dict[tuple, tuple] = {}


class Columns:
    """The concrete columns of a model as selected from a table alias, and how to build instances."""

    __slots__ = ("model", "sql", "attnames", "width", "_converters")

    def __init__(self, model, alias: str) -> None:
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        self.model = model
        self.sql = ", ".join(f"{alias}.{quote(f.column)}" for f in fields)
        self.attnames = [f.attname for f in fields]
        self.width = len(fields)
        converters = []
        for index, field in enumerate(fields):
            col = field.get_col(model._meta.db_table)
            found = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
            if found:
                converters.append((index, col, found))
        self._converters = converters

    def build(self, row, start: int = 0):
        """The instance of ``row[start:start + width]`` (None if its primary key is NULL: an outer join)."""
        values = list(row[start:start + self.width])
        if values[0] is None and self.attnames[0] == self.model._meta.pk.attname:
            return None
        for index, col, converters in self._converters:
            value = values[index]
            for converter in converters:
                value = converter(value, col, connection)
            values[index] = value
        return self.model.from_db(connection.alias, self.attnames, values)


def columns(model, alias: str) -> Columns:
    """The (cached, per database vendor) ``Columns`` of ``model`` selected as ``alias``."""
    key = (connection.vendor, model, alias)
    hit = _COLUMNS.get(key)
    if hit is None:
        hit = _COLUMNS[key] = Columns(model, alias)
    return hit


def fetch_joined(query: str, params, outer: Columns, inner: Columns, attr: str):
    """The first row of ``query`` (selecting ``outer``'s columns, then ``inner``'s) as an ``outer`` instance
    with the ``inner`` one set as its ``attr`` (None for an outer join's missing row); None if no row."""
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        row = cursor.fetchone()
    if row is None:
        return None
    obj = outer.build(row)
    setattr(obj, attr, inner.build(row, outer.width))
    return obj


def for_update(*, of: str = "") -> str:
    """`` FOR UPDATE [OF alias]`` where the database locks rows (PostgreSQL); SQLite serialises writers itself."""
    if not connection.features.has_select_for_update:
        return ""
    return f" FOR UPDATE OF {of}" if of and connection.features.has_select_for_update_of else " FOR UPDATE"


def insert_sql(model, objs, *, returning: bool = False, with_pk: bool = False) -> tuple[str, list]:
    """The INSERT of ``objs`` (one model, no primary keys set) that ``bulk_create`` would send: every
    concrete non-generated field but the auto primary key, values through ``pre_save`` and
    ``get_db_prep_save``; with ``returning``, ``RETURNING`` the primary key (PostgreSQL, SQLite ≥ 3.35);
    ``with_pk``: the objects carry their primary keys (taken from the sequence), inserted too."""
    key = (connection.vendor, model, returning, with_pk)
    hit = _INSERTS.get(key)
    if hit is None:
        quote = connection.ops.quote_name
        opts = model._meta
        fields = [f for f in opts.concrete_fields
                  if not f.generated and (with_pk or not isinstance(f, AutoField))]
        head = f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        tail = f" RETURNING {quote(opts.pk.column)}" if returning else ""
        hit = _INSERTS[key] = (head, row, tail, fields)
    head, row, tail, fields = hit
    params = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        for field in fields:
            params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return head + ", ".join([row] * len(objs)) + tail, params


def insert(objs, *, returning: bool = True) -> None:
    """Insert ``objs`` (one model) in one statement and mark them saved (primary keys set if ``returning``)."""
    objs = list(objs)
    if not objs:
        return
    sql, params = insert_sql(type(objs[0]), objs, returning=returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # The ids are taken from the sequence in VALUES order; RETURNING's order is not promised.
        rows = sorted(cursor.fetchall()) if returning else []
    mark_saved(objs, rows if returning else None)


def mark_saved(objs, rows) -> None:
    """Set the returned primary keys (``rows``: one 1-tuple per object, in order) and mark the objects saved."""
    if rows is not None:
        if len(rows) != len(objs):
            raise RuntimeError(f"{len(rows)} rows returned for {len(objs)} objects inserted")
        attname = type(objs[0])._meta.pk.attname
        for obj, returned in zip(objs, rows, strict=True):
            setattr(obj, attname, returned[0])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias

"""Bounds on every integer the API accepts, applied once to all mounted operations.

An integer beyond the database's range (a path id of 2**70, a ``household`` filter of 10**20)
or a negative ``offset``/``limit`` used to reach the ORM and end as a server error (SQLite's
OverflowError, PostgreSQL's "integer out of range", Django's "negative indexing"). Rather than
each endpoint declaring ``Field(ge=…, le=…)``, :func:`bound_integers` walks every operation of
the API once, after the app routers are mounted, and adds to each integer input (path, query,
form and body, nested schemas included):

- the signed 32-bit range (``INT_MIN``..``INT_MAX``): it fits every integer column (PostgreSQL
  ``integer`` and ``bigint``, SQLite) and is far beyond any id, year or count of a county;
- ``offset >= 0``, and ``limit``, ``page``, ``page_size >= 1``.

Out of range is a 422 with the problem body, and the bounds appear in the OpenAPI document (so
generated clients and the fuzzer know them). A new app's endpoints are covered without doing
anything. Declared bounds stay: both apply, the tighter wins.
"""

from __future__ import annotations

import types
import typing

import annotated_types
from pydantic import BaseModel

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
_AT_LEAST = {"offset": 0, "limit": 1, "page": 1, "page_size": 1}


def _int_like(annotation) -> bool:
    """``int`` or ``int | None`` (not bool, not a list of ints: those keep their own schema)."""
    if annotation is int:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args == [int]
    return False


def _models_in(annotation):
    """Pydantic models inside an annotation (``Schema``, ``Schema | None``, ``list[Schema]``, …)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def bound_model(model: type[BaseModel], seen: set) -> None:
    """Add the bounds to ``model``'s integer fields, inner models first, and rebuild it."""
    if model in seen:
        return
    seen.add(model)
    changed = False
    for name, field in model.model_fields.items():
        for inner in _models_in(field.annotation):
            bound_model(inner, seen)
            changed = True  # the outer schema embeds the inner one: rebuild it too
        if not _int_like(field.annotation):
            continue
        key = (field.alias or name).lower()
        low = _AT_LEAST.get(key, INT_MIN)
        if not any(isinstance(m, annotated_types.Ge) and m.ge >= low for m in field.metadata):
            field.metadata.append(annotated_types.Ge(low))
            changed = True
        if not any(isinstance(m, annotated_types.Le) and m.le <= INT_MAX for m in field.metadata):
            field.metadata.append(annotated_types.Le(INT_MAX))
            changed = True
    if changed:
        model.model_rebuild(force=True)


def operations(api):
    """Every ninja ``Operation`` of ``api`` (all mounted routers)."""
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            yield from path_view.operations


def bound_integers(api) -> int:
    """Apply the bounds to every input model of every operation; returns the number of models seen."""
    seen: set = set()
    for operation in operations(api):
        for model in operation.signature.models:
            bound_model(model, seen)
    return len(seen)

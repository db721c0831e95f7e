"""The one helper that decides what an actor may see.

Jurisdiction is a prefix of the 12-digit region code: a township worker of 临邑镇 has the
prefix ``371424100`` and sees rows whose region code starts with it. Every selector of
every app starts from ``scope()``; nothing else filters by region by hand.

The actor is a ``accounts.User`` (duck-typed here so the kernel imports no app):
``is_authenticated``, ``jurisdiction_prefix`` (``None`` = nothing, ``""`` = everything)
and ``has_perm_code(code)`` for role permissions such as ``"registry.view"``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Model, Q, QuerySet
from django.http import Http404


def actor_prefix(actor, perm: str | None = None) -> str | None:
    """The region prefix the actor may use for ``perm``, or None for nothing at all."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", True):
        return None
    if perm and not actor.has_perm_code(perm):
        return None
    return actor.jurisdiction_prefix


def region_filter(prefix: str, fields: Sequence[str]) -> Q:
    q = Q()
    for field in fields:
        q |= Q(**{f"{field}__startswith": prefix})
    return q


def scope(qs: QuerySet, actor, *, perm: str | None = None, fields: Sequence[str] = ("region_code",)) -> QuerySet:
    """Rows of ``qs`` inside the actor's jurisdiction (any of ``fields`` matching)."""
    prefix = actor_prefix(actor, perm)
    if prefix is None:
        return qs.none()
    if prefix == "":
        return qs
    return qs.filter(region_filter(prefix, fields))


def get_scoped(qs: QuerySet, actor, *, perm: str | None = None, fields: Sequence[str] = ("region_code",), **lookup) -> Model:
    """Fetch-and-authorise in one call: outside the jurisdiction is indistinguishable from absent (404)."""
    try:
        return scope(qs, actor, perm=perm, fields=fields).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No {qs.model._meta.verbose_name} matches the given query.") from None


def region_in_scope(actor, code: str, *, perm: str | None = None) -> bool:
    """May the actor act on a record of region ``code``?"""
    prefix = actor_prefix(actor, perm)
    if prefix is None:
        return False
    return code.startswith(prefix)

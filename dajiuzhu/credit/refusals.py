"""Refusals that leave a trace: the change is rolled back, the refusal is audited.

A service decorated with ``audited_refusal("action")`` runs in its own transaction; when it
raises a ``DomainError`` (or a 404) that transaction is rolled back — nothing changed — and
an ``<action>.refused`` audit event is written in a fresh one, then the error propagates.
Used by ``credit`` and ``checks`` (checks may import credit).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from django.db import transaction
from django.http import Http404

from dajiuzhu.core.audit import audit_record
from dajiuzhu.core.errors import DomainError

F = TypeVar("F", bound=Callable)


def audit_refusal(*, actor, action: str, message: str, object_type: str = "", object_id: object = "",
                  region_code: str = "", details: dict | None = None) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action=f"{action}.refused", object_type=object_type, object_id=object_id,
                     region_code=region_code, new={"reason": message, **(details or {})})


def audited_refusal(action: str, *, describe: Callable[..., dict] | None = None) -> Callable[[F], F]:
    """Wrap a keyword-only service so that a refusal is audited after the rollback."""

    def decorate(fn: F) -> F:
        atomic_fn = transaction.atomic(fn)

        @functools.wraps(fn)
        def wrapper(**kwargs):
            try:
                return atomic_fn(**kwargs)
            except (DomainError, Http404) as exc:
                extra = describe(**kwargs) if describe else {}
                audit_refusal(actor=kwargs.get("actor"), action=action, message=getattr(exc, "message", str(exc)),
                              object_type=extra.pop("object_type", ""), object_id=extra.pop("object_id", ""),
                              region_code=extra.pop("region_code", ""), details=extra)
                raise

        return wrapper  # type: ignore[return-value]

    return decorate

"""Where the current change comes from (web, API, import job, command), for the audit log."""

from __future__ import annotations

import contextlib
import contextvars

_source: contextvars.ContextVar[str] = contextvars.ContextVar("audit_source", default="system")


def current_source() -> str:
    return _source.get()


@contextlib.contextmanager
def source(name: str):
    token = _source.set(name)
    try:
        yield
    finally:
        _source.reset(token)

"""File-level refusals: the whole file is refused and nothing is written."""

from __future__ import annotations

from dajiuzhu.core.errors import DomainError


class FileRefused(DomainError):
    """The file itself cannot be used (encoding, layout, missing columns, empty, unreadable)."""

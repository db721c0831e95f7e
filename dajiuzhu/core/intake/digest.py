"""The digest that identifies a file in jobs and in the audit log."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .sealed import open_binary


def file_digest(path: str | Path, *, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of the file's bytes (hex), read in chunks (of the plaintext, for a sealed upload)."""
    digest = hashlib.sha256()
    with open_binary(path) as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()

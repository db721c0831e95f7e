"""Files encrypted at rest, written and read in chunks (AES-256-GCM), for error reports.

A sealed file is ``MAGIC`` + an 8-byte random file prefix, then chunks of at most ``CHUNK``
plaintext bytes, each ``flag (1 byte) + length (4 bytes) + ciphertext with its tag``. The nonce of
chunk *i* is the file prefix + *i* (so chunks cannot be reordered or moved between files), the flag
(1 on the last chunk only) is authenticated (so a cut-off file is refused, not read short). The key
is derived with HKDF from ``settings.FIELD_ENCRYPTION_KEY`` (the one secret of ``core.crypto``) under
its own label, so a file key is never a field key. Memory stays at one chunk whatever the file size.
"""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

MAGIC = b"DJZSEAL1"
CHUNK = 64 * 1024
SUFFIX = ".enc"
_HEAD = struct.Struct(">BI")


class SealedFileError(ValueError):
    """The file is not a sealed file of this key, or it was altered or cut off."""


@functools.lru_cache(maxsize=4)
def _aead(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dajiuzhu", info=b"sealed-file").derive(secret.encode())
    return AESGCM(key)


def is_sealed_path(path: str | Path) -> bool:
    return str(path).endswith(SUFFIX)


class SealedWriter:
    """A binary file object that encrypts what is written to it, chunk by chunk."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._aead = _aead(settings.FIELD_ENCRYPTION_KEY)
        self._prefix = os.urandom(8)
        self._index = 0
        self._buffer = bytearray()
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        self._file.write(MAGIC + self._prefix)

    def _seal(self, data: bytes, *, last: bool) -> None:
        flag = 1 if last else 0
        nonce = self._prefix + struct.pack(">I", self._index)
        sealed = self._aead.encrypt(nonce, data, MAGIC + bytes([flag]))
        self._file.write(_HEAD.pack(flag, len(sealed)) + sealed)
        self._index += 1

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep at least one byte back: the last chunk is written by close()
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if self._file is None:
            return
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._file.close()
        self._file = None


def sealed_chunks(path: str | Path) -> Iterator[bytes]:
    """The plaintext of a sealed file, chunk by chunk (``SealedFileError`` if it does not authenticate)."""
    from cryptography.exceptions import InvalidTag

    aead = _aead(settings.FIELD_ENCRYPTION_KEY)
    with open(path, "rb") as handle:
        head = handle.read(len(MAGIC) + 8)
        if len(head) != len(MAGIC) + 8 or not head.startswith(MAGIC):
            raise SealedFileError("not a sealed file")
        prefix, index = head[len(MAGIC):], 0
        while True:
            frame = handle.read(_HEAD.size)
            if len(frame) != _HEAD.size:
                raise SealedFileError("the sealed file is cut off")
            flag, length = _HEAD.unpack(frame)
            sealed = handle.read(length)
            try:
                data = aead.decrypt(prefix + struct.pack(">I", index), sealed, MAGIC + bytes([flag]))
            except InvalidTag as exc:
                raise SealedFileError("the sealed file does not authenticate") from exc
            yield data
            if flag == 1:
                return
            index += 1


def sealed_lines(path: str | Path) -> Iterator[bytes]:
    """The plaintext lines (``\\n``-separated, without it) of a sealed file."""
    rest = b""
    for chunk in sealed_chunks(path):
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest

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
import io
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


_FRAME = _HEAD.size + CHUNK + 16  # a full chunk on disk: flag and length, ciphertext, GCM tag
_START = len(MAGIC) + 8


class SealedReader(io.RawIOBase):
    """A seekable, read-only binary file over the plaintext of a sealed file.

    Every chunk but the last holds exactly ``CHUNK`` plaintext bytes, so chunk *i* is at a known offset
    and ``zipfile`` (an XLSX) can seek in the file without it ever being decrypted to disk. Each chunk is
    authenticated as it is read; the last one must carry the last-chunk flag (a cut-off file is refused
    on opening). One decrypted chunk is kept in memory.
    """

    def __init__(self, path: str | Path):
        super().__init__()
        self.path = Path(path)
        self._aead = _aead(settings.FIELD_ENCRYPTION_KEY)
        self._file = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        try:
            head = self._file.read(_START)
            if len(head) != _START or not head.startswith(MAGIC):
                raise SealedFileError("not a sealed file")
            self._prefix = head[len(MAGIC):]
            body = os.fstat(self._file.fileno()).st_size - _START
            if body < _HEAD.size + 16:
                raise SealedFileError("the sealed file is cut off")
            self._frames = -(-body // _FRAME)
            self._file.seek(_START + (self._frames - 1) * _FRAME)
            flag, length = _HEAD.unpack(self._file.read(_HEAD.size))
            if flag != 1 or _START + (self._frames - 1) * _FRAME + _HEAD.size + length != body + _START or length < 16:
                raise SealedFileError("the sealed file is cut off")
            self._size = (self._frames - 1) * CHUNK + length - 16
        except BaseException:
            self._file.close()
            raise
        self._pos = 0
        self._cached: tuple[int, bytes] = (-1, b"")

    @property
    def size(self) -> int:
        """The plaintext size in bytes."""
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise OSError("negative seek position")
        self._pos = pos
        return pos

    def _chunk(self, index: int) -> bytes:
        if self._cached[0] == index:
            return self._cached[1]
        from cryptography.exceptions import InvalidTag

        self._file.seek(_START + index * _FRAME)
        flag, length = _HEAD.unpack(self._file.read(_HEAD.size))
        last = index == self._frames - 1
        if flag != (1 if last else 0) or (not last and length != CHUNK + 16):
            raise SealedFileError("the sealed file was altered")
        sealed = self._file.read(length)
        try:
            data = self._aead.decrypt(self._prefix + struct.pack(">I", index), sealed, MAGIC + bytes([flag]))
        except InvalidTag as exc:
            raise SealedFileError("the sealed file does not authenticate") from exc
        self._cached = (index, data)
        return data

    def readinto(self, buffer) -> int:
        if self._pos >= self._size:
            return 0
        view = memoryview(buffer).cast("B")
        written = 0
        while written < len(view) and self._pos < self._size:
            index, offset = divmod(self._pos, CHUNK)
            data = self._chunk(index)
            piece = data[offset:offset + len(view) - written]
            view[written:written + len(piece)] = piece
            written += len(piece)
            self._pos += len(piece)
        return written

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self._cached = (-1, b"")
        super().close()


def open_binary(path: str | Path, *, buffering: int = CHUNK) -> io.BufferedReader:
    """A file's plaintext as a seekable binary file: decrypted on the fly when it is sealed (``.enc``)."""
    if is_sealed_path(path):
        return io.BufferedReader(SealedReader(path), buffer_size=buffering)
    return open(path, "rb", buffering=buffering)  # noqa: SIM115 - the caller closes it

"""Photos of documents and drawn signatures: checked, re-encoded, stored sealed outside the web root.

``image_store`` is the one place the portal writes a file: the bytes must open as an image (the type
is sniffed from the content, never from the name or the browser's claim), be at most
``PORTAL_UPLOAD_MAX_BYTES``, and are re-encoded with Pillow (JPEG for photos, PNG for signatures), which
drops whatever else the file carried (EXIF location, scripts in a polyglot). The result is written with
``core.intake.sealed.SealedWriter`` (AES-256-GCM) under ``PORTAL_UPLOAD_ROOT``. When the shared sealed
upload store lands in core (``core/uploads.py``), only ``_seal`` and ``image_read`` change.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.intake.sealed import SealedWriter, sealed_chunks

MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
MAX_SIDE = 2400  # photos are scaled down to this longest side: enough to read a certificate
ACCEPTED = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"}


class UploadRefused(DomainError):
    pass


def _root() -> Path:
    root = Path(settings.PORTAL_UPLOAD_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


def _seal(data: bytes) -> str:
    """Write ``data`` sealed; returns the stored name (the only handle to the file)."""
    name = uuid.uuid4().hex + ".enc"
    writer = SealedWriter(_root() / name)
    try:
        writer.write(data)
    finally:
        writer.close()
    return name


def image_read(stored_name: str) -> bytes:
    path = _root() / Path(stored_name).name
    return b"".join(sealed_chunks(path))


def image_delete(stored_name: str) -> None:
    (_root() / Path(stored_name).name).unlink(missing_ok=True)


def reencode(data: bytes, *, signature: bool = False) -> tuple[bytes, str, int, int]:
    """The image re-encoded (bytes, content type, width, height); refuses what is not an image."""
    if len(data) > settings.PORTAL_UPLOAD_MAX_BYTES:
        raise UploadRefused(_("The photo is too large (%(mb).0f MB). Please send one of at most %(max)d MB.")
                            % {"mb": len(data) / 1024 / 1024, "max": settings.PORTAL_UPLOAD_MAX_BYTES // 1024 // 1024},
                            field="photo")
    if not data:
        raise UploadRefused(_("Please choose a photo."), field="photo")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED:
                raise UnidentifiedImageError
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UploadRefused(_("This file is not a photo we can read. Please take a photo (JPEG or PNG) and send it."),
                            field="photo") from None
    out = io.BytesIO()
    if signature:
        image = image.convert("RGBA")
        image.thumbnail((1200, 600))
        image.save(out, format="PNG", optimize=True)
        content_type = "image/png"
    else:
        from PIL import ImageOps

        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        image.save(out, format="JPEG", quality=85, optimize=True)
        content_type = "image/jpeg"
    return out.getvalue(), content_type, image.width, image.height


def image_store(data: bytes, *, signature: bool = False) -> dict:
    """Check, re-encode and seal one image; returns the ``Document`` fields describing the stored file."""
    clean, content_type, width, height = reencode(data, signature=signature)
    return {"stored_name": _seal(clean), "content_type": content_type, "size": len(clean), "width": width,
            "height": height, "sha256": hashlib.sha256(clean).hexdigest()}

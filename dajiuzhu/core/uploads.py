"""Uploaded files at rest: encrypted from the first byte, read back without a plaintext copy, purged.

Every file a person uploads is kept under ``VAR_DIR/uploads`` only as a sealed file
(``core.intake.sealed``: AES-256-GCM in 64 KiB chunks, key derived from ``FIELD_ENCRYPTION_KEY``),
never as plaintext, not even for a moment:

- a large upload (beyond ``FILE_UPLOAD_MAX_MEMORY_SIZE``) is streamed by ``SealedUploadHandler``
  (in ``FILE_UPLOAD_HANDLERS``) into a sealed file as it arrives, instead of Django's plaintext
  temporary file; ``upload_save`` then only renames it; a small one is in memory and sealed by
  ``upload_save`` chunk by chunk;
- ``upload_open`` gives a seekable binary file over the plaintext, decrypted chunk by chunk as it is
  read (``open_table`` reads an XLSX through it);
- a page saves the upload and hands its path to a job at once (a file is never parsed in the web
  request); the job deletes the upload when it ends (``upload_delete``);
- ``upload_purge`` (in the nightly retention job, ``core.retention``) deletes what a dead process left
  behind: an upload no queued or running job refers to, older than ``UPLOAD_GRACE_HOURS`` (setting,
  default 24), and any plaintext file there (from before uploads were sealed).

Other apps keep their own files with the same functions under a sub-folder (``folder="..."``):
``upload_purge`` leaves sub-folders alone, their app decides how long its files live.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from .errors import DomainError
from .intake.sealed import SUFFIX, SealedReader, SealedWriter, is_sealed_path, open_binary
from .jobs import job_enqueue, job_handler
from .models import Job

INCOMING = "incoming"  # sub-folder of uploads still arriving (the upload handler)
DEFAULT_GRACE_HOURS = 24


def uploads_dir(folder: str = "") -> Path:
    base = Path(settings.VAR_DIR) / "uploads"
    path = base / folder if folder else base
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _suffix_of(name: str) -> str:
    suffix = Path(name or "").suffix.lower()
    return suffix if suffix.isascii() and 1 < len(suffix) <= 6 and suffix[1:].isalnum() else ""


def _new_path(name: str, folder: str = "") -> Path:
    return uploads_dir(folder) / f"{uuid.uuid4().hex}{_suffix_of(name)}{SUFFIX}"


def upload_save(upload, *, folder: str = "") -> Path:
    """Keep an uploaded file (Django ``UploadedFile``) sealed; its path (ends ``.enc``, keeps the name's
    suffix before it: ``….xlsx.enc``). The plaintext never reaches the disk."""
    path = _new_path(getattr(upload, "name", "") or "", folder)
    if isinstance(upload, SealedUploadedFile):
        upload.claim(path)
        return path
    writer = SealedWriter(path)
    try:
        for chunk in upload.chunks():
            writer.write(chunk)
    except BaseException:
        writer.close()
        path.unlink(missing_ok=True)
        raise
    writer.close()
    return path


def upload_save_bytes(data: bytes | Iterable[bytes], *, name: str, folder: str = "") -> Path:
    """Keep ``data`` (bytes, or chunks of it) sealed, as ``upload_save`` does; its path."""
    path = _new_path(name, folder)
    writer = SealedWriter(path)
    try:
        for chunk in [data] if isinstance(data, bytes | bytearray) else data:
            writer.write(chunk)
    except BaseException:
        writer.close()
        path.unlink(missing_ok=True)
        raise
    writer.close()
    return path


def upload_open(path: str | Path) -> BinaryIO:
    """The plaintext of a kept upload as a seekable binary file (close it)."""
    return open_binary(path)


def upload_read(path: str | Path, *, limit: int) -> bytes:
    """The whole plaintext of a kept upload of at most ``limit`` bytes (``ValueError`` beyond it)."""
    with upload_open(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"the file is larger than {limit} bytes")
    return data


def upload_delete(path: str | Path | None) -> None:
    if path:
        Path(path).unlink(missing_ok=True)


def upload_grace_hours() -> int:
    return max(1, int(getattr(settings, "UPLOAD_GRACE_HOURS", None) or DEFAULT_GRACE_HOURS))


def upload_purge(*, now: dt.datetime | None = None) -> dict:
    """Delete the uploads no live job refers to once older than the grace period, and any plaintext file."""
    now = now or timezone.now()
    cutoff = (now - dt.timedelta(hours=upload_grace_hours())).timestamp()
    live = set()
    for params in Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).values_list("params",
                                                                                                    flat=True):
        if isinstance(params, dict) and params.get("path"):
            live.add(Path(str(params["path"])).name)
    sealed = plain = 0
    for folder in (uploads_dir(), uploads_dir(INCOMING)):
        for path in folder.iterdir():
            if not path.is_file() or path.name in live:
                continue
            if not is_sealed_path(path):  # plaintext left by an older version: never kept
                path.unlink(missing_ok=True)
                plain += 1
            elif path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                sealed += 1
    return {"uploads_deleted": sealed + plain, "plaintext_deleted": plain, "grace_hours": upload_grace_hours()}


class SealedUploadedFile(UploadedFile):
    """An upload sealed on disk as it arrived; reads give the plaintext. Deleted on close unless kept
    by ``upload_save`` (Django closes the request's files at the end of the request)."""

    def __init__(self, path: Path, name: str, content_type: str, size: int, charset, content_type_extra=None):
        super().__init__(open_binary(path), name, content_type, size, charset, content_type_extra)
        self.sealed_path = path
        self._claimed = False

    def claim(self, destination: Path) -> None:
        self.file.close()
        os.replace(self.sealed_path, destination)
        self.sealed_path = destination
        self._claimed = True
        self.file = open_binary(destination)

    def close(self) -> None:
        try:
            self.file.close()
        finally:
            if not self._claimed:
                self.sealed_path.unlink(missing_ok=True)


class SealedUploadHandler(FileUploadHandler):
    """Stream a large upload into a sealed file (replaces Django's plaintext ``TemporaryFileUploadHandler``)."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.path = _new_path(self.file_name or "", INCOMING)
        self.writer = SealedWriter(self.path)
        self.size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.writer.write(raw_data)
        self.size += len(raw_data)

    def file_complete(self, file_size: int):
        self.writer.close()
        return SealedUploadedFile(self.path, self.file_name, self.content_type, file_size, self.charset,
                                  self.content_type_extra)

    def upload_interrupted(self) -> None:
        if hasattr(self, "writer"):
            self.writer.close()
            self.path.unlink(missing_ok=True)


__all__ = ["SealedReader", "SealedUploadHandler", "SealedUploadedFile", "upload_delete", "upload_job_enqueue",
           "upload_job_handler", "upload_job_url", "upload_open", "upload_purge", "upload_read", "upload_save", "upload_save_bytes",
           "uploads_dir"]


def upload_job_enqueue(upload, *, kind: str, actor, title: str, params: dict | None = None,
                       region_code: str = "") -> object:
    """Keep ``upload`` sealed and hand it to a job of ``kind`` at once (the file is read there, never in the
    request); the job. Its page is ``core:upload_job`` (``upload_job_url``). The job's handler gets ``path``,
    ``filename`` and ``language`` besides ``params``, and deletes the upload when it ends."""
    path = upload_save(upload)
    try:
        with transaction.atomic():
            return job_enqueue(kind=kind, actor=actor, region_code=region_code,
                               params={**(params or {}), "path": str(path), "filename": (upload.name or "")[:200],
                                       "title": str(title), "language": translation.get_language() or "",
                                       "actor_id": getattr(actor, "pk", None)})
    except BaseException:
        upload_delete(path)
        raise


def upload_job_url(job) -> str:
    return reverse("upload_job", args=[job.pk])


def upload_job_handler(kind: str):
    """Register ``fn(job, *, actor, path, filename, **params) -> result dict`` as the handler of an upload job.

    It runs in the uploader's language, as the uploader; a refusal (``DomainError``: the file or its rows
    cannot be used) is kept on the job as ``result["refused"]`` for the page, and fails the job; the upload is
    deleted when the job ends, whatever the outcome. The result may carry ``summary`` (a sentence), ``url``
    and ``link`` (where to see what the file did).
    """

    def register(fn):
        @job_handler(kind)
        def run(job, *, path: str, filename: str = "", language: str = "", actor_id=None, title: str = "",
                **params):
            actor = get_user_model().objects.get(pk=actor_id) if actor_id else None
            try:
                with translation.override(language or None):
                    return fn(job, actor=actor, path=path, filename=filename, **params)
            except DomainError as exc:
                Job.objects.filter(pk=job.pk).update(result={"refused": exc.message})
                raise
            finally:
                upload_delete(path)

        return run

    return register

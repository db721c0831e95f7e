"""Uploads at rest (#14, finding 4): sealed from the first byte, read back without a plaintext copy, purged
when a dead process left them; and never parsed in the web request (finding 3)."""

from __future__ import annotations

import io
import os
import time
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from dajiuzhu.core.intake import Column, Template, file_digest, open_table
from dajiuzhu.core.intake.sealed import CHUNK, SealedFileError, SealedReader
from dajiuzhu.core.jobs import job_run
from dajiuzhu.core.models import Job
from dajiuzhu.core.testing import LINYI_COUNTY, LINYI_TOWN, make_user
from dajiuzhu.core.uploads import (
    SealedUploadedFile,
    upload_delete,
    upload_open,
    upload_purge,
    upload_read,
    upload_save,
    upload_save_bytes,
    uploads_dir,
)

pytestmark = pytest.mark.django_db
SECRET = "371424199001010011,张三,临沂".encode()


@pytest.fixture(autouse=True)
def _var(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    with translation.override("en"):
        yield


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17])
def test_a_sealed_upload_reads_back_with_seeking_and_holds_no_plaintext(size):
    data = (SECRET * (size // len(SECRET) + 1))[:size]
    path = upload_save_bytes([data[i:i + 1000] for i in range(0, len(data), 1000)], name="a.csv")
    assert path.name.endswith(".csv.enc") and path.parent == uploads_dir()
    if size >= len(SECRET):
        assert SECRET not in path.read_bytes()
    with upload_open(path) as handle:
        assert handle.read() == data
        for offset in (0, size // 2, max(size - 5, 0), CHUNK - 3 if size > CHUNK else 0):
            handle.seek(offset)
            assert handle.read(7) == data[offset:offset + 7]
        handle.seek(-min(3, size), io.SEEK_END)
        assert handle.read() == data[-3:]
    assert upload_read(path, limit=size) == data
    if size:
        with pytest.raises(ValueError, match="larger than"):
            upload_read(path, limit=size - 1)
    upload_delete(path)
    assert not path.exists()


def test_a_cut_or_altered_sealed_file_is_refused_not_read_short():
    data = os.urandom(3 * CHUNK + 100)
    path = upload_save_bytes(data, name="a.bin")
    whole = path.read_bytes()
    path.write_bytes(whole[:-200])  # the last chunk cut off
    with pytest.raises(SealedFileError):
        SealedReader(path)
    path.write_bytes(whole[:16 + (5 + CHUNK + 16) * 2])  # cut at a chunk boundary: no last-chunk flag
    with pytest.raises(SealedFileError):
        SealedReader(path)
    altered = bytearray(whole)
    altered[16 + 5 + 100] ^= 1
    path.write_bytes(bytes(altered))
    with SealedReader(path) as reader, pytest.raises(SealedFileError):
        reader.read()


def test_an_xlsx_upload_is_read_through_the_sealed_file_and_digests_as_its_plaintext(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["ID", "Name"])
    for n in range(3000):
        workbook.active.append([str(n), f"name {n}"])
    plain = tmp_path / "people.xlsx"
    workbook.save(plain)
    path = upload_save(SimpleUploadedFile("people.xlsx", plain.read_bytes()))
    assert b"[Content_Types]" not in path.read_bytes()
    template = Template([Column(key="id", header="ID", required=True), Column(key="name", header="Name")])
    with open_table(path, template, filename="people.xlsx") as table:
        rows = list(table.rows())
    assert len(rows) == 3000 and rows[-1][1][:2] == ("2999", "name 2999")
    assert file_digest(path) == file_digest(plain)


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_large_upload_is_sealed_as_it_arrives_and_never_lands_in_plaintext(client, settings, tmp_path):
    """Beyond FILE_UPLOAD_MAX_MEMORY_SIZE Django writes uploads to a temporary file: ours seals it instead; the
    request below is then killed (the view raises) after the upload arrived: nothing plain is anywhere."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    user = make_user("township_handler", LINYI_TOWN)
    client.force_login(user)
    body = SECRET * 5000
    seen = {}

    def spy(request):
        upload = request.FILES["file"]
        seen["type"] = type(upload)
        seen["path"] = upload.sealed_path
        seen["on_disk"] = upload.sealed_path.read_bytes()
        seen["read"] = upload.read()
        raise RuntimeError("the worker was killed here")

    from django.urls import path as url

    urlconf = type("urls", (), {"urlpatterns": [url("spy/", spy)]})
    with override_settings(ROOT_URLCONF=urlconf):
        client.raise_request_exception = False
        response = client.post("/spy/", {"file": SimpleUploadedFile("big.csv", body)})
    assert response.status_code == 500
    assert seen["type"] is SealedUploadedFile and seen["read"] == body
    assert SECRET not in seen["on_disk"] and seen["on_disk"].startswith(b"DJZSEAL1")
    assert not list((tmp_path / "tmp").iterdir())  # Django's plaintext temporary file was never made
    assert not seen["path"].exists()  # the request's end closed (and so deleted) the unclaimed upload


def test_the_purge_deletes_orphans_after_the_grace_period_and_keeps_live_jobs_uploads(settings):
    settings.UPLOAD_GRACE_HOURS = 24
    live = upload_save_bytes(SECRET, name="live.csv")
    orphan = upload_save_bytes(SECRET, name="orphan.csv")
    fresh = upload_save_bytes(SECRET, name="fresh.csv")
    plain = uploads_dir() / "old-plaintext.csv"
    plain.write_bytes(SECRET)
    incoming = upload_save_bytes(SECRET, name="x.csv", folder="incoming")
    portal = upload_save_bytes(SECRET, name="photo.jpg", folder="portal")  # another app's folder: not ours
    Job.objects.create(kind="registry.import", status=Job.Status.RUNNING, params={"path": str(live)})
    Job.objects.create(kind="registry.import", status=Job.Status.FAILED, params={"path": str(orphan)})
    old = time.time() - 25 * 3600
    for path in (live, orphan, incoming, portal):
        os.utime(path, (old, old))
    result = upload_purge()
    assert result == {"uploads_deleted": 3, "plaintext_deleted": 1, "grace_hours": 24}
    assert live.exists() and fresh.exists() and portal.exists()
    assert not orphan.exists() and not plain.exists() and not incoming.exists()


def test_the_nightly_retention_job_purges_uploads_too(settings):
    from dajiuzhu.core.jobs import REPORT_PURGE, job_enqueue

    orphan = upload_save_bytes(SECRET, name="orphan.csv")
    os.utime(orphan, (time.time() - 48 * 3600,) * 2)
    job = job_enqueue(kind=REPORT_PURGE, backend="inline")
    job = job_run(job.pk)
    assert job.status == "done" and job.result["uploads_deleted"] == 1 and not orphan.exists()


def _bomb() -> bytes:
    """Six million empty shared strings (78 MB unpacked) in about 150 KB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/sharedStrings.xml", "w") as member:
            member.write(b"<sst>")
            for _n in range(60):
                member.write(b"<si><t/></si>" * 100_000)
            member.write(b"</sst>")
    return out.getvalue()


def test_a_bomb_uploaded_on_the_import_page_returns_at_once_and_the_job_refuses_it(client, run_on_commit):
    user = make_user("county_admin", LINYI_COUNTY)
    client.force_login(user)
    assert client.get(reverse("registry:import_upload")).status_code == 200  # URL conf and templates loaded
    started = time.monotonic()
    response = client.post(reverse("registry:import_upload"), {"file": SimpleUploadedFile("bomb.xlsx", _bomb())})
    assert response.status_code == 302 and time.monotonic() - started < 5
    job = Job.objects.get()
    with run_on_commit(execute=True):
        job_run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "解压炸弹" in job.message.split("\n\n")[0]  # the refusal, in Chinese
    assert "解压炸弹" in client.get(response.url).content.decode()  # the page is in Chinese
    assert not list(uploads_dir().iterdir())


def test_the_upload_job_page_is_the_uploaders_only(client):
    owner = make_user("township_handler", LINYI_TOWN)
    job = Job.objects.create(kind="checks.delivery", status=Job.Status.FAILED, created_by=owner,
                             params={"path": "/x.csv.enc", "filename": "a.csv", "title": "Delivery"},
                             result={"refused": "the file is empty"})
    url = reverse("upload_job", args=[job.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(make_user("county_admin", LINYI_COUNTY, username="other"))
    assert client.get(url).status_code == 404
    client.force_login(owner)
    page = client.get(url).content.decode()
    assert "文件被拒收： the file is empty" in page and "hx-get" not in page
    running = Job.objects.create(kind="checks.delivery", status=Job.Status.RUNNING, created_by=owner,
                                 params={"path": "/y.csv.enc", "filename": "b.csv"})
    assert 'hx-get="{}"'.format(reverse("upload_job", args=[running.pk])) in client.get(
        reverse("upload_job", args=[running.pk])).content.decode()

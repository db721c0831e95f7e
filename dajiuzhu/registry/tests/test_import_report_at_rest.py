"""The registry import's error report at rest: sealed on disk, decrypted only for the job's
jurisdiction in the download, re-importable, and deleted after the retention period."""

import csv
import datetime as dt
import io
import os
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from dajiuzhu.core.jobs import REPORT_PURGE
from dajiuzhu.core.models import Job
from dajiuzhu.core.retention import report_purge
from dajiuzhu.core.schedule import CELERY_BEAT_SCHEDULE
from dajiuzhu.core.testing import LINYI_TOWN, LINYI_VILLAGE, XINGLONG_TOWN, make_user
from dajiuzhu.registry.models import Person

from .test_import_pipeline import HEADER, family

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    with translation.override("en"):
        yield


@pytest.fixture
def handler(client):
    user = make_user("township_handler", LINYI_TOWN)
    client.force_login(user)
    return user


def csv_bytes(rows, header=HEADER) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    for row in [header, *rows]:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, run_on_commit, data: bytes, name: str):
    with run_on_commit(execute=True):
        response = client.post(reverse("registry:import_upload"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content[:500]
    return Job.objects.filter(kind="registry.import").order_by("-created_at").first()


def bad_rows():
    """Two households; the second's head lives in a village outside the county (rejected with its household)."""
    rows = family("1", size=2) + family("2", size=2)
    rows[2][4] = "371424100999"
    return rows


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_report_on_disk_holds_no_id_number_or_name_in_plaintext(client, handler, run_on_commit, settings, kind):
    rows = bad_rows()
    data = csv_bytes(rows) if kind == "csv" else xlsx_bytes(rows)
    job = upload(client, run_on_commit, data, f"登记表.{kind}")
    assert job.status == "done" and job.counts["rows_rejected"] == 2
    path = Path(job.error_report)
    assert path.name.endswith(f".{kind}.enc") and path.is_file()
    secrets = [rows[2][2], rows[3][2], rows[2][1], rows[3][1]]  # the refused rows' ID numbers and names
    for stored in files_under(Path(settings.VAR_DIR)):  # the report, and nothing else left behind in plaintext
        raw = stored.read_bytes()
        for secret in secrets:
            for encoding in ("utf-8", "gbk", "utf-16-le"):
                assert secret.encode(encoding) not in raw, (stored, secret)


def downloaded(client, job) -> bytes:
    response = client.get(reverse("registry:import_report", args=[job.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return b"".join(response.streaming_content)


def test_the_csv_download_is_the_report_and_imports_again_once_corrected(client, handler, run_on_commit):
    rows = bad_rows()
    job = upload(client, run_on_commit, csv_bytes(rows), "登记表.csv")
    content = downloaded(client, job)
    assert content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines[0] == [*HEADER, "错误原因", "原行号"]
    assert [line[:5] for line in lines[1:]] == [rows[2], rows[3]] and [line[-1] for line in lines[1:]] == ["4", "5"]
    fixed = [[*line[:4], LINYI_VILLAGE] for line in lines[1:]]
    again = upload(client, run_on_commit, csv_bytes(fixed, header=lines[0][:5]), "fixed.csv")
    assert again.counts["rows_rejected"] == 0
    assert again.counts["members_created"] == 2 and Person.objects.count() == 4
    assert not again.error_report


def test_the_xlsx_download_is_a_workbook_with_text_cells_that_imports_again(client, handler, run_on_commit):
    rows = bad_rows()
    rows[3][1] = "=HYPERLINK(\"x\")"  # a refused formula comes back as text, never as a formula
    job = upload(client, run_on_commit, xlsx_bytes(rows), "登记表.xlsx")
    response = client.get(reverse("registry:import_report", args=[job.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].endswith('.xlsx"')
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == [*HEADER, "错误原因", "原行号"]
    assert values[1][:5] == rows[2] and values[1][-1] == 4
    assert sheet.cell(row=3, column=2).data_type == "s" and sheet.cell(row=3, column=2).value == rows[3][1]
    for row in sheet.iter_rows(min_row=2):
        row[4].value = LINYI_VILLAGE
        row[1].value = "张小红" if row[1].value.startswith("=") else row[1].value
    out = io.BytesIO()
    workbook.save(out)
    again = upload(client, run_on_commit, out.getvalue(), "fixed.xlsx")
    assert again.counts["rows_rejected"] == 0 and again.counts["members_created"] == 2


def test_another_township_gets_404_for_the_sealed_report(client, handler, run_on_commit):
    job = upload(client, run_on_commit, csv_bytes(bad_rows()), "登记表.csv")
    client.force_login(make_user("township_handler", XINGLONG_TOWN))
    assert client.get(reverse("registry:import_report", args=[job.pk])).status_code == 404
    assert client.get(reverse("registry:import_status", args=[job.pk])).status_code == 404


def test_the_page_says_until_when_the_report_is_kept(client, handler, run_on_commit, settings):
    settings.REPORT_RETENTION_DAYS = 30
    job = upload(client, run_on_commit, csv_bytes(bad_rows()), "登记表.csv")
    page = client.get(reverse("registry:import_status", args=[job.pk])).content.decode()
    expires = timezone.localtime(job.finished_at + dt.timedelta(days=30)).date().isoformat()
    assert 'report-kept' in page and expires in page


def test_the_purge_deletes_only_expired_reports_and_the_page_says_the_report_expired(
        client, handler, run_on_commit, settings):
    settings.REPORT_RETENTION_DAYS = 30
    old = upload(client, run_on_commit, csv_bytes(bad_rows()), "old.csv")
    rows = bad_rows()
    rows[0][0] = rows[1][0] = "3"
    rows[2][0] = rows[3][0] = "4"
    recent = upload(client, run_on_commit, csv_bytes(rows), "recent.csv")
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(days=31))
    old_path, recent_path = Path(old.error_report), Path(recent.error_report)
    stray_old = old_path.parent / "registry-20200101-000000-abc.csv.enc"  # a command's report, no job
    stray_old.write_bytes(b"x")
    stray_recent = old_path.parent / "registry-20990101-000000-abc.csv.enc"
    stray_recent.write_bytes(b"x")
    past = (timezone.now() - dt.timedelta(days=40)).timestamp()
    os.utime(stray_old, (past, past))
    os.utime(old_path, (past, past))

    counts = report_purge()

    assert counts["jobs"] == 1 and counts["files"] == 2 and counts["orphan_files"] == 1
    assert not old_path.exists() and not stray_old.exists()
    assert recent_path.exists() and stray_recent.exists()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.error_report == "" and old.result["report_expired_at"] and old.result["counts"]["rows_rejected"] == 2
    assert recent.error_report == str(recent_path)
    page = client.get(reverse("registry:import_status", args=[old.pk])).content.decode()
    assert 'class="report-expired"' in page and timezone.localdate().isoformat() in page
    assert "下载错误报告" not in page and "所有行均已导入" not in page
    assert reverse("registry:import_report", args=[old.pk]) not in page
    assert client.get(reverse("registry:import_report", args=[old.pk])).status_code == 404
    assert client.get(reverse("registry:import_report", args=[recent.pk])).status_code == 200
    assert report_purge()["jobs"] == 0  # nothing more to do


def test_the_expired_page_is_in_chinese(client, handler, run_on_commit, settings):
    job = upload(client, run_on_commit, csv_bytes(bad_rows()), "登记表.csv")
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=400))
    report_purge()
    page = client.get(reverse("registry:import_status", args=[job.pk])).content.decode()  # Chinese by default
    assert "错误报告已超过保存期限" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("registry:import_status", args=[job.pk])).content.decode()
    assert "The error report expired and was deleted on" in page


def test_the_purge_runs_nightly_as_a_job(settings, run_on_commit):
    entry = next(e for e in CELERY_BEAT_SCHEDULE.values() if e["task"] == "dajiuzhu.core.tasks.purge_reports")
    assert entry["schedule"].hour == {3}
    assert settings.CELERY_BEAT_SCHEDULE["core-report-purge-daily"] == entry
    settings.JOBS_BACKEND = "inline"
    from dajiuzhu.core.tasks import purge_reports

    with run_on_commit(execute=True):
        pk = purge_reports()
    job = Job.objects.get(pk=pk)
    assert job.kind == REPORT_PURGE and job.status == "done" and job.result["retention_days"] == 30

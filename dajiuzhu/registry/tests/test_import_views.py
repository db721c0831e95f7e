"""The import pages: upload → job → progress → result → error report, inside the jurisdiction only."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from dajiuzhu.core.jobs import job_run
from dajiuzhu.core.models import AuditEvent, Job
from dajiuzhu.core.testing import LINYI_TOWN, LINYI_VILLAGE, XINGLONG_TOWN, make_user
from dajiuzhu.registry.models import Person
from dajiuzhu.registry.template import REGISTRY_TEMPLATE

from .test_import_pipeline import HEADER, family

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"  # uploads and error reports of tests stay out of the real var/
    with translation.override("en"):
        yield


def csv_upload(rows, name="登记表.csv", header=HEADER):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("gbk"), content_type="text/csv")


@pytest.fixture
def handler(client):
    user = make_user("township_handler", LINYI_TOWN)
    client.force_login(user)
    return user


def upload(client, rows, run_on_commit, **kwargs):
    with run_on_commit(execute=True):
        return client.post(reverse("registry:import_upload"), {"file": csv_upload(rows, **kwargs)})


def test_upload_runs_the_job_and_shows_counts_and_the_error_report(client, handler, run_on_commit):
    rows = family("1") + family("2", size=2)
    rows[4][2] = "123"
    response = upload(client, rows, run_on_commit)
    job = Job.objects.get(kind="registry.import")
    assert response.status_code == 302 and response.url == reverse("registry:import_status", args=[job.pk])
    assert job.status == "done" and job.region_code == LINYI_TOWN and job.created_by == handler
    assert job.counts["members_created"] == 3 and job.counts["rows_rejected"] == 2
    page = client.get(response.url)
    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("registry:import_report", args=[job.pk]) in text and "hx-get" not in text
    report = client.get(reverse("registry:import_report", args=[job.pk]))
    assert report.status_code == 200
    content = b"".join(report.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(content)))
    assert lines[0][-2:] == ["错误原因", "原行号"] and len(lines) == 3
    assert "公民身份号码 (C)" in lines[2][-2]
    assert AuditEvent.objects.filter(action="registry.import.report_download").exists()
    assert Person.objects.count() == 3


def test_progress_is_polled_with_htmx_while_the_job_runs(client, handler):
    job = Job.objects.create(kind="registry.import", status="running", region_code=LINYI_TOWN, created_by=handler,
                             done=500, total=2000, params={"filename": "a.csv"})
    page = client.get(reverse("registry:import_status", args=[job.pk]))
    assert 'hx-get="{}"'.format(reverse("registry:import_status", args=[job.pk])) in page.content.decode()
    partial = client.get(reverse("registry:import_status", args=[job.pk]), HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert "25%" in text and "<html" not in text


def test_a_file_without_the_required_columns_is_refused_by_the_job_not_in_the_request(client, handler,
                                                                                    run_on_commit, monkeypatch):
    # Finding 3 of #14: nothing of an upload is parsed in the web request; the job refuses it with the reason.
    from dajiuzhu.core.intake import readers

    def no_parsing_here(*args, **kwargs):
        raise AssertionError("the upload was parsed in the request")

    with monkeypatch.context() as patched:
        patched.setattr(readers, "open_table", no_parsing_here)
        patched.setattr("dajiuzhu.registry.importing.open_table", no_parsing_here)
        response = client.post(reverse("registry:import_upload"),
                               {"file": csv_upload([r[:3] for r in family()], header=HEADER[:3])})
    job = Job.objects.get()
    assert response.status_code == 302 and job.status == "queued"
    kept = list((Path(settings.VAR_DIR) / "uploads").iterdir())
    assert [p.name for p in kept] == [Path(job.params["path"]).name] and kept[0].name.endswith(".csv.enc")
    assert "户编号".encode("gbk") not in kept[0].read_bytes()  # sealed at rest, from the first byte
    with run_on_commit(execute=True):
        job_run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    page = client.get(response.url).content.decode()
    assert "与户主关系" in page and "Traceback" not in page
    assert not Person.objects.exists() and not kept[0].exists()


def test_a_refused_file_fails_the_job_with_the_reason(client, handler, run_on_commit):
    # The first megabyte is fine (the upload check reads it); a bad byte comes later, found by the job.
    data = csv_upload(family()).read() + b"9,x,y,z,w\r\n" * 120_000 + b"1,\xff\xfe\xff,x,y,z\r\n"
    with run_on_commit(execute=True):
        response = client.post(reverse("registry:import_upload"),
                               {"file": SimpleUploadedFile("x.csv", data, content_type="text/csv")})
    job = Job.objects.get()
    assert job.status == "failed"
    page = client.get(response.url).content.decode()
    assert "GBK" in page and "Traceback" not in page
    assert not Person.objects.exists()


@pytest.mark.parametrize("role,region,status", [
    ("township_handler", XINGLONG_TOWN, 404),  # another township: as if it did not exist
    ("village_worker", LINYI_VILLAGE, 403),  # no import permission
    (None, None, 302),  # anonymous: to the login page
])
def test_another_jurisdiction_cannot_see_the_job_or_its_report(client, handler, run_on_commit, role, region, status):
    rows = family("1", size=1)
    rows[0][2] = "bad"
    upload(client, rows, run_on_commit)
    job = Job.objects.get()
    client.logout()
    if role:
        client.force_login(make_user(role, region))
    for name in ("registry:import_status", "registry:import_report"):
        assert client.get(reverse(name, args=[job.pk])).status_code == status
    assert not AuditEvent.objects.filter(action="registry.import.report_download").exists()


def test_the_county_sees_the_township_import(client, handler, run_on_commit):
    upload(client, family(), run_on_commit)
    job = Job.objects.get()
    client.force_login(make_user("county_admin", "371424000000"))
    assert client.get(reverse("registry:import_status", args=[job.pk])).status_code == 200


def test_templates_download_with_the_template_headers(client, handler):
    response = client.get(reverse("registry:import_template", args=["xlsx"]))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook.worksheets[0][1]] == REGISTRY_TEMPLATE.headers()
    assert workbook.worksheets[1].title == "填写说明"
    csv_file = client.get(reverse("registry:import_template", args=["csv"]))
    assert csv_file.content.startswith(b"\xef\xbb\xbf") and "户编号" in csv_file.content.decode("utf-8-sig")
    assert client.get(reverse("registry:import_template", args=["pdf"])).status_code == 404


def test_the_downloaded_template_imports_once_filled(client, handler, tmp_path, run_on_commit):
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(reverse("registry:import_template", args=["xlsx"])).content))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for row in family():
        sheet.append([dict(zip(HEADER, row)).get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with run_on_commit(execute=True):
        client.post(reverse("registry:import_upload"),
                    {"file": SimpleUploadedFile("t.xlsx", buffer.getvalue())})
    job = Job.objects.get()
    assert job.status == "done" and job.counts["members_created"] == 3, job.message


def test_upload_page_lists_columns_and_recent_imports(client, handler, run_on_commit):
    upload(client, family(), run_on_commit)
    page = client.get(reverse("registry:import_upload")).content.decode()
    assert "居住地区划代码" in page and "登记表.csv" in page

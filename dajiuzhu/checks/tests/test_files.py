import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from dajiuzhu.checks.datatypes import DATA_TYPES
from dajiuzhu.checks.files import REASON_HEADER, read_rows
from dajiuzhu.checks.models import Delivery, DepartmentRecord
from dajiuzhu.core.errors import DomainError
from dajiuzhu.core.testing import make_household

from .factories import department_user

pytestmark = pytest.mark.django_db

DEPOSIT = DATA_TYPES["deposit"]
VEHICLE = DATA_TYPES["vehicle"]


def test_an_xlsx_file_with_a_blank_row_reads_into_rows_by_field_with_the_files_row_numbers():
    book = Workbook()
    sheet = book.active
    sheet.append(["公民身份号码（18位）", "姓名", "数据日期*", "余额"])  # the offices' own spelling of headers
    sheet.append([None, None, None, None])
    sheet.append(["371424198001010016", "张三", "2026-01-05", 1234.5])
    data = io.BytesIO()
    book.save(data)
    rows = read_rows("deposits.xlsx", data.getvalue(), spec=DEPOSIT)
    assert rows == [{"id_number": "371424198001010016", "name": "张三", "as_of": "2026-01-05", "amount": "1234.5",
                     "_line": 3}]


def test_csv_in_gbk_and_refusals_of_unusable_files():
    rows = read_rows("a.csv", "身份证号,姓名,数据日期,余额\n1,张三,2026-01-05,3\n".encode("gbk"), spec=DEPOSIT)
    assert rows == [{"id_number": "1", "name": "张三", "as_of": "2026-01-05", "amount": "3", "_line": 2}]
    for name, data in [("a.pdf", b"%PDF"), ("a.csv", b""), ("a.xlsx", b"not a workbook"),
                       ("a.csv", "身份证号,姓名\n1,张三\n".encode())]:  # the last: required columns missing
        with pytest.raises(DomainError) as caught:
            read_rows(name, data, spec=DEPOSIT)
        assert caught.value.field == "file"
    with pytest.raises(DomainError, match="数据日期"):
        read_rows("a.csv", "身份证号,姓名,余额\n1,张三,3\n".encode(), spec=DEPOSIT)


def test_formula_and_markup_cells_are_named():
    body = "身份证号,姓名,数据日期,余额\n371424198001010016,=HYPERLINK(\"x\"),2026-01-05,3\n"
    rows = read_rows("a.csv", body.encode(), spec=DEPOSIT)
    assert [key for key, _reason in rows[0]["_problems"]] == ["name"]


def test_refused_rows_come_back_in_the_files_layout_and_the_corrected_file_is_accepted(client, run_on_commit):
    first, second = make_household(), make_household()
    police = department_user("police")
    client.force_login(police)
    good = f"{first.head.id_number},{first.head.name},2026-01-03,1,0,鲁N12345"
    bad_date = f"{second.head.id_number},{second.head.name},2026-13-40,1,0,鲁N54321"
    bad_cell = f"{second.head.id_number},=cmd|' /C calc'!A0,2026-01-04,2,0,鲁N00001"
    body = "身份证号,姓名,数据日期,车辆数,残疾人专用车数,号牌\n" + "\n".join([good, bad_date, bad_cell]) + "\n"
    with run_on_commit(execute=True):  # the file is read by a job
        response = client.post(reverse("checks:deliveries"), {
            "data_type": "vehicle", "file": SimpleUploadedFile("vehicles.csv", body.encode("gbk"))})
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.rows == 3 and delivery.invalid == 2 and DepartmentRecord.objects.count() == 1
    assert {e["row"] for e in delivery.errors} == {3, 4}  # the rows of the file, header included
    assert second.head.id_number not in str(delivery.errors)  # the kept cells are encrypted at rest

    report = client.get(reverse("checks:delivery_errors", args=[delivery.pk]))
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert lines[0][1:-1] == VEHICLE.headers and lines[0][-1] == REASON_HEADER
    assert [line[0] for line in lines[1:]] == ["3", "4"]
    assert lines[1][1] == second.head.id_number and "数据日期" in lines[1][-1]
    assert lines[2][2].startswith("'=")  # the formula comes back neutralised, never live
    # The department corrects the two rows in the report and delivers it again, as it is.
    lines[1][3] = "2026-01-02"
    lines[2][2] = second.head.name
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    with run_on_commit(execute=True):
        response = client.post(reverse("checks:deliveries"), {
            "data_type": "vehicle", "file": SimpleUploadedFile("fixed.csv", out.getvalue().encode("utf-8-sig"))})
    assert response.status_code == 302
    again = Delivery.objects.latest("pk")
    assert again.rows == 2 and again.invalid == 0 and DepartmentRecord.objects.count() == 3

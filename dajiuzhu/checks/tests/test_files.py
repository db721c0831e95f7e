import io

import pytest
from openpyxl import Workbook

from dajiuzhu.checks.files import read_rows
from dajiuzhu.core.errors import DomainError


def test_an_xlsx_file_with_a_blank_row_reads_into_rows_by_header():
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名", "数据日期", "余额"])
    sheet.append([None, None, None, None])
    sheet.append(["371424198001010016", "张三", "2026-01-05", 1234.5])
    data = io.BytesIO()
    book.save(data)
    rows = read_rows("deposits.xlsx", data.getvalue())
    assert rows == [{"身份证号": "371424198001010016", "姓名": "张三", "数据日期": "2026-01-05", "余额": 1234.5}]


def test_csv_in_gbk_and_refusals_of_unusable_files():
    assert read_rows("a.csv", "身份证号,姓名\n1,张三\n".encode("gbk")) == [{"身份证号": "1", "姓名": "张三"}]
    with pytest.raises(DomainError):
        read_rows("a.pdf", b"%PDF")
    with pytest.raises(DomainError):
        read_rows("a.csv", b"")
    with pytest.raises(DomainError):
        read_rows("a.xlsx", b"not a workbook")

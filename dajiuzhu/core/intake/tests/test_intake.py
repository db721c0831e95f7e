"""The generic intake pieces: header mapping, dangerous cells, encodings, the error report."""

import pytest

from dajiuzhu.core.intake import Column, ErrorReport, FileRefused, Template, cell_problem, cell_text
from dajiuzhu.core.intake.readers import detect_encoding
from dajiuzhu.core.intake.template import column_letter, normalise_header


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


TEMPLATE = Template([Column("key", "户编号", required=True, aliases=("户号",)),
                     Column("id_number", "公民身份号码", required=True, aliases=("身份证号",)),
                     Column("name", "姓名")], ignored=("错误原因",))


@pytest.mark.parametrize("header", ["公民身份号码", " 公民身份号码* ", "公民身份号码（18位）", "身份证号", "公民身份号码(必填)"])
def test_headers_as_offices_write_them(header):
    mapped = TEMPLATE.map_headers(["户号", header, "备注"], row_number=1)
    assert mapped.index == {"key": 0, "id_number": 1} and mapped.unknown == ["备注"]
    assert mapped.column_name("id_number").endswith("(B)")


def test_reason_columns_of_a_report_are_ignored_and_a_column_twice_is_refused():
    assert TEMPLATE.map_headers(["户编号", "身份证号", "错误原因"], row_number=1).unknown == []
    with pytest.raises(FileRefused, match="appears twice"):
        TEMPLATE.map_headers(["户编号", "身份证号", "公民身份号码"], row_number=1)


def test_missing_required_column_names_it():
    with pytest.raises(FileRefused, match="公民身份号码"):
        TEMPLATE.map_headers(["户编号", "姓名"], row_number=1)


def test_normalise_header_and_letters():
    assert normalise_header("＊姓 名：") == "姓名"
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "@cmd", "-x", "\t=1", "  =A1", "<script>x</script>",
                                  "<img src=x onerror=y>", "javascript:alert(1)"])
def test_dangerous_cells_are_refused(text):
    assert cell_problem(text)


@pytest.mark.parametrize("text", ["-5", "+8613800000000", "张三", "2026-01-01", "1,234.50", "", "C级危房"])
def test_ordinary_cells_pass(text):
    assert cell_problem(text) is None


def test_cell_text_of_spreadsheet_values():
    import datetime as dt

    assert cell_text(12.0) == "12" and cell_text(1200.5) == "1200.5" and cell_text(None) == ""
    assert cell_text(dt.datetime(2026, 1, 2)) == "2026-01-02" and cell_text(True) == "是"


def test_encodings_are_detected():
    assert detect_encoding("户编号".encode("gbk"), complete=True) == "gb18030"
    assert detect_encoding("户编号".encode(), complete=True) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfabc", complete=True) == "utf-8-sig"
    # A multi-byte character cut at the end of the sample is not an error.
    assert detect_encoding("户编号".encode()[:-1], complete=False) == "utf-8"
    with pytest.raises(FileRefused):
        detect_encoding(b"\xff\xfe\x00a", complete=True)


def test_error_report_writes_nothing_without_rows(tmp_path):
    report = ErrorReport(tmp_path / "r.csv", ["a"])
    assert report.close() is None and not (tmp_path / "r.csv").exists()


def test_error_report_xlsx_keeps_formulas_as_text(tmp_path):
    import openpyxl

    report = ErrorReport(tmp_path / "r.xlsx", ["姓名", "x"])
    report.add(3, ["=1+1", 5], "bad")
    path = report.close()
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "x", "错误原因", "原行号") and rows[1] == ("=1+1", 5, "bad", 3)
    assert sheet["A2"].data_type == "s"

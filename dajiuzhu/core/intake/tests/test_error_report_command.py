"""``manage.py error_report``: a sealed report of the import command, back as its CSV."""

import csv
import io
import sys

import pytest
from django.core.management import CommandError, call_command

from dajiuzhu.core.intake import ErrorReport


def test_the_command_writes_the_csv_of_a_sealed_report(tmp_path, monkeypatch):
    report = ErrorReport(tmp_path / "r.csv.enc", ["姓名"])
    report.add(3, ["张三"], "原因")
    path = report.close()
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", out)
    call_command("error_report", str(path))
    text = out.buffer.getvalue().decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["姓名", "错误原因", "原行号"], ["张三", "原因", "3"]]


def test_a_file_that_is_not_a_sealed_report_is_an_error(tmp_path):
    path = tmp_path / "x.csv.enc"
    path.write_bytes(b"plain")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("error_report", str(path))

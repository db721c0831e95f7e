"""Sealed files (error reports at rest): chunked AES-GCM, refused when altered, cut off or under another key."""

import csv
import datetime as dt
import io

import pytest

from dajiuzhu.core.intake import ErrorReport
from dajiuzhu.core.intake.report import report_content, report_rows
from dajiuzhu.core.intake.sealed import CHUNK, MAGIC, SealedFileError, SealedWriter, sealed_chunks, sealed_lines


def sealed(tmp_path, data: bytes, pieces: int = 7):
    path = tmp_path / "x.enc"
    writer = SealedWriter(path)
    step = max(1, len(data) // pieces)
    for start in range(0, len(data), step):
        writer.write(data[start:start + step])
    writer.close()
    return path


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17])
def test_what_is_written_reads_back_chunk_by_chunk(tmp_path, size):
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    path = sealed(tmp_path, data)
    chunks = list(sealed_chunks(path))
    assert b"".join(chunks) == data and all(len(c) <= CHUNK for c in chunks)
    assert path.read_bytes().startswith(MAGIC) and (size < 64 or data[:64] not in path.read_bytes())


def test_lines_split_across_chunks_come_back_whole(tmp_path):
    lines = [f"第{i}行,{'x' * (i % 300)}".encode() for i in range(2000)]
    path = sealed(tmp_path, b"\n".join(lines) + b"\n", pieces=13)
    assert list(sealed_lines(path)) == lines


def test_an_altered_or_cut_off_file_or_another_key_is_refused(tmp_path, settings):
    path = sealed(tmp_path, b"a" * (2 * CHUNK + 5))
    raw = path.read_bytes()
    altered = bytearray(raw)
    altered[len(MAGIC) + 8 + 5 + 10] ^= 1
    last_frame = 5 + 5 + 16  # flag and length, 5 bytes of text, the tag
    for damaged in (bytes(altered), raw[: len(raw) - CHUNK], raw[: len(raw) - last_frame]):
        path.write_bytes(damaged)
        with pytest.raises(SealedFileError):
            list(sealed_chunks(path))
    path.write_bytes(raw)
    settings.FIELD_ENCRYPTION_KEY = "another secret"
    with pytest.raises(SealedFileError):
        list(sealed_chunks(path))


def test_a_sealed_error_report_keeps_the_cells_and_builds_the_csv(tmp_path):
    report = ErrorReport(tmp_path / "r.csv.enc", ["姓名", "公民身份号码", "日期"])
    report.add(2, ["张三", "110101199003074512", dt.date(2020, 1, 2)], "错误")
    report.add(5, ["=1+1", 12.0], "公式")
    path = report.close()
    raw = path.read_bytes()
    assert "张三".encode() not in raw and b"110101199003074512" not in raw
    rows = list(report_rows(path))
    assert rows == [["姓名", "公民身份号码", "日期", "错误原因", "原行号"],
                    ["张三", "110101199003074512", "2020-01-02", "错误", 2], ["=1+1", 12.0, None, "公式", 5]]
    content, kind = report_content(path)
    text = b"".join(content).decode("utf-8-sig")
    assert kind == "csv"
    assert list(csv.reader(io.StringIO(text)))[2] == ["'=1+1", "12", "", "公式", "5"]

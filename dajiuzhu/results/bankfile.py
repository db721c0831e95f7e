"""The bank file of a payment batch and the bank's return file (layout: ``docs/payments.md``).

Payment file (CSV, comma-separated, one header row, CRLF line ends, GBK/GB18030 or UTF-8):

    批次号,序号,收款人姓名,身份证号码,账号,金额,事项,所属期,行政区划

``金额`` is yuan with exactly two decimals (to the fen, no separators). ``账号`` is empty when the
payment goes to the payee's social security card (社会保障卡), which the bank finds by the ID
number. The return file repeats ``批次号,序号,身份证号码,金额`` and adds ``结果`` (成功/失败),
``失败原因`` and ``银行流水号``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from dajiuzhu.core.normalise import clean_code, clean_text

PAYMENT_COLUMNS = ["批次号", "序号", "收款人姓名", "身份证号码", "账号", "金额", "事项", "所属期", "行政区划"]
RETURN_COLUMNS = ["批次号", "序号", "身份证号码", "金额", "结果", "失败原因", "银行流水号"]
PAID_WORDS = {"成功", "已支付", "支付成功", "S", "SUCCESS", "OK", "0", "00", "0000"}
ENCODINGS = {"gbk": "gb18030", "gb18030": "gb18030", "utf-8": "utf-8", "utf8": "utf-8"}


def normalise_encoding(name: str) -> str:
    return "utf-8" if ENCODINGS.get(name.lower(), "gb18030") == "utf-8" else "gbk"


def _safe(text: str) -> str:
    """No cell a spreadsheet would execute (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_payment_file(batch, lines, *, encoding: str = "gbk") -> bytes:
    codec = ENCODINGS.get(encoding.lower())
    if codec is None:
        from dajiuzhu.core.errors import DomainError

        raise DomainError(_("unknown file encoding %(name)s (gbk or utf-8)") % {"name": encoding}, field="encoding")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PAYMENT_COLUMNS)
    for line in lines:
        writer.writerow([
            batch.number, line.line_no, _safe(line.payee_name), line.payee.id_number if line.payee else "", "",
            f"{line.amount:.2f}", _safe(line.item_name), f"{batch.month:%Y-%m}", line.region_code,
        ])
    return out.getvalue().encode(codec)


@dataclasses.dataclass
class ReturnLine:
    row: int
    batch_number: str
    line_no: int | None
    id_number: str
    amount: Decimal | None
    paid: bool
    reason: str
    reference: str


def decode(content: bytes) -> str:
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(codec)
        except UnicodeDecodeError:
            continue
    from dajiuzhu.core.errors import DomainError

    raise DomainError(_("the file is neither UTF-8 nor GBK text"))


def read_return_file(content: bytes) -> list[ReturnLine]:
    from dajiuzhu.core.errors import DomainError

    reader = csv.reader(io.StringIO(decode(content)))
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise DomainError(_("the return file is empty"))
    header = [clean_text(h) for h in rows[0]]
    missing = [c for c in ("批次号", "序号", "身份证号码", "金额", "结果") if c not in header]
    if missing:
        raise DomainError(_("the return file lacks the columns %(cols)s") % {"cols": ", ".join(missing)})
    index = {name: header.index(name) for name in header}

    def cell(row: list[str], name: str) -> str:
        i = index.get(name)
        return row[i] if i is not None and i < len(row) else ""

    out = []
    for number, row in enumerate(rows[1:], start=2):
        try:
            line_no = int(clean_code(cell(row, "序号")))
        except ValueError:
            line_no = None
        try:
            amount = Decimal(clean_code(cell(row, "金额")).replace(",", ""))
        except InvalidOperation:
            amount = None
        out.append(ReturnLine(
            row=number, batch_number=clean_code(cell(row, "批次号")), line_no=line_no,
            id_number=clean_code(cell(row, "身份证号码")), amount=amount,
            paid=clean_code(cell(row, "结果")).upper() in PAID_WORDS, reason=clean_text(cell(row, "失败原因")),
            reference=clean_text(cell(row, "银行流水号")),
        ))
    return out


def match_return(batch, lines: dict, results: list[ReturnLine]) -> list[str]:
    """Every reason the return file does not match the batch (empty when it does)."""
    problems = []
    seen: set[int] = set()
    for result in results:
        where = _("row %(row)d") % {"row": result.row}
        if result.batch_number != batch.number:
            problems.append(_("%(where)s belongs to batch %(other)s, not %(number)s")
                            % {"where": where, "other": result.batch_number or "?", "number": batch.number})
            continue
        line = lines.get(result.line_no) if result.line_no is not None else None
        if line is None:
            problems.append(_("%(where)s: line %(line)s is not an open line of the batch")
                            % {"where": where, "line": result.line_no})
            continue
        if result.line_no in seen:
            problems.append(_("%(where)s: line %(line)s appears twice") % {"where": where, "line": result.line_no})
            continue
        seen.add(result.line_no)
        expected_id = line.payee.id_number if line.payee else ""
        if result.id_number != expected_id:
            problems.append(_("%(where)s: the ID number does not match line %(line)s")
                            % {"where": where, "line": result.line_no})
        if result.amount != line.amount:
            problems.append(_("%(where)s: amount %(found)s differs from %(expected)s on line %(line)s")
                            % {"where": where, "found": result.amount, "expected": line.amount,
                               "line": result.line_no})
    missing = sorted(set(lines) - seen)
    if missing:
        problems.append(_("lines missing from the return file: %(lines)s")
                        % {"lines": ", ".join(str(n) for n in missing[:20])})
    return problems


def write_return_file(batch, lines, *, failures: dict[int, str] | None = None, encoding: str = "gbk") -> bytes:
    """A return file as the bank would send it (for tests, the demo and the bank simulator)."""
    failures = failures or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RETURN_COLUMNS)
    for line in lines:
        failed = line.line_no in failures
        writer.writerow([batch.number, line.line_no, line.payee.id_number if line.payee else "",
                         f"{line.amount:.2f}", "失败" if failed else "成功", failures.get(line.line_no, ""),
                         f"B{batch.pk:06d}{line.line_no:06d}"])
    return out.getvalue().encode(ENCODINGS[encoding])

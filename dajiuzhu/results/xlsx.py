"""XLSX exports: any list as a sheet, and the monthly statistical report in its official layout."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _cell_value(value):
    """Text that a spreadsheet would execute is written as text (formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def list_to_xlsx(*, title: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """One sheet: a bold header row, then the rows (numbers stay numbers)."""
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = title[:31] or "Sheet"
    ws.append([str(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_cell_value(v) for v in row])
    for index, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(str(header)) * 2 + 2))
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def report_to_xlsx(report: dict) -> bytes:
    """民政统计报表 (社会救助部分), monthly: title, reporting unit, period, two merged header rows,
    one row per area and a total row, signatures; then the social-assistance-services sheet when the
    report has one (``report["social"]``, same layout)."""
    wb = Workbook()
    _report_sheet(wb.active, report)
    if report.get("social"):
        _report_sheet(wb.create_sheet(), report["social"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _report_sheet(ws, report: dict) -> None:
    groups = report["groups"]  # [(label, [column labels])]
    ncols = 1 + sum(len(cols) for _label, cols in groups)
    last = get_column_letter(ncols)
    ws.title = report["sheet"][:31]
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = report["title"]
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = CENTRE
    ws.row_dimensions[1].height = 30
    third = max(2, ncols // 3)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=third)
    ws.cell(row=2, column=1, value=report["unit"])
    ws.merge_cells(start_row=2, start_column=third + 1, end_row=2, end_column=2 * third)
    ws.cell(row=2, column=third + 1, value=report["period_label"]).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=2, start_column=2 * third + 1, end_row=2, end_column=ncols)
    ws.cell(row=2, column=2 * third + 1, value=report["money_unit"]).alignment = Alignment(horizontal="right")
    # Two header rows: the group over its columns, and the area column merged down.
    ws.merge_cells("A3:A4")
    ws["A3"] = report["area_label"]
    column = 2
    for label, cols in groups:
        ws.merge_cells(start_row=3, start_column=column, end_row=3, end_column=column + len(cols) - 1)
        ws.cell(row=3, column=column, value=label)
        for offset, sub in enumerate(cols):
            ws.cell(row=4, column=column + offset, value=sub)
        column += len(cols)
    for row in ws.iter_rows(min_row=3, max_row=4, max_col=ncols):
        for cell in row:
            cell.font, cell.alignment, cell.border = Font(bold=True), CENTRE, BOX
    row_index = 5
    for line in [*report["rows"], report["total"]]:
        ws.cell(row=row_index, column=1, value=line["name"]).border = BOX
        for offset, value in enumerate(line["values"], start=2):
            cell = ws.cell(row=row_index, column=offset, value=value)
            cell.border = BOX
            cell.number_format = "#,##0.00" if isinstance(value, (float, Decimal)) else "#,##0"
        row_index += 1
    ws.cell(row=row_index - 1, column=1).font = Font(bold=True)
    row_index += 1
    ws.cell(row=row_index, column=1, value=report["footer"])
    ws.column_dimensions["A"].width = 22
    for index in range(2, ncols + 1):
        ws.column_dimensions[get_column_letter(index)].width = 12
    ws.freeze_panes = "B5"
    ws.print_title_rows = "3:4"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1

"""CSV and XLSX files of the statistics tables (figures only: no resident appears in them)."""

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from .tables import AVERAGE, MINUTES, SHARE, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cells(table: Table, row, label) -> list:
    return [label, *(column.value(row) for column in table.columns)]


def _rows(table: Table, total_label: str):
    yield [str(table.label_title), *(str(column.title) for column in table.columns)]
    for row in table.rows:
        yield _cells(table, row, row.label)
    if table.total is not None:
        yield _cells(table, table.total, total_label)


def table_csv(table: Table, *, total_label: str) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese names correctly. Shares
    are percentages with one decimal, averages have two decimals."""
    out = io.StringIO()
    writer = csv.writer(out)
    kinds = [None, *(column.kind for column in table.columns)]
    for n, cells in enumerate(_rows(table, total_label)):
        if n:
            cells = [_csv_cell(v, k) for v, k in zip(cells, kinds, strict=True)]
        writer.writerow(cells)
    return "\ufeff".encode() + out.getvalue().encode()


def _csv_cell(value, kind):
    if value is None:
        return ""
    if kind == SHARE:
        return f"{value * 100:.1f}"
    if kind == AVERAGE:
        return f"{value:.2f}"
    return value


def table_xlsx(table: Table, *, total_label: str, sheet_title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]
    formats = {SHARE: "0.0%", AVERAGE: "0.00", MINUTES: "0"}
    for n, cells in enumerate(_rows(table, total_label)):
        sheet.append(cells)
        if n == 0:
            for cell in sheet[1]:
                cell.font = Font(bold=True)
    for index, column in enumerate(table.columns, start=2):
        if column.kind in formats:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = formats[column.kind]
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 36
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""Excel .xlsx: every visible sheet, each cell's displayed value (a 0.91 formatted as a
percentage reads "91%"; a formula reads its cached value), merged ranges as spans.

A formula saved without a cached value (a file written by a program that does not
calculate, or text typed with a leading "=" such as "=100%") reads as its formula
text: its value cannot be known without recalculating, and the text is what was typed.
"""
from __future__ import annotations

import zipfile
from io import BytesIO

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.numfmt import format_value
from jixiao.extractors.sheet import Sheet
from jixiao.grid import Grid

_READ_ERRORS = (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError)


def _sheet(ws: Worksheet, formulas: Worksheet | None) -> Sheet:
    sheet = Sheet()
    # The cells the file holds: iter_rows() would walk the whole used range, which one
    # stray formatted cell at row 1,048,576 makes enormous.
    for (row, col), cell in ws._cells.items():
        text = format_value(cell.value, cell.number_format)
        if not text and formulas is not None:
            typed = formulas._cells.get((row, col))
            if typed is not None and typed.data_type == "f" and isinstance(typed.value, str):
                text = typed.value
        if text:
            sheet.texts[(row - 1, col - 1)] = text
    sheet.merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
    sheet.hidden_rows = {r - 1 for r, dim in ws.row_dimensions.items() if dim.hidden}
    for dim in ws.column_dimensions.values():
        if dim.hidden and dim.min is not None:
            sheet.hidden_cols.update(range(dim.min - 1, (dim.max or dim.min)))
    return sheet


def _has_formulas(data: bytes) -> bool:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(name) as part:
                    if any(b"<f>" in chunk or b"<f " in chunk for chunk in iter(lambda: part.read(1 << 20), b"")):
                        return True
    return False


def extract_xlsx(data: bytes) -> Grid:
    try:
        workbook = openpyxl.load_workbook(BytesIO(data), data_only=True)
        # Formula texts, for the cells saved without a cached value.
        typed = openpyxl.load_workbook(BytesIO(data)) if _has_formulas(data) else None
    except _READ_ERRORS as exc:
        raise ExtractError(f"unreadable Excel workbook: {type(exc).__name__}: {exc}") from exc
    tables = [_sheet(ws, typed[ws.title] if typed else None).table()
              for ws in workbook.worksheets if ws.sheet_state == "visible"]
    return Grid(source_format="xlsx", extractor="xlsx", tables=[t for t in tables if t.cells])

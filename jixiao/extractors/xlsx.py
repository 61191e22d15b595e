"""Excel .xlsx: every visible sheet, each cell's displayed value (a 0.91 formatted as a
percentage reads "91%"; a formula reads its cached value), merged ranges as spans.

A formula saved without a cached value (files written by programs that do not
calculate) is recalculated by LibreOffice when it computes something from cells or
functions; one that refers to nothing ("=100%", "=12个月": a target typed with a
leading "=") reads as the text typed. Without LibreOffice, a formula that needs
calculating reads as its formula text.
"""
from __future__ import annotations

import re
import zipfile
from io import BytesIO

import openpyxl
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from jixiao.extractors.convert import convert
from jixiao.extractors.errors import ExtractError
from jixiao.extractors.numfmt import format_value
from jixiao.extractors.sheet import Sheet
from jixiao.grid import Grid

_READ_ERRORS = (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError)
# A cell reference (A1, $B$2) or a function call: a formula that computes something.
# Characters XML cannot hold, which Excel writes as "_x000D_" (a carriage return).
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_COMPUTES = re.compile(r"\$?[A-Za-z]{1,3}\$?\d+|[A-Za-z_][A-Za-z0-9_.]*\s*\(")


def _cells(ws: Worksheet) -> dict[tuple[int, int], SheetCell]:
    # The cells the file holds: iter_rows() would walk the whole used range, which one
    # stray formatted cell at row 1,048,576 makes enormous.
    return ws._cells


def _uncached(values: Workbook, formulas: Workbook) -> list[tuple[str, tuple[int, int], str]]:
    """(sheet, position, formula) of every formula cell saved without a value."""
    found = []
    for ws in formulas.worksheets:
        shown = _cells(values[ws.title])
        for position, cell in _cells(ws).items():
            held = shown.get(position)
            if cell.data_type == "f" and isinstance(cell.value, str) and (held is None or held.value is None):
                found.append((ws.title, position, cell.value))
    return found


def _recalculated(data: bytes) -> Workbook | None:
    try:
        return openpyxl.load_workbook(BytesIO(convert(data, ".xlsx", "xlsx")), data_only=True)
    except (ExtractError, *_READ_ERRORS):
        return None


def _sheet(ws: Worksheet, fills: dict[tuple[int, int], str]) -> Sheet:
    sheet = Sheet()
    for (row, col), cell in _cells(ws).items():
        value = cell.value
        if isinstance(value, str) and "_x" in value:
            value = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
        text = format_value(value, cell.number_format)
        if text:
            sheet.texts[(row - 1, col - 1)] = text
    for (row, col), text in fills.items():
        sheet.texts.setdefault((row - 1, col - 1), text)
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


def _fills(data: bytes, values: Workbook) -> dict[str, dict[tuple[int, int], str]]:
    """Displayed texts for formula cells saved without a value, by sheet and position."""
    uncached = _uncached(values, openpyxl.load_workbook(BytesIO(data))) if _has_formulas(data) else []
    computed = [u for u in uncached if _COMPUTES.search(u[2])]
    recalculated = _recalculated(data) if computed else None
    fills: dict[str, dict[tuple[int, int], str]] = {}
    for title, position, formula in uncached:
        text = formula
        if recalculated is not None and _COMPUTES.search(formula):
            value = _cells(recalculated[title]).get(position)
            if value is not None and value.value is not None:
                shown = _cells(values[title]).get(position)
                text = format_value(value.value, shown.number_format if shown is not None else None)
        fills.setdefault(title, {})[position] = text
    return fills


def extract_xlsx(data: bytes) -> Grid:
    try:
        workbook = openpyxl.load_workbook(BytesIO(data), data_only=True)
        fills = _fills(data, workbook)
    except _READ_ERRORS as exc:
        raise ExtractError(f"unreadable Excel workbook: {type(exc).__name__}: {exc}") from exc
    tables = [_sheet(ws, fills.get(ws.title, {})).table() for ws in workbook.worksheets if ws.sheet_state == "visible"]
    return Grid(source_format="xlsx", extractor="xlsx", tables=[t for t in tables if t.cells])

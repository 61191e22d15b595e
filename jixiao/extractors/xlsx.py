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
from xml.etree.ElementTree import ParseError

import openpyxl
from defusedxml import DefusedXmlException
from lxml import etree
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from jixiao.extractors.convert import convert
from jixiao.extractors.errors import LIMIT, ExtractError
from jixiao.extractors.guard import check_zip
from jixiao.extractors.numfmt import format_value
from jixiao.extractors.options import Limits
from jixiao.extractors.sheet import MAX_COLUMNS, Sheet
from jixiao.grid import Grid

# openpyxl parses with lxml, and sheets with defusedxml, which refuses entity declarations.
# IndexError: a cell's or named style's index past the workbook's list of styles.
_READ_ERRORS = (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, IndexError,
                etree.XMLSyntaxError, ParseError)
# Cells merged ranges may cover: a whole column of a sheet is 1,048,576.
MAX_MERGED_CELLS = 4_000_000
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]{0,200}?\bref="\$?([A-Za-z]{1,3})\$?(\d{1,7})'
                    rb'(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?"')
_MERGE_TAIL = 512
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


def _number_format(cell: SheetCell) -> str | None:
    try:
        return cell.number_format
    except IndexError:
        return None  # a style index past the workbook's styles (a damaged file): shown as General


def _sheet(ws: Worksheet, fills: dict[tuple[int, int], str]) -> Sheet:
    sheet = Sheet()
    for (row, col), cell in _cells(ws).items():
        value = cell.value
        if isinstance(value, str) and "_x" in value:
            value = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
        text = format_value(value, _number_format(cell))
        if text:
            sheet.texts[(row - 1, col - 1)] = text
    for (row, col), text in fills.items():
        sheet.texts.setdefault((row - 1, col - 1), text)
    sheet.merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
    sheet.hidden_rows = {r - 1 for r, dim in ws.row_dimensions.items() if dim.hidden}
    for dim in ws.column_dimensions.values():
        if dim.hidden and dim.min is not None:
            sheet.hidden_cols.update(range(max(dim.min - 1, 0), min(dim.max or dim.min, MAX_COLUMNS)))
    return sheet


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


def _merged_cells(data: bytes) -> int:
    """Cells covered by the merged ranges the sheets declare, read from the XML as a stream:
    openpyxl makes an object for every cell of a merged range."""
    covered = 0
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            pending = b""
            with archive.open(name) as part:
                for chunk in iter(lambda: part.read(1 << 20), b""):
                    buffer, end = pending + chunk, 0
                    for m in _MERGE.finditer(buffer):
                        last_col, last_row = m.group(3) or m.group(1), m.group(4) or m.group(2)
                        rows = abs(int(last_row) - int(m.group(2))) + 1
                        covered += rows * (abs(_column(last_col) - _column(m.group(1))) + 1)
                        end = m.end()
                    # A range cut by the chunk's end is found again in the next buffer.
                    pending = buffer[max(end, len(buffer) - _MERGE_TAIL):]
    return covered


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
                text = format_value(value.value, _number_format(shown) if shown is not None else None)
        fills.setdefault(title, {})[position] = text
    return fills


def _unreadable(exc: Exception) -> ExtractError:
    # openpyxl wraps what its parser raised in a ValueError of several lines: the cause tells.
    cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
    if isinstance(cause, DefusedXmlException):
        return ExtractError(f"XML declares entities (in the Excel workbook), which are never expanded: {cause}")
    return ExtractError(f"unreadable Excel workbook: {type(cause).__name__}: {cause}")


def extract_xlsx(data: bytes, limits: Limits | None = None) -> Grid:
    check_zip(data, limits or Limits(), "Excel workbook")
    try:
        merged = _merged_cells(data)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _unreadable(exc) from exc
    if merged > MAX_MERGED_CELLS:
        raise ExtractError(f"Excel workbook's merged ranges cover {merged:,} cells, more than the limit of {MAX_MERGED_CELLS:,}",
                           LIMIT)
    try:
        workbook = openpyxl.load_workbook(BytesIO(data), data_only=True)
        fills = _fills(data, workbook)
    except _READ_ERRORS as exc:
        raise _unreadable(exc) from exc
    tables = [_sheet(ws, fills.get(ws.title, {})).table(ws.title) for ws in workbook.worksheets if ws.sheet_state == "visible"]
    return Grid(source_format="xlsx", extractor="xlsx", tables=[t for t in tables if t.cells])

"""Excel .xlsx: every visible sheet, each cell's displayed value (a 0.91 formatted as a
percentage reads "91%"; a formula reads its cached value), merged ranges as spans.

A formula saved without a cached value (files written by programs that do not
calculate) is recalculated by LibreOffice when it computes something from cells or
functions; one that refers to nothing ("=100%", "=12个月": a target typed with a
leading "=") reads as the text typed. Without LibreOffice, a formula that needs
calculating reads as its formula text.

A workbook is read as a stream (`stream_xlsx`): openpyxl reads its styles and
shared strings, and each visible sheet's XML is parsed twice with lxml's
iterparse, row by row: first for its merged ranges (listed after the cells),
hidden rows and columns, then for its cells, given as rows of the Grid as they
are read. A sheet whose rows are out of order or whose merged ranges overlap (a
damaged file), or a workbook holding formulas saved without a value, is read
whole instead, as before.
"""
from __future__ import annotations

import re
import struct
import zipfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import IO, BinaryIO
from xml.etree.ElementTree import ParseError

import openpyxl
from defusedxml import DefusedXmlException
from lxml import etree
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._reader import (
    COL_TAG,
    FORMULA_TAG,
    INLINE_STRING,
    MERGE_TAG,
    ROW_TAG,
    VALUE_TAG,
    WorkSheetParser,
)
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.dimensions import ColumnDimension, RowDimension
from openpyxl.worksheet.worksheet import Worksheet

from jixiao.extractors.convert import convert
from jixiao.extractors.errors import LIMIT, ExtractError
from jixiao.extractors.guard import Archive, check_zip, open_zip
from jixiao.extractors.numfmt import format_value
from jixiao.extractors.options import Limits
from jixiao.extractors.sheet import MAX_COLUMNS, Sheet, SheetRows
from jixiao.grid import SHEET, Cell, Grid, GridStream, Origin, Table, TableRows

# openpyxl parses with lxml, and sheets with defusedxml, which refuses entity declarations.
# IndexError: a cell's or named style's index past the workbook's list of styles.
_READ_ERRORS = (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, IndexError,
                etree.XMLSyntaxError, ParseError)
# And what reading a sheet's XML with lxml may raise on a damaged one, as the workbook is walked.
_STREAM_ERRORS = (*_READ_ERRORS, AttributeError, EOFError, struct.error, zipfile.LargeZipFile)
MERGE_CELL_TAG = MERGE_TAG[:-1]  # mergeCell, in mergeCells
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


def _merged_cells(data: Archive) -> int:
    """Cells covered by the merged ranges the sheets declare, read from the XML as a stream:
    openpyxl makes an object for every cell of a merged range."""
    covered = 0
    with open_zip(data) as archive:
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


def _has_formulas(data: Archive) -> bool:
    with open_zip(data) as archive:
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


def _check(data: Archive, limits: Limits | None) -> None:
    check_zip(data, limits or Limits(), "Excel workbook")
    try:
        merged = _merged_cells(data)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _unreadable(exc) from exc
    if merged > MAX_MERGED_CELLS:
        raise ExtractError(f"Excel workbook's merged ranges cover {merged:,} cells, more than the limit of {MAX_MERGED_CELLS:,}",
                           LIMIT)


def extract_xlsx(data: bytes, limits: Limits | None = None) -> Grid:
    """A workbook held in memory: the tables `stream_xlsx` gives."""
    grid = stream_xlsx(BytesIO(data), limits)
    if isinstance(grid, Grid):
        return grid
    tables = [Table([c for row in table.rows() for c in row], origin=table.origin) for table in grid.tables]
    return Grid(source_format="xlsx", extractor="xlsx", tables=[t for t in tables if t.cells])


def stream_xlsx(handle: BinaryIO, limits: Limits | None = None) -> Grid | GridStream:
    """A workbook read from a seekable file: each visible sheet a table whose rows are read as they
    are walked (raising ExtractError where the sheet turns out damaged); or, for a workbook the
    stream cannot read as the whole would be, the Grid of `_whole`."""
    _check(handle, limits)
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except _READ_ERRORS as exc:
        raise _unreadable(exc) from exc
    try:
        formulas = _has_formulas(handle)
        sheets = [(ws, _layout(workbook, ws, formulas)) for ws in workbook.worksheets if ws.sheet_state == "visible"]
    except _STREAM_ERRORS as exc:
        workbook.close()
        raise _unreadable(exc) from exc
    if any(layout is None for _, layout in sheets):
        workbook.close()
        handle.seek(0)
        return _whole(handle.read())
    return GridStream(source_format="xlsx", extractor="xlsx", tables=_tables(workbook, sheets))


def _whole(data: bytes) -> Grid:
    """The workbook read whole with openpyxl (and LibreOffice for formulas saved without a value)."""
    try:
        workbook = openpyxl.load_workbook(BytesIO(data), data_only=True)
        fills = _fills(data, workbook)
    except _READ_ERRORS as exc:
        raise _unreadable(exc) from exc
    tables = [_sheet(ws, fills.get(ws.title, {})).table(ws.title) for ws in workbook.worksheets
              if ws.sheet_state == "visible"]
    return Grid(source_format="xlsx", extractor="xlsx", tables=[t for t in tables if t.cells])


@dataclass(slots=True)
class _Layout:
    """What a sheet's cells are placed by, read before them: merged ranges (r0, c0, r1, c1 after one
    another), hidden rows and columns (0-based)."""

    merged: array[int] = field(default_factory=lambda: array("i"))
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)


def _elements(source: IO[bytes], *tags: str) -> Iterator[etree._Element]:
    """The sheet's elements named, each dropped from the tree once looked at (with what came before
    it in its parent)."""
    for _, element in etree.iterparse(source, events=("end",), tag=tags, resolve_entities=False, no_network=True,
                                      remove_comments=True, remove_pis=True):
        yield element
        element.clear(keep_tail=True)
        while element.getprevious() is not None:
            del element.getparent()[0]


def _row_number(row: etree._Element, previous: int) -> int:
    """The row's number as openpyxl reads it: its `r`, else the one after the row before."""
    r = row.get("r")
    if r is None:
        return previous + 1
    try:
        return int(r)
    except ValueError:
        number = float(r)
        if not number.is_integer():
            raise ValueError(f"{r} is not a valid row number") from None
        return int(number)


def _uncached_formula(cell: etree._Element) -> bool:
    """A formula openpyxl reads as text (not an array or data table formula) saved without a value."""
    formula = cell.find(FORMULA_TAG)
    if formula is None or formula.get("t") in ("array", "dataTable"):
        return False
    if cell.get("t", "n") == "inlineStr":
        return cell.find(INLINE_STRING) is None
    return not cell.findtext(VALUE_TAG)


def _layout(workbook: Workbook, ws: object, formulas: bool) -> _Layout | None:
    """The first pass over a sheet; None where it cannot be read as a stream: rows out of order, a
    cell placed in another row than its own, merged ranges that overlap (openpyxl empties a cell
    another range covers, and keeps ranges in a set), or a formula saved without a value."""
    layout = _Layout()
    columns: dict[int, dict[str, str]] = {}
    merge_list: etree._Element | None = None
    number = 0
    with workbook._archive.open(ws._worksheet_path) as source:  # type: ignore[attr-defined]
        for element in _elements(source, ROW_TAG, COL_TAG, MERGE_CELL_TAG):
            if element.tag == COL_TAG:
                # Later declarations for the same first column replace earlier ones, as in openpyxl.
                columns[int(element.get("min", ""))] = dict(element.attrib)
            elif element.tag == MERGE_CELL_TAG:
                parent = element.getparent()
                if parent is None or parent.tag != MERGE_TAG:
                    continue
                if parent is not merge_list:  # openpyxl reads a sheet's last list of merged ranges
                    merge_list, layout.merged = parent, array("i")
                bounds = CellRange(element.get("ref"))
                layout.merged.extend((bounds.min_row - 1, bounds.min_col - 1, bounds.max_row - 1, bounds.max_col - 1))
            else:
                previous, number = number, _row_number(element, number)
                if number <= previous:
                    return None
                if ("hidden" in element.attrib or "visible" in element.attrib) and \
                        _dimension(workbook, RowDimension, dict(element.attrib)).hidden:
                    layout.hidden_rows.add(number - 1)
                suffix = str(number)
                for cell in element:
                    ref = cell.get("r")
                    if ref and not (ref.endswith(suffix) and ref[:-len(suffix)].isalpha()):
                        return None
                    if formulas and _uncached_formula(cell):
                        return None
    if _overlapping(layout.merged):
        return None
    for attrs in columns.values():
        dim = _dimension(workbook, ColumnDimension, attrs)
        if dim.hidden and dim.min is not None:
            layout.hidden_cols.update(range(max(dim.min - 1, 0), min(dim.max or dim.min, MAX_COLUMNS)))
    return layout


def _overlapping(merged: array[int]) -> bool:
    """Whether any two merged ranges (r0, c0, r1, c1 after one another) share a cell."""
    by_start = sorted(range(0, len(merged), 4), key=merged.__getitem__)
    active: list[int] = []
    for k in by_start:
        r0, c0, c1 = merged[k], merged[k + 1], merged[k + 3]
        active = [j for j in active if merged[j + 2] >= r0]
        if any(merged[j + 1] <= c1 and c0 <= merged[j + 3] for j in active):
            return True
        active.append(k)
    return False


def _dimension(workbook: Workbook, kind: type[RowDimension | ColumnDimension],
               attrs: dict[str, str]) -> RowDimension | ColumnDimension:
    """A row's or column's dimension as openpyxl makes it from the element's attributes."""
    key = "s" if kind is RowDimension else "style"
    if key in attrs:
        attrs[key] = workbook._cell_styles[int(attrs[key])]
    if kind is ColumnDimension:
        attrs["index"] = "A"  # its letter, never read here
    return kind(None, **attrs)


def _tables(workbook: Workbook, sheets: list[tuple[object, _Layout | None]]) -> Iterator[TableRows]:
    try:
        for ws, layout in sheets:
            assert layout is not None
            name = ws.title  # type: ignore[attr-defined]
            yield TableRows(_sheet_rows(workbook, ws, layout), origin=Origin(SHEET, name=name))
    finally:
        workbook.close()


def _sheet_rows(workbook: Workbook, ws: object, layout: _Layout) -> Iterator[list[Cell]]:
    """The second pass: the sheet's rows of displayed texts, placed as `Sheet.table()` places them."""
    parser = WorkSheetParser(None, workbook.shared_strings, data_only=True, epoch=workbook.epoch,
                             date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats)
    merged = layout.merged
    placed = SheetRows(((merged[k], merged[k + 1], merged[k + 2], merged[k + 3]) for k in range(0, len(merged), 4)),
                       layout.hidden_rows, layout.hidden_cols)
    formats: dict[object, str | None] = {}
    number = 0
    try:
        with workbook._archive.open(ws._worksheet_path) as source:  # type: ignore[attr-defined]
            for element in _elements(source, ROW_TAG, MERGE_CELL_TAG):
                if element.tag != ROW_TAG:
                    continue
                number = parser.row_counter = _row_number(element, number)
                parser.col_counter = 0
                texts: dict[int, str] = {}
                for cell in map(parser.parse_cell, element):
                    texts[cell["column"] - 1] = _text(workbook, cell, formats)
                yield from placed.row(number - 1, texts)
        yield from placed.end()
    except _STREAM_ERRORS as exc:
        raise _unreadable(exc) from exc


def _text(workbook: Workbook, cell: dict[str, object], formats: dict[object, str | None]) -> str:
    value = cell["value"]
    if isinstance(value, str) and "_x" in value:
        value = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    style = cell["style_id"]
    if style not in formats:
        formats[style] = _style_format(workbook, style)
    return format_value(value, formats[style])


def _style_format(workbook: Workbook, style: object) -> str | None:
    """The number format of a cell style, as openpyxl's `Cell.number_format` gives it."""
    number_format = workbook._cell_styles[style].numFmtId  # type: ignore[index]
    if number_format < BUILTIN_FORMATS_MAX_SIZE:
        return BUILTIN_FORMATS.get(number_format, "General")
    try:
        return workbook._number_formats[number_format - BUILTIN_FORMATS_MAX_SIZE]  # type: ignore[no-any-return]
    except IndexError:
        return None  # a style index past the workbook's styles (a damaged file): shown as General

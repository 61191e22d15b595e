"""Legacy Excel .xls (BIFF), read with xlrd and its formatting records, into the same
sheet model as .xlsx: displayed values, merged ranges, hidden rows and columns skipped."""
from __future__ import annotations

import io
import struct

import xlrd
from xlrd.biffh import XLRDError
from xlrd.compdoc import CompDocError

from jixiao.extractors.errors import BAD_INPUT, UNSUPPORTED, ExtractError
from jixiao.extractors.numfmt import format_value
from jixiao.extractors.sheet import Sheet
from jixiao.grid import Grid

_VISIBLE = 0
# What xlrd raises on a damaged workbook: its own errors, and the struct, index and
# decoding errors of records cut short or pointing outside the file.
_READ_ERRORS = (XLRDError, CompDocError, AssertionError, IndexError, KeyError, ValueError, TypeError, OSError,
                struct.error, EOFError)


def _text(book: xlrd.Book, cell: xlrd.sheet.Cell) -> str:
    fmt = book.format_map.get(book.xf_list[cell.xf_index].format_key) if cell.xf_index is not None else None
    fmt_str = fmt.format_str if fmt is not None else None
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return format_value(xlrd.xldate_as_datetime(cell.value, book.datemode), fmt_str)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return format_value(cell.value, None)
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return format_value(cell.value, fmt_str)
    if cell.ctype == xlrd.XL_CELL_TEXT:
        return format_value(cell.value, fmt_str)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return format_value(bool(cell.value), None)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    return ""


def _sheet(book: xlrd.Book, ws: xlrd.sheet.Sheet) -> Sheet:
    sheet = Sheet()
    for r in range(ws.nrows):
        for c in range(ws.row_len(r)):
            text = _text(book, ws.cell(r, c))
            if text:
                sheet.texts[(r, c)] = text
    sheet.merged = [(rlo, clo, rhi - 1, chi - 1) for rlo, rhi, clo, chi in ws.merged_cells]
    sheet.hidden_rows = {r for r, info in ws.rowinfo_map.items() if info.hidden}
    sheet.hidden_cols = {c for c, info in ws.colinfo_map.items() if info.hidden}
    return sheet


def extract_xls(data: bytes) -> Grid:
    try:
        # xlrd writes its warnings about damaged files to stdout unless given somewhere else.
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO())
    except _READ_ERRORS as exc:
        raise _unreadable(exc) from exc
    except RecursionError as exc:
        # xlrd walks the file's directory tree recursively, without noticing one that loops.
        raise ExtractError("unreadable Excel 97-2003 workbook: its directory refers to itself in a loop") from exc
    try:
        tables = []
        for index in range(book.nsheets):
            ws = book.sheet_by_index(index)
            if ws.visibility == _VISIBLE:
                tables.append(_sheet(book, ws).table(ws.name))
                book.unload_sheet(index)
    except _READ_ERRORS as exc:
        raise _unreadable(exc) from exc
    finally:
        book.release_resources()
    return Grid(source_format="xls", extractor="xls", tables=[t for t in tables if t.cells])


def _unreadable(exc: Exception) -> ExtractError:
    message = str(exc) or type(exc).__name__
    category = UNSUPPORTED if "encrypted" in message.lower() else BAD_INPUT
    return ExtractError(f"unreadable Excel 97-2003 workbook: {message}", category)

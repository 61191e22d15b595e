"""Excel 2003 XML Spreadsheet (SpreadsheetML), which report systems export under a .xls
name: rows and cells with their indexes, merges, hidden rows and columns, and number
formats, into the same sheet model as .xlsx.

The file is read as a stream (`stream_spreadsheetml`), with lxml's iterparse, twice:
first for what places the cells (number formats, whether each sheet is shown, its
hidden rows and columns, merged ranges; and the entity check of the whole file),
then for the rows, given as they are read. A sheet whose rows are numbered out of
order is read whole instead, as before.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import BinaryIO

from lxml import etree

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.guard import declares_entities
from jixiao.extractors.numfmt import format_value
from jixiao.extractors.sheet import MAX_COLUMNS, Range, Sheet, SheetRows
from jixiao.grid import SHEET, Cell, Grid, GridStream, Origin, Table, TableRows

SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
_X = "{urn:schemas-microsoft-com:office:excel}"
# Excel's named formats as this format spells them.
_NAMED_FORMATS = {
    "general": "General", "general number": "General", "fixed": "0.00", "standard": "#,##0.00",
    "percent": "0.00%", "scientific": "0.00E+00", "currency": "#,##0.00", "short date": "yyyy-m-d",
    "medium date": "d-mmm-yy", "long date": "yyyy\"年\"m\"月\"d\"日\"", "short time": "h:mm", "long time": "h:mm:ss",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_PARSING = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
# What a damaged file makes the stream raise.
_STREAM_ERRORS = (etree.XMLSyntaxError, ValueError, TypeError, AttributeError)
_ENTITIES = "XML declares entities (in the Excel 2003 XML workbook), which are never expanded"


def _int(el: etree._Element, name: str, default: int) -> int:
    value = el.get(SS + name)
    return int(value) if value and value.isascii() and value.lstrip("-").isdigit() else default


def _formats(root: etree._Element) -> dict[str, str]:
    formats: dict[str, str] = {}
    for style in root.iter(SS + "Style"):
        _add_format(style, formats)
    return formats


def _add_format(style: etree._Element, formats: dict[str, str]) -> None:
    """The style's number format, by the style's ID, where it sets one."""
    number = style.find(SS + "NumberFormat")
    if number is not None and number.get(SS + "Format"):
        fmt = number.get(SS + "Format", "")
        formats[style.get(SS + "ID", "")] = _NAMED_FORMATS.get(fmt.lower(), fmt)


def _hide_columns(column: etree._Element, col: int, hidden: set[int]) -> int:
    """A Column element read after column `col` (0-based): its columns added to `hidden` where it
    hides them; returns the last column it declares."""
    col = _int(column, "Index", col + 2) - 1
    span = _int(column, "Span", 0)
    if column.get(SS + "Hidden") == "1":
        hidden.update(range(max(col, 0), min(col + span + 1, MAX_COLUMNS)))
    return col + span


def _cells(row: etree._Element, formats: dict[str, str] | None) -> Iterator[tuple[int, str, int, int]]:
    """A Row's cells: (column, text as displayed, MergeAcross, MergeDown), columns 0-based as their
    Index attributes and merges place them. `formats` None: no text is made ("")."""
    c = -1
    for cell in row.iterfind(SS + "Cell"):
        c = _int(cell, "Index", c + 2) - 1
        data = cell.find(SS + "Data") if formats is not None else None
        text = "" if data is None or formats is None else format_value(
            _value(data), formats.get(cell.get(SS + "StyleID", ""), "General"))
        across = _int(cell, "MergeAcross", 0)
        yield c, text, across, _int(cell, "MergeDown", 0)
        c += across


def _value(data: etree._Element) -> object:
    text = "".join(data.itertext())
    kind = data.get(SS + "Type", "String")
    try:
        if kind == "Number":
            return float(text)
        if kind == "DateTime":
            return dt.datetime.fromisoformat(text)
        if kind == "Boolean":
            return text.strip() == "1"
    except ValueError:
        return text
    return text


def _sheet(worksheet: etree._Element, formats: dict[str, str]) -> Sheet:
    sheet = Sheet()
    table = worksheet.find(SS + "Table")
    if table is None:
        return sheet
    col = -1
    for column in table.iterfind(SS + "Column"):
        col = _hide_columns(column, col, sheet.hidden_cols)
    r = -1
    for row in table.iterfind(SS + "Row"):
        r = _int(row, "Index", r + 2) - 1
        if row.get(SS + "Hidden") == "1":
            sheet.hidden_rows.add(r)
        for c, text, across, down in _cells(row, formats):
            if text:
                sheet.texts[(r, c)] = text
            if across or down:
                sheet.merged.append((r, c, r + down, c + across))
        r += max(0, _int(row, "Span", 0))
    return sheet


def _visible(worksheet: etree._Element) -> bool:
    options = worksheet.find(_X + "WorksheetOptions")
    visible = options.find(_X + "Visible") if options is not None else None
    return visible is None or (visible.text or "").strip() not in ("SheetHidden", "SheetVeryHidden")


def extract_spreadsheetml(data: bytes) -> Grid:
    """A workbook held in memory: the tables `stream_spreadsheetml` gives."""
    grid = stream_spreadsheetml(BytesIO(data))
    if isinstance(grid, Grid):
        return grid
    tables = [Table([c for row in table.rows() for c in row], origin=table.origin) for table in grid.tables]
    return Grid(source_format="xls", extractor="spreadsheetml", tables=[t for t in tables if t.cells])


def stream_spreadsheetml(handle: BinaryIO) -> Grid | GridStream:
    handle.seek(0)
    if declares_entities(handle.read(1 << 16)):
        raise ExtractError(_ENTITIES)
    handle.seek(0)
    try:
        survey = _survey(handle)
    except etree.XMLSyntaxError as exc:
        raise ExtractError(f"unreadable Excel 2003 XML workbook: {exc}") from exc
    if survey is None:
        handle.seek(0)
        return _whole(handle.read())
    return GridStream(source_format="xls", extractor="spreadsheetml", tables=_tables(handle, survey))


def _whole(data: bytes) -> Grid:
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ExtractError(f"unreadable Excel 2003 XML workbook: {exc}") from exc
    formats = _formats(root)
    tables = [_sheet(ws, formats).table(ws.get(SS + "Name", "")) for ws in root.iterfind(SS + "Worksheet")
              if _visible(ws)]
    return Grid(source_format="xls", extractor="spreadsheetml", tables=[t for t in tables if t.cells])


@dataclass(slots=True)
class _Layout:
    """What places a sheet's cells, read before them."""

    visible: bool = True
    name: str = ""
    merged: list[Range] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)


@dataclass(slots=True)
class _Survey:
    formats: dict[str, str] = field(default_factory=dict)
    sheets: list[_Layout] = field(default_factory=list)


def _elements(handle: BinaryIO) -> Iterator[tuple[str, etree._Element]]:
    """Start and end events of the parts of a workbook that place or hold cells; rows and sheets are
    dropped from the tree once looked at."""
    handle.seek(0)
    tags = (SS + "Worksheet", SS + "Table", SS + "Column", SS + "Row", SS + "Style")
    parse = etree.iterparse(handle, events=("start", "end"), tag=tags, remove_comments=True, remove_pis=True,
                            **_PARSING)
    for event, element in parse:
        yield event, element
        if event == "end" and element.tag in (SS + "Row", SS + "Worksheet"):
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]
    dtd = parse.root.getroottree().docinfo.internalDTD if parse.root is not None else None
    if dtd is not None and any(True for _ in dtd.iterentities()):
        # The parser never expands them; a workbook that declares any is not an export.
        raise ExtractError(_ENTITIES)


def _rows_of(events: Iterator[tuple[str, etree._Element]]) -> Iterator[tuple[int, str, etree._Element]]:
    """(sheet, kind, element) for the number formats ("style") and the columns and rows of the first
    Table of each Worksheet ("column", "row"), as `_sheet` reads them; "end" with the Worksheet."""
    sheet, table = -1, None
    for event, element in events:
        tag = element.tag
        if tag == SS + "Worksheet":
            if event == "start":
                sheet, table = sheet + 1, None
            else:
                yield sheet, "end", element
        elif tag == SS + "Table":
            parent = element.getparent()
            if event == "start" and table is None and parent is not None and parent.tag == SS + "Worksheet":
                table = element
        elif tag == SS + "Style":
            if event == "end":
                yield sheet, "style", element
        elif event == "end" and table is not None and element.getparent() is table:
            yield sheet, "column" if tag == SS + "Column" else "row", element


def _survey(handle: BinaryIO) -> _Survey | None:
    """The first pass; None where rows are numbered out of order (the stream places them in order)."""
    survey = _Survey()
    layout, col, r = _Layout(), -1, -1
    for _, kind, element in _rows_of(_elements(handle)):
        if kind == "style":
            _add_format(element, survey.formats)
        elif kind == "end":
            layout.visible, layout.name = _visible(element), element.get(SS + "Name", "")
            survey.sheets.append(layout)
            layout, col, r = _Layout(), -1, -1
        elif kind == "column":
            col = _hide_columns(element, col, layout.hidden_cols)
        else:
            previous, r = r, _int(element, "Index", r + 2) - 1
            if r <= previous:
                return None
            if element.get(SS + "Hidden") == "1":
                layout.hidden_rows.add(r)
            for c, _, across, down in _cells(element, None):
                if across or down:
                    layout.merged.append((r, c, r + down, c + across))
            r += max(0, _int(element, "Span", 0))
    return survey


def _tables(handle: BinaryIO, survey: _Survey) -> Iterator[TableRows]:
    """The second pass, one parse for all sheets: each visible sheet's rows, placed as `Sheet.table()`
    places them; a sheet's rows are read as its table is walked, the next sheet's after them."""
    rows = _rows_of(_elements(handle))

    def sheet_rows(k: int, layout: _Layout) -> Iterator[list[Cell]]:
        placed = SheetRows(layout.merged, layout.hidden_rows, layout.hidden_cols)
        r = -1
        try:
            for sheet, kind, element in rows:
                if sheet > k or (sheet == k and kind == "end"):
                    break
                if sheet < k or kind != "row":
                    continue
                r = _int(element, "Index", r + 2) - 1
                texts = {c: text for c, text, _, _ in _cells(element, formats) if text}
                yield from placed.row(r, texts)
                r += max(0, _int(element, "Span", 0))
            yield from placed.end()
        except _STREAM_ERRORS as exc:
            raise ExtractError(f"unreadable Excel 2003 XML workbook: {exc}") from exc

    formats = survey.formats
    for k, layout in enumerate(survey.sheets):
        if layout.visible:
            table = TableRows(sheet_rows(k, layout), origin=Origin(SHEET, name=layout.name))
            yield table
            for _ in table.rows():  # what the reader left of this sheet
                pass

"""Excel 2003 XML Spreadsheet (SpreadsheetML), which report systems export under a .xls
name: rows and cells with their indexes, merges, hidden rows and columns, and number
formats, into the same sheet model as .xlsx."""
from __future__ import annotations

import datetime as dt

from lxml import etree

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.guard import declares_entities
from jixiao.extractors.numfmt import format_value
from jixiao.extractors.sheet import MAX_COLUMNS, Sheet
from jixiao.grid import Grid

SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
_X = "{urn:schemas-microsoft-com:office:excel}"
# Excel's named formats as this format spells them.
_NAMED_FORMATS = {
    "general": "General", "general number": "General", "fixed": "0.00", "standard": "#,##0.00",
    "percent": "0.00%", "scientific": "0.00E+00", "currency": "#,##0.00", "short date": "yyyy-m-d",
    "medium date": "d-mmm-yy", "long date": "yyyy\"年\"m\"月\"d\"日\"", "short time": "h:mm", "long time": "h:mm:ss",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_ENTITIES = "XML declares entities (in the Excel 2003 XML workbook), which are never expanded"


def _int(el: etree._Element, name: str, default: int) -> int:
    value = el.get(SS + name)
    return int(value) if value and value.isascii() and value.lstrip("-").isdigit() else default


def _formats(root: etree._Element) -> dict[str, str]:
    formats = {}
    for style in root.iter(SS + "Style"):
        number = style.find(SS + "NumberFormat")
        if number is not None and number.get(SS + "Format"):
            fmt = number.get(SS + "Format", "")
            formats[style.get(SS + "ID", "")] = _NAMED_FORMATS.get(fmt.lower(), fmt)
    return formats


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
        col = _int(column, "Index", col + 2) - 1
        span = _int(column, "Span", 0)
        if column.get(SS + "Hidden") == "1":
            sheet.hidden_cols.update(range(max(col, 0), min(col + span + 1, MAX_COLUMNS)))
        col += span
    r = -1
    for row in table.iterfind(SS + "Row"):
        r = _int(row, "Index", r + 2) - 1
        if row.get(SS + "Hidden") == "1":
            sheet.hidden_rows.add(r)
        c = -1
        for cell in row.iterfind(SS + "Cell"):
            c = _int(cell, "Index", c + 2) - 1
            data = cell.find(SS + "Data")
            if data is not None:
                text = format_value(_value(data), formats.get(cell.get(SS + "StyleID", ""), "General"))
                if text:
                    sheet.texts[(r, c)] = text
            across, down = _int(cell, "MergeAcross", 0), _int(cell, "MergeDown", 0)
            if across or down:
                sheet.merged.append((r, c, r + down, c + across))
            c += across
        r += max(0, _int(row, "Span", 0))
    return sheet


def _visible(worksheet: etree._Element) -> bool:
    options = worksheet.find(_X + "WorksheetOptions")
    visible = options.find(_X + "Visible") if options is not None else None
    return visible is None or (visible.text or "").strip() not in ("SheetHidden", "SheetVeryHidden")


def extract_spreadsheetml(data: bytes) -> Grid:
    if declares_entities(data):
        raise ExtractError(_ENTITIES)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ExtractError(f"unreadable Excel 2003 XML workbook: {exc}") from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        # The parser never expands them; a workbook that declares any is not an export.
        raise ExtractError(_ENTITIES)
    formats = _formats(root)
    tables = [_sheet(ws, formats).table(ws.get(SS + "Name", "")) for ws in root.iterfind(SS + "Worksheet") if _visible(ws)]
    return Grid(source_format="xls", extractor="spreadsheetml", tables=[t for t in tables if t.cells])

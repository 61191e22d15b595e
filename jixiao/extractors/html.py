"""HTML pages: every <table> with its rowspan/colspan, and the text between tables.

Government sites often serve GB2312/GBK pages, and "Excel" downloads that are
really HTML; the encoding is taken from a byte-order mark or the page's own
declaration, else UTF-8, else GB18030. A table whose rows each hold one cell
wrapping other tables is page layout, not data: its content is read as flow. A
table nested in a cell is that cell's text when small, and a table of its own,
placed after the row holding it, when it is a block of the form. Pages saved from
online forms show values in text boxes: their values are read.
"""
from __future__ import annotations

import codecs
import re

import lxml.etree
import lxml.html

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.guard import declares_entities
from jixiao.extractors.layout import DeclaredCell, mark_loose_text, place_cells, table_origin, text_table
from jixiao.grid import Grid, Table

_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# GB2312 and GBK pages often use characters only their superset GB18030 defines.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "big5": "big5hkscs"}
_SKIPPED = {"script", "style", "head", "title", "template", "noscript", "iframe", "object", "button"}
_UNSHOWN_INPUTS = {"hidden", "submit", "button", "reset", "image", "checkbox", "radio", "file", "password"}
_BLOCK_SIZE = 3
_BLOCKS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "section", "article",
    "header", "footer", "main", "nav", "aside", "blockquote", "pre", "address", "center", "form", "fieldset",
    "figure", "figcaption", "caption", "hr", "tr", "body", "html",
}
# A table's own parts; anything else it holds is shown above it.
_ROW_GROUPS = {"thead", "tbody", "tfoot"}
_TABLE_PARTS = {"tr", "caption", "colgroup", "col", *_ROW_GROUPS}
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def decode_html(data: bytes) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    declared = _DECLARED_CHARSET.search(data[:8192])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        encoding = _SUPERSETS.get(name, name)
        try:
            return data.decode(encoding, errors="replace")
        except LookupError:
            pass  # an unknown charset name: guess as if none were declared
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _tag(el: lxml.etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _hidden(el: lxml.etree._Element) -> bool:
    return el.get("hidden") is not None or bool(_HIDDEN.search(el.get("style") or ""))


def _rows(table: lxml.etree._Element) -> list[lxml.etree._Element]:
    """The table's own rows (not those of tables nested in its cells)."""
    rows = []
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(tr for tr in child if _tag(tr) == "tr")
    return [row for row in rows if not _hidden(row)]


def _cells(row: lxml.etree._Element) -> list[lxml.etree._Element]:
    return [c for c in row if _tag(c) in ("td", "th") and not _hidden(c)]


def _span(cell: lxml.etree._Element, name: str) -> int:
    digits = re.match(r"\s*(\d{1,6})", cell.get(name) or "")
    return int(digits.group(1)) if digits else 1


def _is_frame(table: lxml.etree._Element) -> bool:
    """Layout: every row is one cell, and some cell wraps a table."""
    rows = _rows(table)
    if not rows or any(len(_cells(row)) != 1 for row in rows):
        return False
    return any(cell.find(".//table") is not None for row in rows for cell in _cells(row))


def _is_block(table: lxml.etree._Element) -> bool:
    """A table nested in a cell with this many rows and columns is a block of the page (an
    indicator grid set inside the cell beside 绩效指标), not a note laid out in the cell."""
    rows = _rows(table)
    return len(rows) >= _BLOCK_SIZE and max(len(_cells(row)) for row in rows) >= _BLOCK_SIZE


def _nested_tables(el: lxml.etree._Element) -> list[lxml.etree._Element]:
    """Tables inside `el` that are not inside another table inside `el`."""
    found = []
    for child in el:
        if _tag(child) == "table":
            found.append(child)
        elif _tag(child):
            found.extend(_nested_tables(child))
    return found


def _input_text(el: lxml.etree._Element) -> str:
    """What a form control shows: a text box's value, a list's chosen option."""
    if _tag(el) == "input":
        return "" if (el.get("type") or "text").lower() in _UNSHOWN_INPUTS else el.get("value") or ""
    chosen = [o for o in el.iter("option") if o.get("selected") is not None] or list(el.iter("option"))[:1]
    return chosen[0].text_content() if chosen else ""


class _Flow:
    """Walks a page in document order, collecting loose text lines and tables.

    `in_cell`: walking a table cell, whose block tables the cell's table places itself."""

    def __init__(self, in_cell: bool = False, numbers: dict[object, int] | None = None) -> None:
        self.tables: list[Table] = []
        self.lines: list[str] = [""]
        self.in_cell = in_cell
        self.numbers = numbers if numbers is not None else {}  # every <table>'s number, in document order

    def _break(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def _flush(self) -> None:
        table = text_table(self.lines)
        if table.cells:
            self.tables.append(table)
        self.lines = [""]

    def walk(self, el: lxml.etree._Element) -> None:
        for child in el:
            tag = _tag(child)
            if tag and tag not in _SKIPPED and not _hidden(child):
                if tag == "table":
                    if not (self.in_cell and _is_block(child)):
                        self._table(child)
                elif tag == "br":
                    self._break()
                elif tag in ("input", "select"):
                    self.lines[-1] += _input_text(child)
                else:
                    block = tag in _BLOCKS
                    if block:
                        self._break()
                    self.lines[-1] += child.text or ""
                    self.walk(child)
                    if block:
                        self._break()
            self.lines[-1] += child.tail or ""

    def _table(self, table: lxml.etree._Element) -> None:
        if _is_frame(table):
            for row in _rows(table):
                self._break()
                self.walk(_cells(row)[0])
                self._break()
            return
        self._fostered(table)
        for caption in (child for child in table if _tag(child) == "caption"):
            self._break()
            self.lines[-1] += caption.text or ""
            self.walk(caption)
        self._flush()
        declared: list[list[DeclaredCell]] = []
        blocks: list[tuple[int, lxml.etree._Element]] = []
        for r, row in enumerate(_rows(table)):
            declared.append([DeclaredCell(_cell_text(c), _span(c, "rowspan"), _span(c, "colspan"))
                             for c in _cells(row)])
            blocks.extend((r, t) for c in _cells(row) for t in _nested_tables(c) if _is_block(t))
        # Rows and columns as the HTML table model counts them (rows shown, spans placed).
        cells = place_cells(declared).cells
        origin = table_origin(self.numbers, table)
        # Cut after each row whose cell holds a block table, which comes next.
        start = 0
        for row, block in blocks:
            self.tables.append(Table([c for c in cells if start <= c.row <= row], origin=origin))
            self._table(block)
            start = row + 1
        self.tables.append(Table([c for c in cells if c.row >= start], origin=origin))
        self.tables = [t for t in self.tables if t.cells]

    def _fostered(self, table: lxml.etree._Element) -> None:
        """What a table holds outside its rows and cells (a title paragraph typed between
        <table> and its first <tr>): browsers show it above the table, and so it is read."""
        for part in [table, *(child for child in table if _tag(child) in _ROW_GROUPS)]:
            self._break()
            self.lines[-1] += part.text or ""
            for child in part:
                tag = _tag(child)
                if tag == "table":
                    self._table(child)
                elif tag not in _TABLE_PARTS and tag not in _SKIPPED and tag and not _hidden(child):
                    self._break()
                    self.lines[-1] += child.text or ""
                    self.walk(child)
                    self._break()
                self.lines[-1] += child.tail or ""
            self._break()

    def finish(self) -> list[Table]:
        self._flush()
        return self.tables


def _cell_text(cell: lxml.etree._Element) -> str:
    """A cell's text; <br>, paragraphs and rows of a small table nested inside it break lines."""
    flow = _Flow(in_cell=True)
    flow.lines[-1] += cell.text or ""
    flow.walk(cell)
    parts = [line for table in flow.finish() for row in table.rows() for line in [" ".join(c.text for c in row)]]
    return "\n".join(parts)


def extract_html(data: bytes) -> Grid:
    if declares_entities(data):
        # The HTML parser would leave them unexpanded; a page that declares any is not a web page.
        raise ExtractError("XML declares entities (in an HTML page), which are never expanded")
    text = _XML_DECLARATION.sub("", decode_html(data))
    if not text.strip():
        return Grid(source_format="html", extractor="html")
    try:
        root = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractError(f"unreadable HTML: {exc}") from exc
    flow = _Flow(numbers={table: k for k, table in enumerate(root.iter("table"), 1)})
    flow.walk(root)
    tables = flow.finish()
    mark_loose_text(tables)
    return Grid(source_format="html", extractor="html", tables=tables)

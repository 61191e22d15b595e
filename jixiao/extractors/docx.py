"""Word .docx: every table in body order with its real merged cells, and the paragraphs between them.

Cells are read from the XML, not from python-docx's grid, which repeats a merged
cell's text at every position it covers: `gridSpan` is a column span, a
`vMerge` continuation extends the cell above it, `gridBefore` leaves columns
free at a row's start. Text boxes are read once (their VML fallback copy is
skipped); deleted, moved-away and hidden (`w:vanish`) text is not read. A table
nested in a cell is that cell's text when small (a note laid out as a table), and a
table of its own, placed after the row holding it, when it is a block of the form
(an indicator grid set inside the cell beside 绩效指标). HTML imported as an
`altChunk` (as server-side generators write) is read where it stands. Characters
in the Symbol font (≥ and ≤ inserted as symbols, stored as `w:sym` or as private-use
code points) are read as the characters they draw.
"""
from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

import docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.guard import check_zip
from jixiao.extractors.html import extract_html
from jixiao.extractors.layout import MAX_COLSPAN, mark_loose_text, table_origin, text_table
from jixiao.extractors.options import Limits
from jixiao.grid import Cell, Grid, Table

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W = f"{{{_W}}}"
_WRAPPERS = {W + "sdt", W + "sdtContent", W + "customXml", W + "smartTag"}
# Subtrees whose text is not printed: deletions, moved-away text, a text box's fallback copy.
_UNPRINTED = {W + "del", W + "moveFrom", f"{{{_MC}}}Fallback", W + "instrText", W + "delText"}
_BREAKS = {W + "br", W + "cr"}


def _val(el: etree._Element | None, default: str | None = None) -> str | None:
    return default if el is None else el.get(W + "val", default)


def _count(el: etree._Element | None, default: int) -> int:
    """A span or offset as Word writes it; anything else (a damaged file) reads as the default,
    and a huge one stops at the widest table markup allows."""
    text = _val(el) or ""
    return min(int(text), MAX_COLSPAN) if text.isascii() and text.isdigit() else default


def _unwrapped(parent: etree._Element, tags: set[str]) -> list[etree._Element]:
    """Children with one of the tags, looking through content controls and custom XML."""
    found: list[etree._Element] = []
    for child in parent:
        if child.tag in tags:
            found.append(child)
        elif child.tag in _WRAPPERS:
            found.extend(_unwrapped(child, tags))
    return found


# The Symbol font's codes for the characters these forms use; Word stores them as
# U+F000 + code, or as the code itself in older files.
_SYMBOL_FONT = {
    0x2D: "-", 0x3C: "<", 0x3D: "=", 0x3E: ">", 0xA3: "≤", 0xA5: "∞", 0xAB: "↔", 0xAC: "←", 0xAD: "↑",
    0xAE: "→", 0xAF: "↓", 0xB0: "°", 0xB1: "±", 0xB3: "≥", 0xB4: "×", 0xB7: "•", 0xB8: "÷", 0xB9: "≠",
    0xBA: "≡", 0xBB: "≈", 0xBC: "…", 0xD6: "√", 0xD7: "·",
}
_WINGDINGS = {0xFC: "√", 0xFB: "×", 0xFE: "☑", 0xA8: "□", 0x6F: "□"}
_FONTS = {"symbol": _SYMBOL_FONT, "wingdings": _WINGDINGS}
_OFF = {"0", "false", "off"}


def _font_char(font: str | None, code: int) -> str:
    table = _FONTS.get((font or "").lower())
    if not code:
        return ""
    if table is None:
        return chr(code) if code < 0xE000 or code > 0xF8FF else ""
    return table.get(code - 0xF000 if code >= 0xF000 else code, "")


def _char_code(text: str | None) -> int:
    """A `w:sym` character code (hex); a damaged one reads as nothing."""
    try:
        code = int(text or "0", 16)
    except ValueError:
        return 0
    return code if 0 < code <= 0x10FFFF else 0


def _run_font(rpr: etree._Element | None) -> str | None:
    fonts = rpr.find(W + "rFonts") if rpr is not None else None
    if fonts is None:
        return None
    for name in (fonts.get(W + "ascii"), fonts.get(W + "hAnsi")):
        if name and name.lower() in _FONTS:
            return name
    return None


def _hidden(rpr: etree._Element | None) -> bool:
    vanish = rpr.find(W + "vanish") if rpr is not None else None
    return vanish is not None and vanish.get(W + "val", "true").lower() not in _OFF


def _paragraph(p: etree._Element) -> tuple[str, list[etree._Element]]:
    """The paragraph's own text, and the text boxes anchored in it."""
    parts: list[str] = []
    boxes: list[etree._Element] = []

    def visit(el: etree._Element, font: str | None) -> None:
        for child in el:
            tag = child.tag
            if tag in _UNPRINTED:
                continue
            if tag == W + "r":
                rpr = child.find(W + "rPr")
                if not _hidden(rpr):
                    visit(child, _run_font(rpr))
            elif tag == W + "txbxContent":
                boxes.append(child)
            elif tag == W + "t":
                text = child.text or ""
                parts.append("".join(_font_char(font, ord(ch)) for ch in text) if font else text)
            elif tag == W + "sym":
                parts.append(_font_char(child.get(W + "font"), _char_code(child.get(W + "char"))))
            elif tag == W + "tab":
                parts.append(" ")
            elif tag in _BREAKS:
                parts.append("\n")
            elif tag == W + "noBreakHyphen":
                parts.append("-")
            else:
                visit(child, font)

    visit(p, None)
    return "".join(parts), boxes


@dataclass(slots=True)
class _Open:
    text: str
    row: int
    col: int
    colspan: int
    rowspan: int = 1


def _is_frame(tbl: etree._Element) -> bool:
    """Layout: every row is one cell, and some cell wraps a table."""
    rows = _unwrapped(tbl, {W + "tr"})
    cells = [_unwrapped(tr, {W + "tc"}) for tr in rows]
    return bool(rows) and all(len(c) == 1 for c in cells) and any(
        c[0].find(f".//{W}tbl") is not None for c in cells)


# A table nested in a cell with at least this many rows and columns is a block of the
# page (an indicator grid set inside the cell beside 绩效指标), not a note in the cell.
_BLOCK_SIZE = 3
_CHUNK_TYPES = {"text/html": extract_html, "application/xhtml+xml": extract_html}
ChunkReader = Callable[[str], list[Table]]


def _is_block(tbl: etree._Element) -> bool:
    rows = _unwrapped(tbl, {W + "tr"})
    return len(rows) >= _BLOCK_SIZE and max(len(_unwrapped(tr, {W + "tc"})) for tr in rows) >= _BLOCK_SIZE


class _Flow:
    """Body content in document order: loose paragraphs and tables.

    `in_cell`: walking a table cell, whose block tables the cell's table places itself."""

    def __init__(self, chunks: ChunkReader | None = None, in_cell: bool = False,
                 numbers: dict[object, int] | None = None) -> None:
        self.tables: list[Table] = []
        self.lines: list[str] = []
        self.chunks = chunks
        self.in_cell = in_cell
        self.numbers = numbers if numbers is not None else {}  # every w:tbl's number, in document order

    def _flush(self) -> None:
        table = text_table(self.lines)
        if table.cells:
            self.tables.append(table)
        self.lines = []

    def walk(self, parent: etree._Element) -> None:
        for child in _unwrapped(parent, {W + "p", W + "tbl", W + "txbxContent", W + "altChunk"}):
            if child.tag == W + "p":
                text, boxes = _paragraph(child)
                self.lines.append(text)
                for box in boxes:
                    self.walk(box)
            elif child.tag == W + "txbxContent":
                self.walk(child)
            elif child.tag == W + "altChunk":
                # Content imported from another part (HTML that a generator wrote), shown in place.
                self._flush()
                if self.chunks is not None:
                    self.tables.extend(self.chunks(child.get(f"{{{_R}}}id", "")))
            elif self.in_cell and _is_block(child):
                continue
            elif _is_frame(child):
                for tr in _unwrapped(child, {W + "tr"}):
                    self.walk(_unwrapped(tr, {W + "tc"})[0])
            else:
                self._flush()
                self.tables.extend(t for t in self._table(child) if t.cells)

    def finish(self) -> list[Table]:
        self._flush()
        return self.tables

    def _cell_text(self, tc: etree._Element) -> str:
        """Paragraphs on their own lines; a small table nested in the cell gives one line per row."""
        flow = _Flow(self.chunks, in_cell=True, numbers=self.numbers)
        flow.walk(tc)
        return "\n".join(" ".join(c.text for c in row) for table in flow.finish() for row in table.rows())

    def _table(self, tbl: etree._Element) -> list[Table]:
        """The table, cut after each row whose cell holds a block table, which comes next."""
        done: list[_Open] = []
        blocks: list[tuple[int, etree._Element]] = []
        above: dict[int, _Open] = {}  # the cell most recently started at each column, for vMerge
        for r, tr in enumerate(_unwrapped(tbl, {W + "tr"})):
            tr_pr = tr.find(W + "trPr")
            col = _count(tr_pr.find(W + "gridBefore") if tr_pr is not None else None, 0)
            previous: _Open | None = None
            for tc in _unwrapped(tr, {W + "tc"}):
                tc_pr = tc.find(W + "tcPr")
                span = max(1, _count(tc_pr.find(W + "gridSpan") if tc_pr is not None else None, 1))
                span = max(1, min(span, MAX_COLSPAN - col))  # Word's tables are at most 63 columns wide
                v_merge = tc_pr.find(W + "vMerge") if tc_pr is not None else None
                h_merge = tc_pr.find(W + "hMerge") if tc_pr is not None else None
                if v_merge is not None and _val(v_merge, "continue") != "restart" and col in above:
                    above[col].rowspan = r - above[col].row + 1
                elif h_merge is not None and _val(h_merge, "continue") != "restart" and previous is not None:
                    previous.colspan += span  # the legacy horizontal merge of Word 97 documents
                else:
                    previous = _Open(self._cell_text(tc), r, col, span)
                    done.append(previous)
                    for c in range(col, col + span):
                        above[c] = previous
                    blocks.extend((r, t) for t in _unwrapped(tc, {W + "tbl"}) if _is_block(t))
                col += span
        cells = [Cell(text=o.text, row=o.row, col=o.col, rowspan=o.rowspan, colspan=o.colspan) for o in done]
        # Rows are the table's w:tr and columns its layout grid's, as Word counts them.
        origin = table_origin(self.numbers, tbl)
        pieces: list[Table] = []
        start = 0
        for row, block in blocks:
            pieces.append(Table([c for c in cells if start <= c.row <= row], origin=origin))
            pieces.extend(self._table(block))
            start = row + 1
        pieces.append(Table([c for c in cells if c.row >= start], origin=origin))
        return pieces


def extract_docx(data: bytes, source_format: str = "docx", limits: Limits | None = None) -> Grid:
    check_zip(data, limits or Limits(), "Word document")
    try:
        document = docx.Document(BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise ExtractError(f"unreadable Word document: {type(exc).__name__}: {exc}") from exc
    except (AttributeError, TypeError) as exc:
        # python-docx assumes each package part's XML has the elements it should (a content-types
        # list, relationships), and fails on these when one does not.
        raise ExtractError(f"unreadable Word document: its package structure is damaged ({exc})") from exc

    def chunk(rid: str) -> list[Table]:
        part = document.part.related_parts.get(rid)
        reader = _CHUNK_TYPES.get(part.content_type) if part is not None else None
        tables = reader(part.blob).tables if reader is not None else []
        for table in tables:
            table.origin = None  # numbered in a part of its own, not among the document's tables
        return tables

    body = document.element.body
    if body is None:
        raise ExtractError("unreadable Word document: its main part has no body (w:body)")
    flow = _Flow(chunk, numbers={tbl: k for k, tbl in enumerate(body.iter(W + "tbl"), 1)})
    flow.walk(body)
    tables = flow.finish()
    mark_loose_text(tables)
    return Grid(source_format=source_format, extractor="docx", tables=tables)

"""A grid as one stream of rows in document order, so a form split over tables reads as one."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import groupby

from jixiao.grid import Cell, Grid, GridStream, Origin, locator
from jixiao.normalizers.cleaning import clean_text, is_null_text
from jixiao.normalizers.vocab import BLOCKS, L1, L2, label_key
from jixiao.records import CellRecord

_NO_BOX = (None, None, None, None)


@dataclass(frozen=True, slots=True)
class RCell:
    """A grid cell as the normaliser reads it: its text cleaned, its column and span. `source`: the grid cell
    it was read from (its page, box, confidence), and `origin` where its table was printed: what a row of
    `cells` reports."""

    col: int
    span: int
    text: str
    source: Cell
    unsure: bool = False  # read (by OCR) with less confidence than the grid trusts
    origin: Origin | None = field(default=None, compare=False)
    recognised: bool = False  # read from an image (OCR), so that its text may be misread at any confidence

    @property
    def confidence(self) -> float:
        return self.source.confidence

    @property
    def page(self) -> int | None:
        return self.source.page

    def record(self, column: str, seq: int | None = None) -> CellRecord:
        """A row of `cells`: this cell fed `column` (of indicator `seq`, or of the project)."""
        cell = self.source
        x0, top, x1, bottom = cell.bbox if cell.bbox is not None else _NO_BOX
        return CellRecord(seq, column, cell.text, cell.page, x0, top, x1, bottom, cell.confidence,
                          locator(self.origin, cell))

    @property
    def empty(self) -> bool:
        return is_null_text(self.text)

    @property
    def blank(self) -> bool:
        """Nothing printed at all (a dash is printed, and placed)."""
        return self.text == ""


@dataclass(frozen=True, slots=True)
class Row:
    index: int
    cells: tuple[RCell, ...]
    loose: bool = False  # a line printed outside any table
    # Which table of the grid it belongs to: column numbers compare only within one table.
    table: int = 0

    def printed(self) -> list[RCell]:
        return [c for c in self.cells if not c.blank]

    @property
    def pages(self) -> list[int]:
        return [c.page for c in self.cells if c.page is not None]

    @property
    def page(self) -> int | None:
        return min(self.pages, default=None)


def row_stream(grid: Grid | GridStream) -> list[Row]:
    return list(iter_rows(grid))


def iter_rows(grid: Grid | GridStream) -> Iterator[Row]:
    """The grid's printed rows in document order, numbered, read as they are needed."""
    printed = (row for row in _join_cut_labels(_rows(grid)) if any(not rc.blank for rc in row.cells))
    return (replace(row, index=k) for k, row in enumerate(printed))


def _rows(grid: Grid | GridStream) -> Iterator[Row]:
    recognised = "ocr" in grid.extractor.split("+")  # a scan, or a text PDF with pages read by OCR
    for number, table in enumerate(grid.tables):
        for cells in table.rows():
            # Positional: a file has thousands of cells.
            rcells = tuple(RCell(c.col, max(1, c.colspan), clean_text(c.text), c, c.confidence < grid.min_confidence,
                                 table.origin, recognised) for c in cells)
            yield Row(index=0, cells=rcells, loose=table.loose, table=number)


def _join_cut_labels(rows: Iterable[Row]) -> Iterator[Row]:
    """`_join_labels_cut_by_page_breaks` over a stream: a join changes only the rows printed on the
    two pages either side of a break, so only one run of rows on one page is held at a time
    (none for rows without a page: text exports and sheets)."""
    held: list[Row] = []
    for page, run in groupby(rows, key=lambda row: row.page):
        if page is None:
            yield from held
            held = []
            yield from run
            continue
        both = held + list(run)
        _join_labels_cut_by_page_breaks(both)
        yield from both[:len(held)]
        held = both[len(held):]
    yield from held


# How far into a page the rest of a cut label is looked for: past a repeated header
# row or a running header line.
_CUT_LABEL_ROWS = 3


def _join_labels_cut_by_page_breaks(rows: list[Row]) -> None:
    """A merged label cell that a page break cut in two prints the rest of its text at
    the top of the next page ("项目资金（万" | "元）", "项目资金" | "（万元）", "服务对象" |
    "满意度指标"). Where only the joined text is a label, the text above gets the whole
    label and the rest is removed from the next page. Only cells of table rows join:
    a title or year line at the top of a page is no part of a label."""
    for k in range(1, len(rows)):
        page, before = rows[k].page, rows[k - 1].page
        if page is None or before is None or page <= before:
            continue
        top = [i for i in range(k, min(k + _CUT_LABEL_ROWS, len(rows))) if rows[i].page == page]
        for col in sorted({c.col for i in top for c in rows[i].printed()}):
            head = _last_printed_above(rows, k, col, before)
            if head is None:
                continue
            for i in top:
                tail = next((c for c in rows[i].printed() if c.col == col), None)
                if tail is None or not _table_row(rows[i]):
                    continue
                joined = _joined_label(rows[head[0]].cells[head[1]].text, tail.text)
                if joined is not None:
                    _set_text(rows, head[0], head[1], joined)
                    _set_text(rows, i, rows[i].cells.index(tail), "")
                    break


def _last_printed_above(rows: list[Row], k: int, col: int, page: int) -> tuple[int, int] | None:
    for i in range(k - 1, -1, -1):
        if rows[i].page != page:
            return None
        if not _table_row(rows[i]):
            continue
        for j, cell in enumerate(rows[i].cells):
            if cell.col == col and not cell.blank:
                return i, j
    return None


def _table_row(row: Row) -> bool:
    """A row of a table, not a line of text (a title, a year line, a running header)."""
    return len(row.cells) > 1


def _joined_label(head: str, tail: str) -> str | None:
    if not label_key(head):
        return None
    joined = clean_text(f"{head}\n{tail}")
    for vocabulary in (BLOCKS, L1, L2):
        if vocabulary.exact(joined) is not None and (
                vocabulary.exact(head) is None or vocabulary.exact(tail) is None):
            return joined
    return None


def _set_text(rows: list[Row], i: int, j: int, text: str) -> None:
    cells = list(rows[i].cells)
    cells[j] = replace(cells[j], text=text)
    rows[i] = replace(rows[i], cells=tuple(cells))

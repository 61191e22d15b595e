"""Pages in document order: tables and the text between them, and tables that run over a page break.

A table that ends one page and starts the next with the same outer edges is one
table printed in parts. Its parts share column indices (the union of their
column edges), the header rows an exporter repeats at the top of a part are
dropped, and a row that the page break split (the next part opens with the
tails of some of its cells) is joined back into one row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from jixiao.extractors.pdf.lattice import PageTable, PdfCell, cluster_edges, edge_index
from jixiao.extractors.pdf.lines import TextLine
from jixiao.grid import Cell, Table

# Outer edges of two parts of one table agree within this many points.
_SAME_EDGE = 3.0
# A cell is filled to its bottom when the space below its last line is within this share
# of a line of the table's tightest cell.
_FILLED = 0.6
# Page furniture lives in the top or bottom band of this share of the page height.
_MARGIN_BAND = 0.12
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—\s]*\d{1,4}[-–—\s]*"
    r"|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"
    r"|共\s*\d+\s*页\s*[,，]?\s*第\s*\d+\s*页"
    r"|\d+\s*/\s*\d+"
    r"|page\s*\d+(?:\s*(?:of|/)\s*\d+)?)$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class PageLayout:
    """One page read from its text layer: ruled tables and the lines outside them."""

    number: int
    height: float
    tables: list[PageTable] = field(default_factory=list)
    lines: list[TextLine] = field(default_factory=list)


Block = PageTable | list[TextLine]


def assemble(pages: list[PageLayout]) -> list[Table]:
    """Every page's blocks as grid tables, in document order."""
    blocks: list[tuple[int, Block]] = []
    for page in pages:
        blocks.extend((page.number, block) for block in _page_blocks(page))
    chains = _chains(blocks)
    tables: list[Table] = []
    for page_number, block in blocks:
        if isinstance(block, PageTable):
            table = _table_cells(block, chains[id(block)])
        else:
            table = _text_table(block, page_number)
        if table.cells:
            tables.append(table)
    return tables


def _page_blocks(page: PageLayout) -> list[Block]:
    """Tables and runs of loose lines, top to bottom, page numbers left out."""
    lines = _without_page_numbers(page)
    items: list[tuple[float, Block | TextLine]] = [(t.bbox[1], t) for t in page.tables]
    items.extend((line.top, line) for line in lines)
    items.sort(key=lambda item: item[0])
    blocks: list[Block] = []
    for _, item in items:
        if isinstance(item, TextLine):
            if blocks and isinstance(blocks[-1], list):
                blocks[-1].append(item)
            else:
                blocks.append([item])
        else:
            blocks.append(item)
    return blocks


def _without_page_numbers(page: PageLayout) -> list[TextLine]:
    """The page's loose lines less a page number printed first or last on the page."""
    lines = sorted(page.lines, key=lambda line: line.top)
    content_top = min((t.bbox[1] for t in page.tables), default=page.height)
    content_bottom = max((t.bbox[3] for t in page.tables), default=0.0)
    band = _MARGIN_BAND * page.height
    kept = []
    for k, line in enumerate(lines):
        first = k == 0 and line.bottom <= content_top and line.bottom <= band
        last = k == len(lines) - 1 and line.top >= content_bottom and line.top >= page.height - band
        if (first or last) and _PAGE_NUMBER.match(line.text):
            continue
        kept.append(line)
    return kept


@dataclass(slots=True)
class _Chain:
    """Parts of one table over consecutive pages, and the column edges they share."""

    parts: list[PageTable]
    xs: list[float] = field(default_factory=list)


def _chains(blocks: list[tuple[int, Block]]) -> dict[int, _Chain]:
    by_table: dict[int, _Chain] = {}
    previous: tuple[int, Block] | None = None
    for page_number, block in blocks:
        if isinstance(block, PageTable):
            if previous is not None and isinstance(previous[1], PageTable) and _continues(previous[1], block):
                chain = by_table[id(previous[1])]
                chain.parts.append(block)
            else:
                chain = _Chain([block])
            by_table[id(block)] = chain
        previous = (page_number, block)
    for chain in {id(c): c for c in by_table.values()}.values():
        chain.xs = cluster_edges([x for part in chain.parts for x in part.xs])
        for earlier, later in zip(chain.parts, chain.parts[1:]):
            _drop_repeated_header(chain.parts[0], later, chain.xs)
            _join_split_row(earlier, later, chain.xs)
    return by_table


def _continues(before: PageTable, after: PageTable) -> bool:
    """`after` opens the next page with the outer edges of `before`, which ended its page."""
    return (
        after.page == before.page + 1
        and abs(after.bbox[0] - before.bbox[0]) <= _SAME_EDGE
        and abs(after.bbox[2] - before.bbox[2]) <= _SAME_EDGE
    )


def _row_key(cells: list[PdfCell], xs: list[float]) -> tuple[tuple[int, int, str], ...]:
    return tuple(sorted((_col(c, xs), _colspan(c, xs), c.text) for c in cells))


def _starting(table: PageTable, row: int) -> list[PdfCell]:
    return [c for c in table.cells if c.row == row]


def _drop_repeated_header(head: PageTable, part: PageTable, xs: list[float]) -> None:
    """Rows at the top of a later part that repeat the table's first rows cell for cell."""
    repeated = 0
    while repeated < min(head.row_count, part.row_count - 1):
        top = _starting(part, repeated)
        if not any(c.text for c in top) or _row_key(top, xs) != _row_key(_starting(head, repeated), xs):
            break
        repeated += 1
    if repeated:
        part.cells = [c for c in part.cells if c.row >= repeated]


def _join_split_row(before: PageTable, after: PageTable, xs: list[float]) -> None:
    """The page break split the last row of `before`: `after` opens with the tails of
    some of its cells and leaves empty a column that the row itself printed. A tail's
    head is filled to its bottom edge: the text went on."""
    if not after.cells:
        return
    first = min(c.row for c in after.cells)
    tails = [c for c in _starting(after, first) if c.text]
    ending = [c for c in before.cells if c.row + c.rowspan == before.row_count and c.text]
    heads = {_col(c, xs): c for c in ending}
    own_columns = {_col(c, xs) for c in ending if c.rowspan == 1}
    tail_columns = {_col(c, xs) for c in tails}
    if not tails or not tail_columns < own_columns | tail_columns or not tail_columns <= heads.keys():
        return
    padding = min(_gap_below(c) for c in before.cells if c.lines)
    if any(_gap_below(heads[col]) > padding + _FILLED * _line_height(heads[col]) for col in tail_columns):
        return
    for tail in tails:
        heads[_col(tail, xs)].lines.extend(tail.lines)
        tail.lines = []
    kept = []
    for cell in after.cells:
        if cell.row == first:
            if cell.rowspan == 1:
                continue
            cell.row, cell.rowspan = cell.row + 1, cell.rowspan - 1
        kept.append(cell)
    after.cells = kept


def _gap_below(cell: PdfCell) -> float:
    return cell.bbox[3] - cell.lines[-1].bottom


def _line_height(cell: PdfCell) -> float:
    return cell.lines[-1].bottom - cell.lines[-1].top


def _col(cell: PdfCell, xs: list[float]) -> int:
    return edge_index(xs, cell.bbox[0])


def _colspan(cell: PdfCell, xs: list[float]) -> int:
    return max(1, edge_index(xs, cell.bbox[2]) - _col(cell, xs))


def _table_cells(part: PageTable, chain: _Chain) -> Table:
    return Table(cells=[
        Cell(text=cell.text, row=cell.row, col=_col(cell, chain.xs), rowspan=cell.rowspan,
             colspan=_colspan(cell, chain.xs), page=part.page, bbox=_rounded(cell.bbox))
        for cell in part.cells
    ])


def _text_table(lines: list[TextLine], page_number: int) -> Table:
    """Loose text: one cell per line, in reading order."""
    return Table(cells=[
        Cell(text=line.text, row=k, col=0, page=page_number,
             bbox=_rounded((line.x0, line.top, line.x1, line.bottom)))
        for k, line in enumerate(lines)
    ])


def _rounded(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    return (round(bbox[0], 2), round(bbox[1], 2), round(bbox[2], 2), round(bbox[3], 2))

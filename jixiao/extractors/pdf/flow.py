"""Pages in document order: tables and the text between them, and tables that run over a page break.

A table that fills a page to its foot and goes on at the top of the next page with
the same outer edges is one table printed in parts. Its parts share column indices
(the union of their column edges), the header rows an exporter repeats at the top
of a part are dropped, and a row that the page break split (the next part opens
with the tails of some of its cells) is joined back into one row. A line that
every page prints at the same place and that stands between two parts is a
running header or footer, and is left out everywhere; a line between two parts
that is not drawn at all (clipped by the page break) is given to the cell it
was drawn for.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jixiao.extractors.pdf.chars import UNMAPPED_CHAR
from jixiao.extractors.pdf.furniture import repeated_lines, without_page_numbers
from jixiao.extractors.pdf.lattice import PageTable, PdfCell, cluster_edges, edge_index
from jixiao.extractors.pdf.lines import TextLine, is_wide
from jixiao.extractors.pdf.page import PageLayout
from jixiao.extractors.pdf.wrap import wrapped
from jixiao.grid import Cell, Table

# A cell's confidence when its text layer misses some of its glyphs: below any usual threshold.
_UNSURE = 0.5
# A right-hand part printed on a later page has at least this many rows.
_MIN_SIDE_ROWS = 3
# Outer edges of two parts of one table agree within this many points.
_SAME_EDGE = 3.0
# A cell is filled to its bottom when the space below its last line is within this share
# of a line of the table's tightest cell.
_FILLED = 0.6
# A table fills its page when the next rows would not have fitted below it; rows at
# the top of the next part that may be repeated headers, and slack for spacing (points).
_OPENING_ROWS = 3
_FOOT_SLACK = 12.0

Block = PageTable | list[TextLine]


def assemble(pages: list[PageLayout], visible: Callable[[int, TextLine], bool]) -> list[Table]:
    """Every page's blocks as grid tables, in document order. `visible(page, line)` tells
    whether a line of the text layer is drawn at all."""
    _join_side_parts(pages)
    blocks: list[tuple[int, Block]] = []
    for page in pages:
        blocks.extend((page.number, block) for block in _page_blocks(page))
    repeated = repeated_lines(pages)
    chains, crossed, hidden = _chains(blocks, repeated, _page_feet(pages), visible)
    left_out = hidden | {line_id for line_id, key in repeated.items() if key in crossed}
    tables: list[Table] = []
    for page_number, block in blocks:
        if isinstance(block, PageTable):
            table = _table_cells(block, chains[id(block)])
        else:
            table = _text_table([line for line in block if id(line) not in left_out], page_number)
        if table.cells:
            tables.append(table)
    return tables


def _join_side_parts(pages: list[PageLayout]) -> None:
    """A spreadsheet printed without fitting its width prints the columns that did not fit
    on a later page, beside the same rows. A table there with the row edges of an earlier
    table is that table's right-hand part, unless its first column repeats the earlier
    table's (the next form of one template can have the same rows)."""
    open_tables: list[PageTable] = []
    for page in pages:
        for table in list(page.tables):
            left = next((t for t in open_tables if t.page < table.page and _same_rows(t, table)
                         and not _same_first_column(t, table)), None)
            if left is None:
                open_tables.append(table)
                continue
            shift = left.bbox[2] - table.bbox[0]
            for cell in table.cells:
                cell.page, cell.shift = table.page, shift
            left.cells.extend(table.cells)
            left.xs = left.xs + [x + shift for x in table.xs[1:]]
            left.bbox = (left.bbox[0], left.bbox[1], table.bbox[2] + shift, left.bbox[3])
            page.tables.remove(table)


def _same_rows(left: PageTable, right: PageTable) -> bool:
    return len(left.ys) == len(right.ys) > _MIN_SIDE_ROWS and all(
        abs(a - b) <= _SAME_EDGE for a, b in zip(left.ys, right.ys, strict=True))


def _same_first_column(left: PageTable, right: PageTable) -> bool:
    def first(table: PageTable) -> dict[int, str]:
        return {c.row: c.text for c in table.cells if c.col == 0 and c.text}

    a, b = first(left), first(right)
    return sum(1 for row, text in b.items() if a.get(row) == text) * 2 >= max(len(b), 1)


def _page_blocks(page: PageLayout) -> list[Block]:
    """Tables and runs of loose lines, top to bottom, page numbers left out."""
    items: list[tuple[float, PageTable | TextLine]] = [(t.bbox[1], t) for t in page.tables]
    items.extend((line.top, line) for line in without_page_numbers(page))
    items.sort(key=lambda item: item[0])
    blocks: list[Block] = []
    for _, item in items:
        if isinstance(item, PageTable):
            blocks.append(item)
        elif blocks and isinstance(blocks[-1], list):
            blocks[-1].append(item)
        else:
            blocks.append([item])
    return blocks


def _page_feet(pages: list[PageLayout]) -> dict[int, float]:
    """Per page, the lowest any table reaches on a page of its size: the foot of the text area."""
    feet: dict[int, float] = {}
    for page in pages:
        same_size = [p for p in pages if abs(p.height - page.height) <= _SAME_EDGE]
        feet[page.number] = max((t.bbox[3] for p in same_size for t in p.tables), default=page.height)
    return feet


@dataclass(slots=True)
class _Chain:
    """Parts of one table over consecutive pages, and the column edges they share."""

    parts: list[PageTable]
    xs: list[float] = field(default_factory=list)


def _chains(blocks: list[tuple[int, Block]], repeated: dict[int, str], feet: dict[int, float],
            visible: Callable[[int, TextLine], bool]) -> tuple[dict[int, _Chain], set[str], set[int]]:
    """Tables that continue one another; the repeated lines and the unseen lines found
    between two parts.

    Between two parts of one table there may be page furniture and text nobody sees.
    Lines that every page prints at the same place count as furniture only when the
    later part shows that it goes on with the table: it repeats its header rows, opens
    with the rest of a split row, or opens inside a merged cell. The title at the top
    of every page of a one-form-per-page file is printed at the same place too."""
    by_table: dict[int, _Chain] = {}
    crossed: set[str] = set()
    hidden: set[int] = set()
    unseen_at: dict[int, list[tuple[int, TextLine]]] = {}
    previous: int | None = None
    for index, (_, block) in enumerate(blocks):
        if not isinstance(block, PageTable):
            continue
        chain: _Chain | None = None
        if previous is not None:
            before = blocks[previous][1]
            assert isinstance(before, PageTable)
            between = [(number, line) for number, lines in blocks[previous + 1:index]
                       if isinstance(lines, list) for line in lines]
            if _continues(before, block, feet[before.page]):
                furniture = [line for _, line in between if id(line) in repeated]
                unseen = [line for number, line in between if id(line) not in repeated and not visible(number, line)]
                candidate = by_table[id(before)]
                if len(furniture) + len(unseen) == len(between) and (not furniture or _goes_on(candidate, block)):
                    chain = candidate
                    crossed.update(repeated[id(line)] for line in furniture)
                    hidden.update(id(line) for line in unseen)
                    unseen_at[id(block)] = [(n, line) for n, line in between if id(line) in hidden]
        if chain is None:
            chain = _Chain([block], block.xs)
        else:
            chain.parts.append(block)
            chain.xs = cluster_edges(chain.xs + block.xs)
        by_table[id(block)] = chain
        previous = index
    for chain in {id(c): c for c in by_table.values()}.values():
        for earlier, later in zip(chain.parts, chain.parts[1:], strict=False):
            skip = _repeated_rows(chain.parts[0], later, chain.xs)
            later.cells = [c for c in later.cells if c.row >= skip]
            pairs = _split_tails(earlier, later, chain.xs)
            if pairs:
                _join_split_row(later, pairs)
            _place_unseen_labels(earlier, later, unseen_at.get(id(later), []))
    return by_table, crossed, hidden


def _continues(before: PageTable, after: PageTable, foot: float) -> bool:
    """`after` opens the next page with the outer edges of `before`, which filled its page."""
    opening = max(after.ys[k + 1] - after.ys[k] for k in range(min(_OPENING_ROWS, after.row_count)))
    return (
        after.page == before.page + 1
        and abs(after.bbox[0] - before.bbox[0]) <= _SAME_EDGE
        and abs(after.bbox[2] - before.bbox[2]) <= _SAME_EDGE
        and before.bbox[3] + opening + _FOOT_SLACK >= foot
    )


def _goes_on(chain: _Chain, part: PageTable) -> bool:
    xs = cluster_edges(chain.xs + part.xs)
    skip = _repeated_rows(chain.parts[0], part, xs)
    if skip:
        return True
    opening = _starting(part, 0)
    if opening and not min(opening, key=lambda c: c.bbox[0]).text:
        return True
    return bool(_split_tails(chain.parts[-1], part, xs))


def _row_key(cells: list[PdfCell], xs: list[float]) -> tuple[tuple[int, int, str], ...]:
    return tuple(sorted((_col(c, xs), _colspan(c, xs), c.text) for c in cells))


def _starting(table: PageTable, row: int) -> list[PdfCell]:
    return [c for c in table.cells if c.row == row]


def _repeated_rows(head: PageTable, part: PageTable, xs: list[float]) -> int:
    """How many rows at the top of a later part repeat the table's first rows cell for cell."""
    repeated = 0
    while repeated < min(head.row_count, part.row_count - 1):
        top = _starting(part, repeated)
        if not any(c.text for c in top) or _row_key(top, xs) != _row_key(_starting(head, repeated), xs):
            break
        repeated += 1
    return repeated


def _split_tails(before: PageTable, after: PageTable, xs: list[float]) -> list[tuple[PdfCell, PdfCell]]:
    """The page break split the last row of `before` when `after` opens with the tails
    of the cells that did not fit, and nothing else: each tail's head is filled to
    its bottom edge, and the tail's first word would not have fitted beside its last
    line. The (head, tail) pairs, or none."""
    if not after.cells:
        return []
    first = min(c.row for c in after.cells)
    tails = [c for c in _starting(after, first) if c.text]
    heads = {_col(c, xs): c for c in before.cells if c.row + c.rowspan == before.row_count and c.text}
    pairs = [(heads.get(_col(tail, xs)), tail) for tail in tails]
    if not pairs or any(head is None for head, _ in pairs):
        return []
    padding = min(c.bbox[3] - c.lines[-1].bottom for c in before.cells if c.lines)
    found = [(head, tail) for head, tail in pairs if head is not None and _overflows(head, tail, padding)]
    return found if len(found) == len(pairs) else []


def _join_split_row(after: PageTable, pairs: list[tuple[PdfCell, PdfCell]]) -> None:
    """Each tail's text goes to its head; the row the tails opened `after` with is gone."""
    for head, tail in pairs:
        head.lines.extend(tail.lines)
    first = min(c.row for c in after.cells)
    kept = []
    for cell in after.cells:
        if cell.row == first:
            if cell.rowspan == 1:
                continue
            cell.row, cell.rowspan, cell.lines = cell.row + 1, cell.rowspan - 1, []
        kept.append(cell)
    after.cells = kept


def _place_unseen_labels(before: PageTable, after: PageTable, unseen: list[tuple[int, TextLine]]) -> None:
    """Spreadsheets draw a merged cell's text at the middle of its whole range, on every
    page the range covers, clipped where the page ends: what is cut off lies outside
    the table, unseen. Such a line is the text of the empty cell that the page break
    cut, in the column it stands in."""
    ending = [c for c in before.cells if c.row + c.rowspan == before.row_count]
    first = min((c.row for c in after.cells), default=0)
    starting = [c for c in after.cells if c.row == first]
    empty = {id(c) for c in ending + starting if not c.lines}
    for number, line in unseen:
        middle = (line.x0 + line.x1) / 2
        cells = ending if number == before.page else starting
        cell = next((c for c in cells if id(c) in empty and c.bbox[0] <= middle <= c.bbox[2]), None)
        if cell is not None:
            cell.lines.append(line)


def _overflows(head: PdfCell, tail: PdfCell, padding: float) -> bool:
    last = head.lines[-1]
    filled = head.bbox[3] - last.bottom <= padding + _FILLED * (last.bottom - last.top)
    return filled and wrapped(last, tail.lines[0].text, head.inner_width)


def _col(cell: PdfCell, xs: list[float]) -> int:
    return edge_index(xs, cell.bbox[0] + cell.shift)


def _colspan(cell: PdfCell, xs: list[float]) -> int:
    return max(1, edge_index(xs, cell.bbox[2] + cell.shift) - _col(cell, xs))


def _table_cells(part: PageTable, chain: _Chain) -> Table:
    return Table(cells=[
        Cell(text=(text := cell.text), row=cell.row, col=_col(cell, chain.xs), rowspan=cell.rowspan,
             colspan=_colspan(cell, chain.xs), page=cell.page or part.page, bbox=_rounded(cell.bbox),
             confidence=_confidence(text))
        for cell in part.cells
    ])


def _confidence(text: str) -> float:
    """1.0 for text the layer maps whole. Glyphs it cannot map (U+FFFD), or a Latin-1
    symbol standing alone among Chinese characters (what a font with a partial Unicode
    map gives for the glyphs it misses: 标 as "±", 率 as "¡"), make the text wrong however
    long it is: at most 0.5, lower the more is missing."""
    printed = sum(1 for ch in text if not ch.isspace())
    missing = sum(1 for k, ch in enumerate(text) if ch == UNMAPPED_CHAR or _stray_latin1(text, k))
    return min(_UNSURE, 1.0 - missing / printed) if missing else 1.0


def _stray_latin1(text: str, k: int) -> bool:
    if not "\u00a1" <= text[k] <= "\u00ff" or text[k] in _CJK_LATIN1:
        return False
    sides = [text[k - 1] if k > 0 else "", text[k + 1] if k + 1 < len(text) else ""]
    wide = [bool(ch) and is_wide(ch) for ch in sides]
    return any(wide) and all(w or not ch.strip() for ch, w in zip(sides, wide, strict=True))


# Latin-1 characters that Chinese text itself uses between characters: the middle dot ("元/生·月").
_CJK_LATIN1 = frozenset("·")


def _text_table(lines: list[TextLine], page_number: int) -> Table:
    """Loose text: one cell per line, in reading order."""
    return Table(loose=True, cells=[
        Cell(text=line.text, row=k, col=0, page=page_number,
             bbox=_rounded((line.x0, line.top, line.x1, line.bottom)), confidence=_confidence(line.text))
        for k, line in enumerate(lines)
    ])


def _rounded(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    return (round(bbox[0], 2), round(bbox[1], 2), round(bbox[2], 2), round(bbox[3], 2))

"""A worksheet as a Table, the same for .xlsx and .xls: merged ranges become spans, hidden rows and columns are
skipped; cells keep the sheet's own row and column numbers, so a locator counts the hidden ones.

`Sheet` holds a whole sheet; `SheetRows` gives the same cells row by row from a
sheet read as a stream, knowing its merged ranges and hidden rows beforehand.
"""
from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from jixiao.grid import SHEET, Cell, Origin, Table

# Excel's widest sheet: a hidden column range declared wider is damaged, not enormous.
MAX_COLUMNS = 16384

# (first_row, first_col, last_row, last_col), 0-based and inclusive.
Range = tuple[int, int, int, int]


@dataclass(slots=True)
class Sheet:
    """What a reader found on one sheet: displayed texts by (row, col), 0-based."""

    texts: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[Range] = field(default_factory=list)
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)

    def table(self, name: str) -> Table:
        """The sheet named `name` as a table."""
        cells: list[Cell] = []
        covered: set[tuple[int, int]] = set()
        for r0, c0, r1, c1 in self.merged:
            # Walked by the cells and hidden lines the sheet holds, never by the range's area,
            # which a damaged or hostile file can make enormous.
            if (r1 - r0 + 1) * (c1 - c0 + 1) <= len(self.texts):
                covered.update(p for p in _area(r0, c0, r1, c1) if p in self.texts)
            else:
                covered.update((r, c) for r, c in self.texts if r0 <= r <= r1 and c0 <= c <= c1)
            shown = visible_part((r0, c0, r1, c1), self.hidden_rows, self.hidden_cols)
            if shown is not None:
                # A merged range shows its top-left value across its visible part.
                cells.append(Cell(self.texts.get((r0, c0), ""), *shown, source=(r0, c0)))
        for (r, c), text in self.texts.items():
            if (r, c) in covered or r in self.hidden_rows or c in self.hidden_cols or not text:
                continue
            cells.append(Cell(text=text, row=r, col=c))
        cells.sort(key=lambda cell: (cell.row, cell.col))
        return Table(cells, origin=Origin(SHEET, name=name))


def _area(r0: int, c0: int, r1: int, c1: int) -> list[tuple[int, int]]:
    return [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]


def _first_shown(start: int, end: int, hidden: set[int], step: int) -> int | None:
    """The first line from `start` towards `end` (inclusive) that is not hidden."""
    line = start
    while line in hidden:
        line += step
    return line if (line - end) * step <= 0 else None


def visible_part(merged: Range, hidden_rows: set[int], hidden_cols: set[int]) -> tuple[int, int, int, int] | None:
    """Where a merged range shows: (row, col, rowspan, colspan) of its visible part, None if all hidden."""
    r0, c0, r1, c1 = merged
    first_row, last_row = _first_shown(r0, r1, hidden_rows, 1), _first_shown(r1, r0, hidden_rows, -1)
    first_col, last_col = _first_shown(c0, c1, hidden_cols, 1), _first_shown(c1, c0, hidden_cols, -1)
    if first_row is None or first_col is None or last_row is None or last_col is None:
        return None
    return first_row, first_col, last_row - first_row + 1, last_col - first_col + 1


class SheetRows:
    """`Sheet.table()` row by row: the rows of a sheet are given one at a time, in order, each as the
    (column, text) pairs read from it; the merged ranges and hidden lines are known beforehand.
    Holds the merged ranges (a few numbers each), the text of the top-left cells of those begun
    and not yet shown, and one row."""

    def __init__(self, merged: Iterable[Range], hidden_rows: set[int], hidden_cols: set[int]) -> None:
        self.hidden_rows, self.hidden_cols = hidden_rows, hidden_cols
        # Each range's (r0, c0, r1, c1), and where it shows: (row, col, rowspan, colspan), row -1 if hidden.
        self._ranges, self._shown = array("i"), array("i")
        for rng in merged:
            self._ranges.extend(rng)
            self._shown.extend(visible_part(rng, hidden_rows, hidden_cols) or (-1, 0, 0, 0))
        count = len(self._ranges) // 4
        # The ranges by the row they show in (in their order where they show in the same row), and by first row.
        self._by_shown = array("i", sorted((k for k in range(count) if self._shown[4 * k] >= 0),
                                           key=lambda k: self._shown[4 * k]))
        self._by_start = array("i", sorted(range(count), key=lambda k: self._ranges[4 * k]))
        self._next_shown = self._next_start = 0
        self._tops: dict[int, str] = {}  # by range: the text of its top-left cell, until it shows
        self._active: list[int] = []  # ranges covering the current row: a cell inside one is not shown alone
        self._spans: tuple[list[int], list[int]] = ([], [])  # covered columns: starts, and the furthest end so far

    def row(self, r: int, texts: dict[int, str]) -> Iterator[list[Cell]]:
        """Row r's cells, after those of the rows before it that show only merged ranges; rows come
        in order. `texts`: the displayed text of each column read."""
        yield from self._merged_only(before=r)
        for k in self._cover(r):
            if self._ranges[4 * k] == r and self._shown[4 * k] >= 0:
                self._tops[k] = texts.get(self._ranges[4 * k + 1], "")
        cells = self._anchors(r)
        if r not in self.hidden_rows:
            cells += [Cell(text=text, row=r, col=c) for c, text in texts.items()
                      if text and c not in self.hidden_cols and not self._covered(c)]
        if cells:
            cells.sort(key=lambda cell: cell.col)
            yield cells

    def end(self) -> Iterator[list[Cell]]:
        """The rows after the last one read that show merged ranges."""
        yield from self._merged_only(before=None)

    def _merged_only(self, before: int | None) -> Iterator[list[Cell]]:
        while self._next_shown < len(self._by_shown):
            r = self._shown[4 * self._by_shown[self._next_shown]]
            if before is not None and r >= before:
                return
            yield sorted(self._anchors(r), key=lambda cell: cell.col)

    def _anchors(self, r: int) -> list[Cell]:
        """The ranges that show in row r (a merged range shows its top-left value across its visible part)."""
        cells = []
        while self._next_shown < len(self._by_shown) and self._shown[4 * self._by_shown[self._next_shown]] == r:
            k = self._by_shown[self._next_shown]
            self._next_shown += 1
            row, col, rowspan, colspan = self._shown[4 * k: 4 * k + 4]
            cells.append(Cell(self._tops.pop(k, ""), row, col, rowspan, colspan,
                              source=(self._ranges[4 * k], self._ranges[4 * k + 1])))
        return cells

    def _cover(self, r: int) -> list[int]:
        """Bring the ranges covering row r in; returns those that begin by it and were not in yet."""
        begun = []
        while self._next_start < len(self._by_start) and self._ranges[4 * self._by_start[self._next_start]] <= r:
            begun.append(self._by_start[self._next_start])
            self._next_start += 1
        ended = any(self._ranges[4 * k + 2] < r for k in self._active)
        if ended:
            self._active = [k for k in self._active if self._ranges[4 * k + 2] >= r]
        if begun or ended:
            self._active += [k for k in begun if self._ranges[4 * k + 2] >= r]
            spans = sorted((self._ranges[4 * k + 1], self._ranges[4 * k + 3]) for k in self._active)
            furthest, ends = -1, []
            for _, end in spans:
                furthest = max(furthest, end)
                ends.append(furthest)
            self._spans = ([start for start, _ in spans], ends)
        return begun

    def _covered(self, c: int) -> bool:
        starts, ends = self._spans
        k = bisect_right(starts, c) - 1
        return k >= 0 and ends[k] >= c

"""A worksheet as a Table, the same for .xlsx and .xls: merged ranges become spans, hidden rows and columns are skipped.

`Sheet` holds a whole sheet; `SheetRows` gives the same cells row by row from a
sheet read as a stream, knowing its merged ranges and hidden rows beforehand.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from jixiao.grid import Cell, Table

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

    def table(self) -> Table:
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
                cells.append(Cell(self.texts.get((r0, c0), ""), *shown))
        for (r, c), text in self.texts.items():
            if (r, c) in covered or r in self.hidden_rows or c in self.hidden_cols or not text:
                continue
            cells.append(Cell(text=text, row=r, col=c))
        cells.sort(key=lambda cell: (cell.row, cell.col))
        return Table(cells)


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
    Holds the merged ranges, the text of their top-left cells until shown, and one row."""

    def __init__(self, merged: Sequence[Range], hidden_rows: set[int], hidden_cols: set[int],
                 covered_tops_empty: bool = False) -> None:
        """`covered_tops_empty`: the reader of the whole sheet (openpyxl) empties every cell a merged
        range covers, so a top-left cell that another range also covers shows no text."""
        self.hidden_rows, self.hidden_cols = hidden_rows, hidden_cols
        self.covered_tops_empty = covered_tops_empty
        # Merged ranges by the row they show in, in their order: (top-left, row, col, rowspan, colspan);
        # and the top-left cells whose text they show, with how many ranges still will.
        shown_in: defaultdict[int, list[tuple[tuple[int, int], int, int, int, int]]] = defaultdict(list)
        wanted: defaultdict[tuple[int, int], int] = defaultdict(int)
        for rng in merged:
            shown = visible_part(rng, hidden_rows, hidden_cols)
            if shown is not None:
                shown_in[shown[0]].append(((rng[0], rng[1]), *shown))
                wanted[(rng[0], rng[1])] += 1
        self._shown, self._wanted = dict(shown_in), dict(wanted)
        self._shown_rows = sorted(self._shown)
        self._next_shown = 0
        self._tops: dict[tuple[int, int], str] = {}
        # Ranges by first row, and those covering the current row: a cell inside any range is not shown alone.
        self._starts = sorted(merged)
        self._next_start = 0
        self._active: list[Range] = []
        self._spans: tuple[list[int], list[int]] = ([], [])  # covered columns: starts, and the furthest end so far

    def row(self, r: int, texts: dict[int, str]) -> Iterator[list[Cell]]:
        """Row r's cells, after those of the rows before it that show only merged ranges; rows come
        in order. `texts`: the displayed text of each column read, empty ones included."""
        yield from self._merged_only(before=r)
        self._cover(r)
        for c, text in texts.items():
            if (r, c) in self._wanted:
                self._tops[(r, c)] = "" if self.covered_tops_empty and any(
                    rng[1] <= c <= rng[3] and (rng[0], rng[1]) != (r, c) for rng in self._active) else text
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
        while self._next_shown < len(self._shown_rows) and (before is None or
                                                            self._shown_rows[self._next_shown] < before):
            r = self._shown_rows[self._next_shown]
            self._next_shown += 1
            if r in self._shown:
                yield sorted(self._anchors(r), key=lambda cell: cell.col)

    def _anchors(self, r: int) -> list[Cell]:
        cells = []
        for top, row, col, rowspan, colspan in self._shown.pop(r, ()):
            cells.append(Cell(self._tops.get(top, ""), row, col, rowspan, colspan))
            self._wanted[top] -= 1
            if not self._wanted[top]:
                del self._wanted[top]
                self._tops.pop(top, None)
        return cells

    def _cover(self, r: int) -> None:
        changed = False
        while self._next_start < len(self._starts) and self._starts[self._next_start][0] <= r:
            self._active.append(self._starts[self._next_start])
            self._next_start += 1
            changed = True
        if any(rng[2] < r for rng in self._active):
            self._active = [rng for rng in self._active if rng[2] >= r]
            changed = True
        if changed:
            spans = sorted((rng[1], rng[3]) for rng in self._active)
            furthest, ends = -1, []
            for _, end in spans:
                furthest = max(furthest, end)
                ends.append(furthest)
            self._spans = ([start for start, _ in spans], ends)

    def _covered(self, c: int) -> bool:
        starts, ends = self._spans
        k = bisect_right(starts, c) - 1
        return k >= 0 and ends[k] >= c

"""A worksheet as a Table, the same for .xlsx and .xls: merged ranges become spans, hidden rows and columns are
skipped; cells keep the sheet's own row and column numbers, so a locator counts the hidden ones."""
from __future__ import annotations

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
            first_row, last_row = _first_shown(r0, r1, self.hidden_rows, 1), _first_shown(r1, r0, self.hidden_rows, -1)
            first_col, last_col = _first_shown(c0, c1, self.hidden_cols, 1), _first_shown(c1, c0, self.hidden_cols, -1)
            if (r1 - r0 + 1) * (c1 - c0 + 1) <= len(self.texts):
                covered.update(p for p in _area(r0, c0, r1, c1) if p in self.texts)
            else:
                covered.update((r, c) for r, c in self.texts if r0 <= r <= r1 and c0 <= c <= c1)
            if first_row is not None and first_col is not None and last_row is not None and last_col is not None:
                # A merged range shows its top-left value across its visible part.
                cells.append(Cell(text=self.texts.get((r0, c0), ""), row=first_row, col=first_col,
                                  rowspan=last_row - first_row + 1, colspan=last_col - first_col + 1,
                                  source=(r0, c0)))
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

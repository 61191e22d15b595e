"""A worksheet as a Table, the same for .xlsx and .xls: merged ranges become spans, hidden rows and columns are skipped."""
from __future__ import annotations

from dataclasses import dataclass, field

from jixiao.grid import Cell, Table

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
            rows = [r for r in range(r0, r1 + 1) if r not in self.hidden_rows]
            cols = [c for c in range(c0, c1 + 1) if c not in self.hidden_cols]
            covered.update((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1) if (r, c) in self.texts)
            if rows and cols:
                # A merged range shows its top-left value across its visible part.
                cells.append(Cell(text=self.texts.get((r0, c0), ""), row=rows[0], col=cols[0],
                                  rowspan=rows[-1] - rows[0] + 1, colspan=cols[-1] - cols[0] + 1))
        for (r, c), text in self.texts.items():
            if (r, c) in covered or r in self.hidden_rows or c in self.hidden_cols or not text:
                continue
            cells.append(Cell(text=text, row=r, col=c))
        cells.sort(key=lambda cell: (cell.row, cell.col))
        return Table(cells)

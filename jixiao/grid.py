"""The intermediate every extractor ends at: tables of cells.

Nothing here knows what a 项目支出绩效自评表 is, and nothing after it knows the
file format. Text outside tables (titles, year lines) is kept as tables of one
cell per row, in document order, so forms can be found across them.

A file too big to hold (a text dump of thousands of forms, a sheet of half a
million rows) is read as a `GridStream`: the same tables, given one row at a
time, so that nothing downstream holds more than a form.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    page: int | None = None
    bbox: BBox | None = None
    confidence: float = 1.0


@dataclass(slots=True)
class Table:
    """One table (or run of loose text) in document order; rows and columns are 0-based.
    `loose`: text printed outside any table (titles, year lines, captions), one cell per row."""

    cells: list[Cell] = field(default_factory=list)
    loose: bool = False

    def rows(self) -> list[list[Cell]]:
        """Cells grouped by the row they start in, each row sorted by column."""
        by_row: dict[int, list[Cell]] = {}
        for cell in self.cells:
            by_row.setdefault(cell.row, []).append(cell)
        return [sorted(by_row[r], key=lambda c: c.col) for r in sorted(by_row)]


@dataclass(slots=True)
class Grid:
    """`min_confidence`: a cell read with less confidence than this (by OCR) is not
    to be trusted, and the normaliser flags what it feeds `unreadable_cell`."""

    source_format: str
    extractor: str
    tables: list[Table] = field(default_factory=list)
    min_confidence: float = 0.0


@dataclass(slots=True)
class TableRows:
    """A table given row by row, as `Table.rows()` would give it (each row's cells sorted by column,
    rows in order); the rows can be walked once."""

    row_iter: Iterator[list[Cell]]
    loose: bool = False

    def rows(self) -> Iterator[list[Cell]]:
        return self.row_iter


@dataclass(slots=True)
class GridStream:
    """A Grid whose tables (and their rows) are read as they are walked, once."""

    source_format: str
    extractor: str
    tables: Iterable[Table | TableRows]
    min_confidence: float = 0.0

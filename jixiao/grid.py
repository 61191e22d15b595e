"""The intermediate every extractor ends at: tables of cells.

Nothing here knows what a 项目支出绩效自评表 is, and nothing after it knows the
file format. Text outside tables (titles, year lines) is kept as tables of one
cell per row, in document order, so forms can be found across them.

Every table and cell also says where the source printed it (`Origin`, `Cell.source`,
and page and box for PDFs and images), so each value read from a cell can name its
place in the source (`locator`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

BBox = tuple[float, float, float, float]

# Kinds of origin: a worksheet, a table of a marked-up document (Word, HTML), the lines of
# a text export, and the text a marked-up document prints outside its tables.
SHEET, TABLE, LINES, TEXT = "sheet", "table", "lines", "text"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a table was printed. PDF pages and images need none: their cells carry page and box.

    `name`: a sheet's name. `number`: a markup table's 1-based number, every table of the
    document counted in document order (a nested one where it starts); for text outside
    the tables, the number of the table it precedes (0: it follows the last one)."""

    kind: str
    name: str = ""
    number: int = 0


@dataclass(frozen=True, slots=True)
class Cell:
    """`source`: the 0-based (row, column) where the source puts the cell, when it is not
    (row, col): a text export's line and field, a merged sheet range's top-left cell."""

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    page: int | None = None
    bbox: BBox | None = None
    confidence: float = 1.0
    source: tuple[int, int] | None = None

    @property
    def at(self) -> tuple[int, int]:
        return self.source if self.source is not None else (self.row, self.col)


@dataclass(slots=True)
class Table:
    """One table (or run of loose text) in document order; rows and columns are 0-based.
    `loose`: text printed outside any table (titles, year lines, captions), one cell per row."""

    cells: list[Cell] = field(default_factory=list)
    loose: bool = False
    origin: Origin | None = None

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


def column_letters(col: int) -> str:
    """A 0-based column as a spreadsheet names it: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def locator(origin: Origin | None, cell: Cell) -> str:
    """Where a person finds the cell (SCHEMA.md § cells `locator`): "page 3", "sheet 项目支出!D12",
    "table 2, row 12, column 4", "line 48"; all 1-based."""
    if cell.page is not None:
        return f"page {cell.page}"
    row, col = cell.source or (cell.row, cell.col)
    if origin is None:
        return f"row {row + 1}, column {col + 1}"
    kind = origin.kind
    if kind == LINES:
        return f"line {row + 1}"
    if kind == SHEET:
        return f"sheet {origin.name}!{column_letters(col)}{row + 1}"
    if kind == TABLE:
        return f"table {origin.number}, row {row + 1}, column {col + 1}"
    where = f"above table {origin.number}" if origin.number else "below the last table"
    return f"text {where}, line {row + 1}"

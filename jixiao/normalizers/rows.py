"""A grid as one stream of rows in document order, so a form split over tables reads as one."""
from __future__ import annotations

from dataclasses import dataclass

from jixiao.grid import Grid
from jixiao.normalizers.cleaning import clean_text, is_null_text


@dataclass(frozen=True, slots=True)
class RCell:
    col: int
    span: int
    text: str
    confidence: float
    page: int | None
    unsure: bool = False  # read (by OCR) with less confidence than the grid trusts

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

    def printed(self) -> list[RCell]:
        return [c for c in self.cells if not c.blank]

    @property
    def pages(self) -> list[int]:
        return [c.page for c in self.cells if c.page is not None]


def row_stream(grid: Grid) -> list[Row]:
    rows: list[Row] = []
    for table in grid.tables:
        for cells in table.rows():
            rcells = tuple(
                RCell(col=c.col, span=max(1, c.colspan), text=clean_text(c.text),
                      confidence=c.confidence, page=c.page, unsure=c.confidence < grid.min_confidence)
                for c in cells
            )
            if any(not rc.blank for rc in rcells):
                rows.append(Row(index=len(rows), cells=rcells))
    return rows

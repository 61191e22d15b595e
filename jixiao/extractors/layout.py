"""Building blocks shared by the markup extractors (HTML, Word): loose text and span placement."""
from __future__ import annotations

from dataclasses import dataclass

from jixiao.extractors.errors import LIMIT, ExtractError
from jixiao.grid import TABLE, TEXT, Cell, Origin, Table


@dataclass(frozen=True, slots=True)
class DeclaredCell:
    """A cell as a markup table declares it: its text and spans, but not its column."""

    text: str
    rowspan: int = 1
    colspan: int = 1


# HTML's own limit on colspan.
MAX_COLSPAN = 1000
# Grid positions one table's spans may cover: a form has some thousands; a few KiB of
# hostile markup declaring huge spans on every cell would otherwise take minutes and gigabytes.
MAX_POSITIONS = 1_000_000


def text_table(lines: list[str]) -> Table:
    """Text outside tables (a title, a year line): one row of one cell per non-blank line."""
    kept = [line for line in lines if line.strip()]
    return Table([Cell(text=line.strip(), row=r, col=0) for r, line in enumerate(kept)], loose=True)


def table_origin(numbers: dict[object, int], element: object) -> Origin | None:
    """A markup table's origin: its number in the document (`numbers`, by element)."""
    number = numbers.get(element)
    return Origin(TABLE, number=number) if number is not None else None


def mark_loose_text(tables: list[Table]) -> None:
    """Text outside the tables is found by the table it precedes."""
    following = 0
    for table in reversed(tables):
        if table.loose:
            table.origin = Origin(TEXT, number=following)
        elif table.origin is not None:
            following = table.origin.number


def place_cells(rows: list[list[DeclaredCell]]) -> Table:
    """The HTML table model: each cell takes the first column its row leaves free after
    the cells above that span down into it."""
    taken: set[tuple[int, int]] = set()
    cells: list[Cell] = []
    for r, row in enumerate(rows):
        col = 0
        for declared in row:
            while (r, col) in taken:
                col += 1
            # A span past the table's end (rowspan="9999", a common export habit) stops at its edge.
            rowspan = min(max(1, declared.rowspan), len(rows) - r)
            colspan = min(max(1, declared.colspan), MAX_COLSPAN)
            if len(taken) + rowspan * colspan > MAX_POSITIONS:
                raise ExtractError(f"table too large: its cells' spans cover more than {MAX_POSITIONS} positions",
                                   LIMIT)
            for dr in range(rowspan):
                for dc in range(colspan):
                    taken.add((r + dr, col + dc))
            cells.append(Cell(text=declared.text, row=r, col=col, rowspan=rowspan, colspan=colspan))
            col += colspan
    return Table(cells)

"""Office, HTML and text sources: the source table around a form, drawn as an HTML grid with the cells
the form's values were read from marked, found again by their locators in the file read afresh."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from jixiao.grid import LINES, SHEET, Cell, Grid, column_letters, locator

# Rows shown around a form's cells, and at most this many rows and columns of one table.
CONTEXT_ROWS = 1
MAX_ROWS = 300
MAX_COLUMNS = 40
MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class Place:
    table: int  # index into the grid's tables
    cell: Cell


def places(grid: Grid) -> dict[str, Place]:
    """Every cell of the grid by its locator (the first, where two share one)."""
    found: dict[str, Place] = {}
    for index, table in enumerate(grid.tables):
        for cell in table.cells:
            found.setdefault(locator(table.origin, cell), Place(index, cell))
    return found


def anchor(place: Place) -> str:
    return f"g{place.table}-{place.cell.row}-{place.cell.col}"


Marked = dict[tuple[int, int], tuple[str, list[str], list[str]]]


def draw_table(grid: Grid, index: int, marked: Marked, caption: str) -> str:
    """The rows of table `index` around the marked cells as an HTML table; `marked`: (row, col) -> (status,
    the columns the cell fed, what to warn of)."""
    table = grid.tables[index]
    rows = sorted({r for r, _ in marked})
    first, last = max(rows[0] - CONTEXT_ROWS, 0), rows[-1] + CONTEXT_ROWS
    last = min(last, first + MAX_ROWS - 1)
    shown = [c for c in table.cells if first <= c.row <= last]
    if not shown:
        return ""
    left = min(c.col for c in shown)
    right = min(max(c.col + c.colspan - 1 for c in shown), left + MAX_COLUMNS - 1)
    starts = {(c.row, c.col): c for c in shown}
    covered: set[tuple[int, int]] = set()
    sheet = table.origin is not None and table.origin.kind == SHEET
    # Rows numbered as the source counts them: a sheet's own rows, a text export's lines, a table's rows.
    numbers: dict[int, int] = {}
    if table.origin is not None and table.origin.kind == LINES:
        for leftmost in sorted(shown, key=lambda c: c.col):
            numbers.setdefault(leftmost.row, leftmost.at[0])
    head = "".join(f"<th>{column_letters(c) if sheet else c + 1}</th>" for c in range(left, right + 1))
    lines = [f'<table class="grid"><caption>{escape(caption)}</caption><thead><tr><th></th>{head}</tr></thead><tbody>']
    for r in range(first, last + 1):
        cells = [f"<th>{numbers.get(r, r) + 1}</th>"]
        for c in range(left, right + 1):
            if (r, c) in covered:
                continue
            cell = starts.get((r, c))
            if cell is None:
                cells.append("<td></td>")
                continue
            rowspan = min(cell.rowspan, last - r + 1)
            colspan = min(cell.colspan, right - c + 1)
            covered.update((r + dr, c + dc) for dr in range(rowspan) for dc in range(colspan))
            spans = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
            text = cell.text if len(cell.text) <= MAX_TEXT else cell.text[:MAX_TEXT] + "…"
            body = escape(text).replace("\n", "<br>")
            if (r, c) in marked:
                status, fed, warnings = marked[(r, c)]
                notes = f'<span class="fed">→ {escape(", ".join(fed))}</span>' + "".join(
                    f'<span class="said">{escape(w)}</span>' for w in warnings)
                cells.append(f'<td{spans} id="g{index}-{r}-{c}" class="mark {status}">{body}{notes}</td>')
            else:
                cells.append(f"<td{spans}>{body}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    return "".join(lines)

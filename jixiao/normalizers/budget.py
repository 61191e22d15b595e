"""The 项目资金 block: 年度资金总额 and its 其中 rows, read against its own column header.

Exports pad these rows with empty cells or lose one, so the columns are found
by aligning all rows of the block at once against the header's slots
(年初预算数 … 得分), using what each cell looks like: an amount, a weight, a
rate ending in %, and the "—" that sub-rows print under 分值 and 得分.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from jixiao.normalizers.align import align
from jixiao.normalizers.rows import RCell, Row
from jixiao.normalizers.values import is_damaged_number, is_rate_text, is_unreadable, parse_number, parse_rate
from jixiao.normalizers.vocab import BLOCKS, BUDGET

DEFAULT_SLOTS = ("initial", "annual", "executed", "weight", "rate", "score")
BUDGET_ROW_LABELS = ("budget_total", "budget_fiscal", "budget_carryover", "budget_other")
_DROPPED_CELL = 4.0
_UNDER_HEADER = 1.0


@dataclass(slots=True)
class BudgetRow:
    label: str
    values: dict[str, float | None] = field(default_factory=dict)
    unreadable: bool = False
    cells: dict[str, RCell] = field(default_factory=dict)  # the cell each value was read from


def budget_header(row: Row) -> list[tuple[str, RCell]] | None:
    """The header's slots in column order, when the row is the budget block's header."""
    slots = [(BUDGET.match(c.text), c) for c in row.cells if not c.blank]
    found = [(s, c) for s, c in slots if s is not None]
    kinds = {s for s, _ in found}
    if len(found) >= 3 and kinds & {"initial", "annual", "executed", "rate"}:
        return found
    return None


def budget_label(row: Row, total_row_open: bool = False) -> tuple[str, RCell] | None:
    """The row's budget label. With `total_row_open` (inside a budget block that has
    no 年度资金总额 row yet) a 合计/总计 row is that total."""
    for cell in row.cells:
        if cell.blank:
            continue
        label = BLOCKS.match(cell.text)
        if label in BUDGET_ROW_LABELS:
            return label, cell
        if label == "total" and total_row_open:
            return "budget_total", cell
        if label not in ("funds", "subrows"):
            # 项目资金 filled down from a merged cell, or a "其中" of its own, precedes the row's own label.
            return None
    return None


def _align_row(slots: list[str], table: dict[int, RCell], header_cols: dict[str, tuple[int, int]]) -> dict[int, str]:
    cols = sorted(table)
    roles, _ = align(len(slots), cols, lambda s, col: _fit(slots[s], table[col]) + _under(header_cols, slots[s], table[col]),
                     lambda col: _dropped(table[col]))
    return {col: slots[s] for col, s in zip(cols, roles) if s is not None}


def _under(header_cols: dict[str, tuple[int, int]], slot: str, cell: RCell | None) -> float:
    """What it counts for that a printed cell sits under its slot's header cell."""
    if cell is None or cell.empty:
        return 0.0
    start, stop = header_cols.get(slot, (-1, -1))
    return _UNDER_HEADER if start <= cell.col < stop else 0.0


def _slots(header: list[tuple[str, RCell]] | None) -> list[str]:
    """The header's slots. A header cut off before 执行率 (a truncated export) still
    gets all usual slots, and the rows' content says which are printed; a header that
    names 执行率 is complete as printed (some templates have no 分值/得分)."""
    if not header:
        return list(DEFAULT_SLOTS)
    named = [s for s, _ in header]
    order = [DEFAULT_SLOTS.index(s) for s in named]
    if order == sorted(set(order)) and "rate" not in named:
        return list(DEFAULT_SLOTS)
    return named


def _fit(slot: str, cell: RCell | None) -> float:
    if cell is None or cell.blank:
        return 0.0
    if cell.empty:
        return 0.5 if slot in ("weight", "score") else 0.0
    if is_unreadable(cell.text) or is_damaged_number(cell.text):
        return 0.0
    if is_rate_text(cell.text):
        return 3.0 if slot == "rate" else -3.0
    number = parse_number(cell.text)
    if number is None:
        return -3.0
    if slot == "rate":
        return 0.5 if number <= 2 else 0.0
    if slot == "weight":
        return 1.5 if 0 <= number <= 100 else -1.0
    return 1.5


def _dropped(cell: RCell | None) -> float:
    return 0.0 if cell is None or cell.empty else _DROPPED_CELL


def read_budget(header: list[tuple[str, RCell]] | None, rows: list[tuple[str, RCell, Row]],
                header_table: int | None = None) -> list[BudgetRow]:
    """The block's rows against its header, the rows of each table of the grid together (a page
    break can put the block in two): where a cell sits under a header cell counts in the
    header's own table (`header_table`) only, as another table numbers its columns anew."""
    slots = _slots(header)
    header_cols = {s: (c.col, c.col + c.span) for s, c in header} if header else {}
    mappings: dict[int, dict[int, str]] = {}
    for number in dict.fromkeys(row.table for _, _, row in rows):
        group = [(label_cell, row) for _, label_cell, row in rows if row.table == number]
        mappings.update(_align_rows(slots, group, header_cols if number == header_table else {}))
    result = []
    for label, label_cell, row in rows:
        budget_row = BudgetRow(label)
        table = _value_cells(label_cell, row)
        for col, slot in mappings[id(row)].items():
            cell = table.get(col)
            if cell is None or cell.empty:
                continue
            if is_unreadable(cell.text) or is_damaged_number(cell.text):
                budget_row.unreadable = True
                continue
            budget_row.unreadable |= cell.unsure
            budget_row.values[slot] = parse_rate(cell.text) if slot == "rate" else parse_number(cell.text)
            budget_row.cells[slot] = cell
        result.append(budget_row)
    return result


def _value_cells(label_cell: RCell, row: Row) -> dict[int, RCell]:
    return {c.col: c for c in row.cells if c.col > label_cell.col}


def _align_rows(slots: list[str], group: list[tuple[RCell, Row]],
                header_cols: dict[str, tuple[int, int]]) -> dict[int, dict[int, str]]:
    """id(row) -> {column: slot} for rows of one table, aligned all at once; a row shifted
    against the others is read on its own."""
    tables = [_value_cells(label_cell, row) for label_cell, row in group]
    cols = sorted({col for table in tables for col in table})

    def column_fit(slot_index: int, col: int) -> float:
        slot = slots[slot_index]
        return sum(_fit(slot, t.get(col)) + _under(header_cols, slot, t.get(col)) for t in tables)

    joint, _ = align(len(slots), cols, column_fit, lambda col: sum(_dropped(t.get(col)) for t in tables))
    joint_map = {col: slots[s] for col, s in zip(cols, joint) if s is not None}
    mappings = {}
    for (_, row), table in zip(group, tables):
        shifted = any(col not in joint_map and not cell.empty for col, cell in table.items())
        mappings[id(row)] = _align_row(slots, table, header_cols) if shifted else joint_map
    return mappings

"""Finding every form in a row stream and reading its blocks.

A form is anchored by its 项目名称 row; the title (项目支出绩效自评表, maybe
numbered) and the year line before it belong to it. It runs until the next
form's title or 项目名称 row; its 总分/总计/合计 row closes its indicator grid,
and a total row printed after that is kept aside, to be given to the form it
belongs to (see `StrayTotals`).

Forms are found and read as the rows arrive (`read_forms`): a form's rows are
known to be its own once the next form's 项目名称 row shows where its title
lines begin, at most a few rows back, so no more than one form is held.
"""
from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction

from jixiao.normalizers.budget import BudgetRow, budget_header, budget_label, read_budget
from jixiao.normalizers.cleaning import or_none
from jixiao.normalizers.doubt import flag_contradicted
from jixiao.normalizers.flags import SCORE_TOLERANCE, WEIGHT_TOLERANCE, project_flags, score_sum, weight_sum, within
from jixiao.normalizers.furniture import RunningHeaders
from jixiao.normalizers.indicators import (
    DEFAULT_HEADER,
    Header,
    IndicatorReader,
    header_continuation,
    indicator_header,
)
from jixiao.normalizers.rating import rating_row
from jixiao.normalizers.rows import RCell, Row
from jixiao.normalizers.values import is_damaged_number, is_unreadable, parse_number, parse_year, split_code
from jixiao.normalizers.vocab import BLOCKS, BUDGET, L1, L2, level1_weight
from jixiao.records import CellRecord, Form, Project

KV_LABELS = ("project_name", "department", "implementing_unit", "project_lead", "contact_phone")
# A title is short and no sentence: "2024年度项目支出绩效自评表（一）", "部门整体支出绩效自评表".
_TITLE = re.compile(r"^[^,;。]{0,30}(?:绩效自评|自评表)[^,;。]{0,16}$")
# "项目名称：" inside a cell: a short run of non-space text before a colon.
_INLINE_LABEL = re.compile(r"([^\s:]{2,12}?)\s*:")
_YEAR_LINE = re.compile(r"[(]?\s*(?:19|20)\d{2}\s*(?:年度|年|度)\s*[)]?")
# Year lines are short ("（2024年度）"); long cells mentioning a year are prose.
_MAX_YEAR_LINE = 40


def cell_label(cell: RCell) -> tuple[str | None, list[tuple[str, str]]]:
    """A cell's block label, or the "label：value" pairs printed inside it
    ("项目负责人：汪霞　联系电话：0566-5012345")."""
    label = BLOCKS.match(cell.text)
    if label is not None or ":" not in cell.text:
        return label, []
    marks = [mark for m in _INLINE_LABEL.finditer(cell.text) if (mark := _inline_mark(m)) is not None]
    if not marks or marks[0][0] != 0:
        return None, []
    pairs = []
    for k, (_, end, lab) in enumerate(marks):
        stop = marks[k + 1][0] if k + 1 < len(marks) else len(cell.text)
        pairs.append((lab, cell.text[end:stop].strip()))
    return pairs[0][0], pairs


def _inline_mark(m: re.Match[str]) -> tuple[int, int, str] | None:
    """(start, end, label) of a "label:" inside a cell; the label may end a longer run
    of text when no space separates it from the value before ("…民政局实施单位:")."""
    run = m.group(1)
    label = BLOCKS.match(run)
    if label in KV_LABELS:
        return m.start(1), m.end(), label
    for cut in range(1, len(run) - 1):
        label = BLOCKS.exact(run[cut:])
        if label in KV_LABELS:
            return m.start(1) + cut, m.end(), label
    return None


def _has_project_name(row: Row) -> bool:
    return any(cell_label(c)[0] == "project_name" for c in row.printed())


def _is_label(cell: RCell) -> bool:
    """A label of the form's head (项目名称, 项目资金（万元）, 年初预算数, 预期目标): read unsure, it
    is still the label it was taken for, and no value of the form is in doubt for it; so is one whose
    unit note lost a bracket (项目资金万元))."""
    label, values = cell_label(cell)
    if label is not None and not values or BUDGET.match(cell.text) is not None:
        return True
    return BLOCKS.exact(_UNIT_NOTE.sub("", "".join(cell.text.split()))) is not None


# A head label's unit note, and any bracket: "（万元）" read with one of its brackets lost.
_UNIT_NOTE = re.compile(r"[(（)）\[\]]|万?元")


def _has_kv_label(row: Row) -> bool:
    return any(cell_label(c)[0] in KV_LABELS for c in row.printed())


def _row_text(row: Row) -> str:
    return " ".join(c.text for c in row.printed())


def _line_text(row: Row) -> str | None:
    """The text of a row of one or two cells (a title, a year line), else None."""
    return _row_text(row) if 0 < len(row.printed()) <= 2 else None


def _is_preamble(row: Row) -> bool:
    """A title or year line; or a short line that could not be read at all, which above a
    form is most likely one of them."""
    text = _line_text(row)
    if text is None:
        return False
    return bool(_TITLE.match(text)) or (len(text) <= _MAX_YEAR_LINE and parse_year(text) is not None) or all(
        c.unsure for c in row.printed())


def _is_info_line(row: Row) -> bool:
    """A line of "label：value" notes and dates under a title ("填报单位：… | 填报日期：… |
    金额单位：万元"), however many cells it has; a row of the form prints figures or labels."""
    return all(":" in c.text or (parse_year(c.text) is not None and parse_number(c.text) is None)
               for c in row.printed()) and not _has_kv_label(row)


def _preamble_start(rows: Sequence[Row]) -> int:
    """Where the next form's title and year lines begin among `rows`, the last few rows before
    its 项目名称 row (after the form before's), counting back over short lines and note lines
    between them ("金额单位：万元")."""
    start = len(rows)
    for i in range(len(rows) - 1, -1, -1):
        row = rows[i]
        if not (len(row.printed()) <= 2 or _is_info_line(row)):
            break
        if _is_preamble(row):
            start = i
        elif BLOCKS.match(row.printed()[0].text) == "total":
            break
    return start


_MAX_PREAMBLE_ROWS = 6


def _is_other_title(row: Row) -> bool:
    """The title of another kind of self-evaluation (部门整体, 单位整体, 政策): it ends the
    project form before it. A project title repeated at a page top does not."""
    text = _line_text(row)
    return text is not None and bool(_TITLE.match(text)) and "项目" not in text


def _anchors(row: Row) -> bool:
    """The row opens a form: it prints 项目名称, and not as one column header among others (a
    list of projects in a 部门决算 report: 项目名称 | 年初预算数 | 全年预算数 | …)."""
    return _has_project_name(row) and budget_header(row) is None and indicator_header(row) is None


class _LeftEdge:
    """A sheet may print notes (填表说明) in columns left of the form. The form's left edge is
    its 项目名称 label: cells of its table wholly left of that, which name no part of the
    form, are not the form's."""

    def __init__(self, anchor: Row) -> None:
        self.table = anchor.table
        self.edge = next(c.col for c in anchor.printed() if cell_label(c)[0] == "project_name")

    def clip(self, row: Row) -> Row | None:
        """The row without the cells left of the form; None where nothing of it is printed then."""
        if self.edge == 0:
            return row
        kept = tuple(c for c in row.cells if row.table != self.table or c.col + c.span > self.edge or _names_a_part(c))
        if not any(not c.blank for c in kept):
            return None
        return row if len(kept) == len(row.cells) else replace(row, cells=kept)


def _names_a_part(cell: RCell) -> bool:
    return any(vocabulary.match(cell.text) is not None for vocabulary in (BLOCKS, L1, L2))


class _Furniture:
    """The running headers printed inside a form, before its grid's 总分 row, are no part of it:
    after that row, a line that opens pages may be the title of what follows. Rows are given in
    order from the one after the form's 项目名称 row."""

    def __init__(self) -> None:
        self.open = True
        self.grid = False

    def skips(self, row: Row, running_header: bool) -> bool:
        if not self.open:
            return False
        if running_header:
            return True
        printed = row.printed()
        self.grid = self.grid or indicator_header(row) is not None
        if self.grid and printed and BLOCKS.match(printed[0].text) == "total":
            self.open = False
        return False


# What gives a form its year, best first: a year line ("（2024年度）"), a dated title, a text saying
# 年度 or 年份 ("年度：2024"), then any other date (填报日期：2025年3月) when nothing better is printed.
_YEAR_TIERS: tuple[Callable[[str], object], ...] = (
    _YEAR_LINE.fullmatch, _TITLE.match, lambda text: "年度" in text or "年份" in text, lambda text: True)


class Preamble:
    """The lines above a form (since the form before it ended), read as they arrive: the year
    they print, nearest line first within each kind of year line, and the last few lines."""

    def __init__(self) -> None:
        self.near: deque[Row] = deque(maxlen=_MAX_PREAMBLE_ROWS)
        self._years: list[tuple[int, RCell] | None] = [None] * len(_YEAR_TIERS)

    def add(self, row: Row) -> None:
        self.near.append(row)
        cells = [c for c in row.printed() if len(c.text) <= _MAX_YEAR_LINE]
        for tier, accept in enumerate(_YEAR_TIERS):
            # This line is nearer the form than any before it: its year, if any, wins its kind.
            found = next(((y, c) for c in cells if accept(c.text) and (y := parse_year(c.text)) is not None), None)
            if found is not None:
                self._years[tier] = found

    @property
    def year(self) -> tuple[int | None, RCell | None]:
        """The year, and the cell it is printed in."""
        return next((found for found in self._years if found is not None), (None, None))


def read_forms(rows: Iterable[Row]) -> Iterator[ParsedForm]:
    """Every form in the row stream, read as soon as its last row is known, in order.

    A form is anchored by its 项目名称 row and runs until the next form's title lines
    or 项目名称 row, or until the title of another kind of form; what lies between two
    forms is the later one's preamble. The last rows of a form are held back until the
    next row shows they cannot be the next form's title lines. A running header inside
    a form (see furniture.py) neither ends it nor is read as part of it."""
    preamble = Preamble()
    form: _FormReader | None = None
    furniture = _Furniture()
    held: deque[tuple[Row, bool]] = deque()
    ended = False  # the form's body ended at another kind of form's title

    def settle(row: Row, running_header: bool) -> None:
        nonlocal ended
        assert form is not None
        if not ended and furniture.skips(row, running_header):
            return
        ended = ended or _is_other_title(row)
        if ended:
            preamble.add(row)
        else:
            form.add(row)

    for row, running_header in RunningHeaders().marked(rows):
        if not _anchors(row):
            if form is None:
                preamble.add(row)
            else:
                held.append((row, running_header))
                if len(held) > _MAX_PREAMBLE_ROWS:
                    settle(*held.popleft())
            continue
        if form is not None:
            start = _preamble_start([before for before, _ in held])
            for k, (before, before_header) in enumerate(held):
                if k < start:
                    settle(before, before_header)
                else:
                    preamble.add(before)
            held.clear()
            yield form.parsed()
        form, preamble, furniture, ended = _FormReader(preamble, row), Preamble(), _Furniture(), False
    if form is not None:
        for row, running_header in held:
            settle(row, running_header)
        yield form.parsed()


@dataclass(slots=True)
class Total:
    weight: float | None
    score: float | None
    unreadable: bool = False
    weight_cell: RCell | None = None
    score_cell: RCell | None = None

    def sources(self) -> dict[str, list[RCell]]:
        return {column: [cell] for column, cell in (("total_weight", self.weight_cell),
                                                     ("total_score", self.score_cell)) if cell is not None}


def total_row(row: Row, header: Header) -> Total | None:
    """The 总分 row: its first two figures are 分值 and 得分, in the order the header prints
    them; a 分值 printed only in the label ("总分（100分）") counts when the cell is empty."""
    printed = row.printed()
    if not printed or BLOCKS.match(printed[0].text) != "total":
        return None
    after = [c for c in printed[1:] if not c.empty]
    numbers = [(c, n) for c in after if (n := parse_number(c.text)) is not None]
    unreadable = any(is_unreadable(c.text) or is_damaged_number(c.text) or c.unsure for c in after)
    score_first = "score" in header.roles and "weight" in header.roles and (
        header.roles.index("score") < header.roles.index("weight"))
    label_weight = level1_weight(printed[0].text)
    label_cell = printed[0] if label_weight is not None else None
    if len(numbers) >= 2:
        (first_cell, first), (second_cell, second) = numbers[0], numbers[1]
        if score_first:
            return Total(second, first, unreadable, second_cell, first_cell)
        return Total(first, second, unreadable, first_cell, second_cell)
    if len(numbers) == 1:
        cell, number = numbers[0]
        if header.in_column("score", cell) or label_weight is not None:
            return Total(label_weight, number, unreadable, label_cell, cell)
        return Total(number, None, unreadable, cell)
    return Total(label_weight, None, unreadable, label_cell)


@dataclass(slots=True)
class ParsedForm:
    form: Form
    has_budget: bool
    is_form: bool
    titled: bool = False
    # A title or year line above the form that could not be read (OCR, glyphs without Unicode).
    unsure_preamble: bool = False
    strays: list[Total] = field(default_factory=list)
    unmapped_headers: list[str] = field(default_factory=list)
    # The cells each project value was read from, by column (several for a goal text), and
    # the rows of `cells` for the indicators.
    sources: dict[str, list[RCell]] = field(default_factory=dict)
    indicator_cells: list[CellRecord] = field(default_factory=list)
    # Where the figures the form's checks use were read: its indicators' cells by role (in the
    # order of form.indicators) and its budget rows.
    indicator_sources: list[dict[str, RCell]] = field(default_factory=list)
    budget: list[BudgetRow] = field(default_factory=list)


_BUDGET_FIELDS = {"budget_total": "budget", "budget_fiscal": "fiscal", "budget_carryover": "carryover",
                  "budget_other": "other"}
_AMOUNT_SLOTS = ("initial", "annual", "executed")
_TOTAL_ONLY_SLOTS = {"weight": "budget_weight", "rate": "execution_rate", "score": "budget_score"}


@dataclass(slots=True)
class _Goals:
    """The 年度总体目标 block: a 预期目标 / 实际完成情况 header over their texts, or
    each label followed by its text in the same row."""

    actual_col: int | None = None
    # Each piece of text with the cell it was printed in.
    expected: list[tuple[str, RCell]] = field(default_factory=list)
    actual: list[tuple[str, RCell]] = field(default_factory=list)
    open: bool = False
    awaiting_texts: bool = False

    def read(self, row: Row, closed: bool = False) -> None:
        """Take the row's goal texts if it belongs to the block.

        `closed`: the form's grid has ended, so only a row with a goal label, or the
        text row right under a goal header, still belongs to the block. A row labelled
        as another block (绩效指标, 总分) ends it."""
        printed = row.printed()
        marked = [_goal_label(c) for c in printed]
        labels = [label for label, _ in marked]
        if any(lab is not None and lab not in _GOAL_LABELS for lab in labels):
            self.open = self.awaiting_texts = False
            return
        labelled = any(lab in _GOAL_LABELS for lab in labels)
        if not labelled and row.loose:
            # A heading between tables ("绩效指标完成情况") is no goal text.
            self.open = self.awaiting_texts = False
            return
        if not labelled and not (self.awaiting_texts if closed else self.open):
            return
        texts: list[RCell] = []
        slot: list[tuple[str, RCell]] | None = None
        taken = False
        for cell, (label, inline) in zip(printed, marked):
            if label in _GOAL_LABELS:
                self.open = True
                if label == "goal_expected":
                    slot = self.expected
                elif label == "goal_actual":
                    slot, self.actual_col = self.actual, cell.col
                if inline:  # "年度总体目标：…" / "实际完成情况：…" in one cell
                    (self.expected if slot is None else slot).append((inline, cell))
                    taken = True
                continue
            if label is not None or cell.empty:
                continue
            if slot is not None:
                slot.append((cell.text, cell))  # "预期目标 | text": the label's own text
                taken = True
            elif not any(lab in _SLOT_LABELS for lab in labels):
                texts.append(cell)  # a row of texts under the header (a row label before it is ignored)
        self._add(texts)
        self.awaiting_texts = labelled and not texts and not taken

    def _add(self, cells: list[RCell]) -> None:
        # A merged cell filled into every column it covers repeats its text.
        texts = [c for k, c in enumerate(cells) if k == 0 or c.text != cells[k - 1].text]
        if len(texts) == 2:
            self.expected.append((texts[0].text, texts[0]))
            self.actual.append((texts[1].text, texts[1]))
        elif len(texts) == 1 or self.actual_col is None:
            for cell in texts[:1]:
                to_actual = self.actual_col is not None and cell.col >= self.actual_col
                (self.actual if to_actual else self.expected).append((cell.text, cell))
            self.actual.extend((c.text, c) for c in texts[1:])
        else:
            self.expected.extend((c.text, c) for c in texts if c.col < self.actual_col)
            self.actual.extend((c.text, c) for c in texts if c.col >= self.actual_col)


_GOAL_LABELS = ("goal", "goal_expected", "goal_actual")


def _goal_label(cell: RCell) -> tuple[str | None, str | None]:
    """The cell's block label, and for a goal label the text printed after it in the
    same cell ("实际完成情况：完成生态护岸…")."""
    label = BLOCKS.match(cell.text)
    if label is not None or ":" not in cell.text:
        return label, None
    head, _, tail = cell.text.partition(":")
    label = BLOCKS.exact(head)
    return (label, tail.strip() or None) if label in _GOAL_LABELS else (None, None)
_SLOT_LABELS = ("goal_expected", "goal_actual")


class _FormReader:
    """One form's rows, read one by one from its 项目名称 row (`anchor`) on."""

    def __init__(self, preamble: Preamble, anchor: Row) -> None:
        self.preamble = preamble
        self.edge = _LeftEdge(anchor)
        self.kv: dict[str, tuple[str, RCell]] = {}
        self.budget_hdr: list[tuple[str, RCell]] | None = None
        self.budget_hdr_table: int | None = None
        self.budget_rows: list[tuple[str, RCell, Row]] = []
        self.goals = _Goals()
        self.reader: IndicatorReader | None = None
        self.total: Total | None = None
        self.strays: list[Total] = []
        self.unmapped: list[str] = []
        self.unsure_head = False  # a cell of the head (name, units, budget, goals) read unsure
        # Of the rows read up to the total: the pages they are printed on and their cells' confidences.
        self.pages: tuple[int, int] | None = None
        self.confidences: Counter[float] = Counter()
        self.rating: tuple[str, RCell] | None = None
        self.add(anchor)

    def add(self, row: Row) -> None:
        clipped = self.edge.clip(row)
        if clipped is not None:
            self._read(clipped)

    def _read(self, row: Row) -> None:
        is_rating, grade, grade_cell = rating_row(row, exact=self.reader is not None and self.total is None)
        if is_rating:
            # Never an indicator nor goal text; a 总分 row may print the grade after its figures.
            if self.rating is None and grade is not None and grade_cell is not None:
                self.rating = grade, grade_cell
            self.goals.open = self.goals.awaiting_texts = False
            if total_row(row, DEFAULT_HEADER) is None:
                if self.total is None:
                    self._used(row)
                return
        if self.total is not None:
            # After the total: a total printed for an earlier form, or a goal block
            # that this template prints last; anything else (signatures, notes) is not read.
            stray = total_row(row, self.reader.header if self.reader else DEFAULT_HEADER)
            if stray is not None:
                self.strays.append(stray)
            else:
                self.goals.read(row, closed=True)
            return
        self._used(row)
        if self.reader is not None:
            found_total = total_row(row, self.reader.header)
            if found_total is not None:
                self.total = found_total
            elif not self.reader.indicators and (refined := header_continuation(self.reader.header, row)) is not None:
                self.reader.header = refined
            elif indicator_header(row) is None and not _has_kv_label(row):
                # Skipped: a header repeated after a page break, a signature line (填报人 … 联系电话).
                self.reader.add(row)
            return
        self.unsure_head |= any(c.unsure and not _is_label(c) for c in row.printed())
        header = indicator_header(row)
        if header is not None:
            self.reader = IndicatorReader(header)
            self.unmapped.extend(header.unmapped)
            self.goals.open = False
            return
        found_budget_header = budget_header(row)
        if found_budget_header is not None:
            self.budget_hdr, self.budget_hdr_table = found_budget_header, row.table
            self.unmapped.extend(c.text for c in row.printed() if _unmapped_budget_header(c, found_budget_header))
            return
        label = budget_label(row, total_row_open=self.budget_hdr is not None and not any(
            b[0] == "budget_total" for b in self.budget_rows))
        if label is not None:
            self.budget_rows.append((label[0], label[1], row))
            return
        found_total = total_row(row, DEFAULT_HEADER)
        if found_total is not None:
            self.total = found_total  # a 总分 row, even where no indicator grid could be read
            return
        _read_labels(row, self.kv, self.goals)

    def _used(self, row: Row) -> None:
        if row.pages:
            low, high = min(row.pages), max(row.pages)
            self.pages = (low, high) if self.pages is None else (min(self.pages[0], low), max(self.pages[1], high))
        self.confidences.update(c.confidence for c in row.printed())

    def _confidence(self) -> float:
        """The mean confidence of the cells read, as `statistics.fmean` gives it (an exact sum,
        rounded once), from the count of each value."""
        count = self.confidences.total()
        if not count:
            return 1.0
        return float(sum(Fraction(value) * k for value, k in self.confidences.items())) / count

    def parsed(self) -> ParsedForm:
        budget = read_budget(self.budget_hdr, self.budget_rows, self.budget_hdr_table) if self.budget_rows else []
        total, kv = self.total, self.kv
        project, sources = _project(kv, budget, self.goals, total, *self.preamble.year)
        if self.rating is not None:
            project.self_rating, sources["self_rating"] = self.rating[0], [self.rating[1]]
        form = Form(project=project, indicators=self.reader.indicators if self.reader else [])
        if self.pages is not None:
            project.page_start, project.page_end = self.pages
        project.confidence = self._confidence()
        unreadable = self.unsure_head or (total is not None and total.unreadable) or any(
            b.unreadable for b in budget) or any(is_unreadable(v) for v, _ in kv.values())
        if unreadable:
            project.issues.append("unreadable_cell")
        has_budget = any(b.label == "budget_total" for b in budget)
        # A 项目名称 cell in some other table (a list of projects) anchors no form.
        is_form = self.reader is not None or bool(self.budget_rows)
        near = self.preamble.near
        titled = any(_TITLE.match(_row_text(row)) for row in near)
        unsure_preamble = any(c.unsure for row in near if _line_text(row) is not None for c in row.printed())
        return ParsedForm(form=form, has_budget=has_budget, is_form=is_form, titled=titled,
                          unsure_preamble=unsure_preamble, strays=self.strays, unmapped_headers=self.unmapped,
                          sources=sources, indicator_cells=self.reader.cells if self.reader else [],
                          indicator_sources=self.reader.sources if self.reader else [], budget=budget)


def _unmapped_budget_header(cell: RCell, header: list[tuple[str, RCell]]) -> bool:
    return all(cell is not c for _, c in header) and BLOCKS.match(cell.text) is None


def _read_labels(row: Row, kv: dict[str, tuple[str, RCell]], goals: _Goals) -> None:
    """Label/value rows of the form's head, and the 年度总体目标 block."""
    pending: str | None = None
    found_kv = False
    for cell in row.printed():
        label, inline = cell_label(cell)
        if label in KV_LABELS:
            found_kv = True
            for inline_label, value in inline:
                if value:
                    kv.setdefault(inline_label, (value, cell))
            pending = None if inline else label
            continue
        if pending is not None:
            if label is None and not cell.empty:
                kv.setdefault(pending, (cell.text, cell))
            pending = None
    if not found_kv:
        goals.read(row)


def _project(kv: dict[str, tuple[str, RCell]], budget: list[BudgetRow], goals: _Goals, total: Total | None,
             year: int | None, year_cell: RCell | None) -> tuple[Project, dict[str, list[RCell]]]:
    """The project row, and the cells each of its values was read from (a code split off a
    department or unit is recorded with it, and so is every piece of a goal text)."""

    def text(label: str) -> str:
        return kv[label][0] if label in kv else ""

    department, department_code = split_code(or_none(text("department")))
    unit, unit_code = split_code(or_none(text("implementing_unit")))
    project = Project(
        table_index=0,
        year=year,
        project_name=text("project_name"),
        department=department,
        department_code=department_code,
        implementing_unit=unit,
        implementing_unit_code=unit_code,
        project_lead=or_none(text("project_lead")),
        contact_phone=or_none(text("contact_phone")),
        goal_expected=or_none(" ".join(t for t, _ in goals.expected)),
        goal_actual=or_none(" ".join(t for t, _ in goals.actual)),
    )
    sources = {label: [cell] for label, (_, cell) in kv.items()}
    sources.update(goal_expected=[c for _, c in goals.expected], goal_actual=[c for _, c in goals.actual])
    if year_cell is not None:
        sources["year"] = [year_cell]
    for row in budget:
        prefix = _BUDGET_FIELDS[row.label]
        for slot, value in row.values.items():
            if slot in _AMOUNT_SLOTS:
                column = f"{prefix}_{slot}"
            elif prefix == "budget":
                # 分值/执行率/得分 are the total row's; sub-rows that repeat them are ignored.
                column = _TOTAL_ONLY_SLOTS[slot]
            else:
                continue
            setattr(project, column, value)
            sources[column] = [row.cells[slot]]
    if total is not None:
        project.total_weight, project.total_score = total.weight, total.score
        sources.update(total.sources())
    return project, sources


class StrayTotals:
    """A total row printed after a later form's goes to the nearest earlier form (or its own)
    without a total whose sums agree. Forms are opened in order; those still without a total
    are kept as their two sums only, so that the forms themselves can be written out."""

    def __init__(self) -> None:
        # Forms without a total, by index: (sum of scores, sum of weights).
        self.open: dict[int, tuple[float, float]] = {}

    def add(self, index: int, parsed: ParsedForm) -> list[tuple[int, Total]]:
        """Take the form read `index`-th (after every form before it); returns the totals its stray
        rows give, as (index of the form given it, total), its own index included."""
        p = parsed.form.project
        if p.total_weight is None and p.total_score is None:
            self.open[index] = (score_sum(parsed.form), weight_sum(parsed.form))
        given = []
        for stray in parsed.strays:
            if stray.score is None:
                continue
            for candidate in reversed(self.open):
                scores, weights = self.open[candidate]
                if not within(scores, stray.score, SCORE_TOLERANCE):
                    continue
                if stray.weight is not None and not within(weights, stray.weight, WEIGHT_TOLERANCE):
                    continue
                del self.open[candidate]
                given.append((candidate, stray))
                break
        return given


def finish(parsed: ParsedForm) -> Form:
    """Flags and counts, once every total has found its form."""
    form = parsed.form
    form.project.issues.extend(project_flags(form, parsed.has_budget))
    total = {role: parsed.sources[column][0] for role, column in (("weight", "total_weight"), ("score", "total_score"))
             if parsed.sources.get(column)}
    flag_contradicted(form, parsed.indicator_sources, parsed.budget, total)
    form.project.indicator_count = len(form.indicators)
    return form


_PROJECT_COLUMNS = [f.name for f in fields(Project)]


def record_cells(parsed: ParsedForm) -> None:
    """`Form.cells`: a row for each project value read from a cell (in the order of the project's
    columns; none for a value left null or empty), then the indicators' rows."""
    project = parsed.form.project
    rows = [cell.record(column) for column in _PROJECT_COLUMNS if column in parsed.sources
            and getattr(project, column) not in (None, "") for cell in parsed.sources[column]]
    parsed.form.cells = rows + parsed.indicator_cells

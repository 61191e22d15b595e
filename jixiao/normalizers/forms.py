"""Finding every form in a row stream and reading its blocks.

A form is anchored by its 项目名称 row; the title (项目支出绩效自评表, maybe
numbered) and the year line before it belong to it. It runs until the next
form's title or 项目名称 row; its 总分/总计/合计 row closes its indicator grid,
and a total row printed after that is kept aside, to be given to the form it
belongs to (see `attach_stray_totals`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from statistics import fmean

from jixiao.normalizers.budget import BudgetRow, budget_header, budget_label, read_budget
from jixiao.normalizers.cleaning import or_none
from jixiao.normalizers.doubt import flag_contradicted
from jixiao.normalizers.flags import SCORE_TOLERANCE, WEIGHT_TOLERANCE, project_flags, score_sum, weight_sum, within
from jixiao.normalizers.furniture import running_headers
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
from jixiao.normalizers.vocab import BLOCKS, L1, L2, level1_weight
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


def _preamble_start(rows: list[Row], previous_anchor: int, anchor: int) -> int:
    """Where the next form's title and year lines begin, counting back from its 项目名称
    row over short lines and note lines between them ("金额单位：万元")."""
    start = anchor
    i = anchor - 1
    while i > previous_anchor and anchor - i <= _MAX_PREAMBLE_ROWS and (
            len(rows[i].printed()) <= 2 or _is_info_line(rows[i])):
        if _is_preamble(rows[i]):
            start = i
        elif BLOCKS.match(rows[i].printed()[0].text) == "total":
            break
        i -= 1
    return start


_MAX_PREAMBLE_ROWS = 6


@dataclass(slots=True)
class FormSpan:
    preamble: list[Row]
    body: list[Row]


def _is_other_title(row: Row) -> bool:
    """The title of another kind of self-evaluation (部门整体, 单位整体, 政策): it ends the
    project form before it. A project title repeated at a page top does not."""
    text = _line_text(row)
    return text is not None and bool(_TITLE.match(text)) and "项目" not in text


def _anchors(row: Row) -> bool:
    """The row opens a form: it prints 项目名称, and not as one column header among others (a
    list of projects in a 部门决算 report: 项目名称 | 年初预算数 | 全年预算数 | …)."""
    return _has_project_name(row) and budget_header(row) is None and indicator_header(row) is None


def find_forms(rows: list[Row]) -> list[FormSpan]:
    anchors = [i for i, row in enumerate(rows) if _anchors(row)]
    headers = running_headers(rows)
    spans: list[FormSpan] = []
    previous_end = 0
    for k, anchor in enumerate(anchors):
        end = anchors[k + 1] if k + 1 < len(anchors) else len(rows)
        if k + 1 < len(anchors):
            end = _preamble_start(rows, anchor, end)
        furniture = _furniture(rows, anchor, end, headers)
        end = next((i for i in range(anchor + 1, end) if i not in furniture and _is_other_title(rows[i])), end)
        body = [row for i, row in enumerate(rows[anchor:end], anchor) if i not in furniture]
        spans.append(FormSpan(preamble=rows[previous_end:anchor], body=_right_of_left_edge(body)))
        previous_end = end
    return spans


def _right_of_left_edge(body: list[Row]) -> list[Row]:
    """A sheet may print notes (填表说明) in columns left of the form. The form's left edge is
    its 项目名称 label: cells of its table wholly left of that, which name no part of the
    form, are not the form's."""
    anchor = body[0]
    edge = next(c.col for c in anchor.printed() if cell_label(c)[0] == "project_name")
    if edge == 0:
        return body
    kept_rows = []
    for row in body:
        kept = tuple(c for c in row.cells if row.table != anchor.table or c.col + c.span > edge or _names_a_part(c))
        if any(not c.blank for c in kept):
            kept_rows.append(row if len(kept) == len(row.cells) else replace(row, cells=kept))
    return kept_rows


def _names_a_part(cell: RCell) -> bool:
    return any(vocabulary.match(cell.text) is not None for vocabulary in (BLOCKS, L1, L2))


def _furniture(rows: list[Row], anchor: int, end: int, headers: set[int]) -> set[int]:
    """The running headers printed inside the form, before its grid's 总分 row: after it, a
    line that opens pages may be the title of what follows."""
    found: set[int] = set()
    if not headers:
        return found
    grid = False
    for i in range(anchor + 1, end):
        if i in headers:
            found.add(i)
            continue
        printed = rows[i].printed()
        grid = grid or indicator_header(rows[i]) is not None
        if grid and printed and BLOCKS.match(printed[0].text) == "total":
            break
    return found


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


def parse_form(span: FormSpan) -> ParsedForm:
    kv: dict[str, tuple[str, RCell]] = {}
    budget_hdr = None
    budget_hdr_table: int | None = None
    budget_rows: list[tuple[str, RCell, Row]] = []
    goals = _Goals()
    reader: IndicatorReader | None = None
    total: Total | None = None
    strays: list[Total] = []
    unmapped: list[str] = []
    used_rows: list[Row] = []
    unsure_head = False  # a cell of the head (name, units, budget, goals) read unsure
    rating: tuple[str, RCell] | None = None

    for row in span.body:
        is_rating, grade, grade_cell = rating_row(row, exact=reader is not None and total is None)
        if is_rating:
            # Never an indicator nor goal text; a 总分 row may print the grade after its figures.
            if rating is None and grade is not None and grade_cell is not None:
                rating = grade, grade_cell
            goals.open = goals.awaiting_texts = False
            if total_row(row, DEFAULT_HEADER) is None:
                if total is None:
                    used_rows.append(row)
                continue
        if total is not None:
            # After the total: a total printed for an earlier form, or a goal block
            # that this template prints last; anything else (signatures, notes) is not read.
            stray = total_row(row, reader.header if reader else DEFAULT_HEADER)
            if stray is not None:
                strays.append(stray)
            else:
                goals.read(row, closed=True)
            continue
        used_rows.append(row)
        if reader is not None:
            found_total = total_row(row, reader.header)
            if found_total is not None:
                total = found_total
            elif not reader.indicators and (refined := header_continuation(reader.header, row)) is not None:
                reader.header = refined
            elif indicator_header(row) is None and not _has_kv_label(row):
                # Skipped: a header repeated after a page break, a signature line (填报人 … 联系电话).
                reader.add(row)
            continue
        unsure_head |= any(c.unsure for c in row.printed())
        header = indicator_header(row)
        if header is not None:
            reader = IndicatorReader(header)
            unmapped.extend(header.unmapped)
            goals.open = False
            continue
        found_budget_header = budget_header(row)
        if found_budget_header is not None:
            budget_hdr, budget_hdr_table = found_budget_header, row.table
            unmapped.extend(c.text for c in row.printed() if _unmapped_budget_header(c, found_budget_header))
            continue
        label = budget_label(row, total_row_open=budget_hdr is not None and not any(
            b[0] == "budget_total" for b in budget_rows))
        if label is not None:
            budget_rows.append((label[0], label[1], row))
            continue
        found_total = total_row(row, DEFAULT_HEADER)
        if found_total is not None:
            total = found_total  # a 总分 row, even where no indicator grid could be read
            continue
        _read_labels(row, kv, goals)

    budget = read_budget(budget_hdr, budget_rows, budget_hdr_table) if budget_rows else []
    project, sources = _project(kv, budget, goals, total, span.preamble)
    if rating is not None:
        project.self_rating, sources["self_rating"] = rating[0], [rating[1]]
    form = Form(project=project, indicators=reader.indicators if reader else [])
    pages = [p for row in used_rows for p in row.pages]
    if pages:
        project.page_start, project.page_end = min(pages), max(pages)
    confidences = [c.confidence for row in used_rows for c in row.printed()]
    project.confidence = fmean(confidences) if confidences else 1.0
    unreadable = unsure_head or (total is not None and total.unreadable) or any(
        b.unreadable for b in budget) or any(is_unreadable(v) for v, _ in kv.values())
    if unreadable:
        project.issues.append("unreadable_cell")
    has_budget = any(b.label == "budget_total" for b in budget)
    # A 项目名称 cell in some other table (a list of projects) anchors no form.
    is_form = reader is not None or bool(budget_rows)
    near = span.preamble[-_MAX_PREAMBLE_ROWS:]
    titled = any(_TITLE.match(_row_text(row)) for row in near)
    unsure_preamble = any(c.unsure for row in near if _line_text(row) is not None for c in row.printed())
    return ParsedForm(form=form, has_budget=has_budget, is_form=is_form, titled=titled,
                      unsure_preamble=unsure_preamble, strays=strays, unmapped_headers=unmapped, sources=sources,
                      indicator_cells=reader.cells if reader else [],
                      indicator_sources=reader.sources if reader else [], budget=budget)


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


def _project(kv: dict[str, tuple[str, RCell]], budget: list[BudgetRow], goals: _Goals,
             total: Total | None, preamble: list[Row]) -> tuple[Project, dict[str, list[RCell]]]:
    """The project row, and the cells each of its values was read from (a code split off a
    department or unit is recorded with it, and so is every piece of a goal text)."""

    def text(label: str) -> str:
        return kv[label][0] if label in kv else ""

    department, department_code = split_code(or_none(text("department")))
    unit, unit_code = split_code(or_none(text("implementing_unit")))
    year, year_cell = _year(preamble)
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


def _year(preamble: list[Row]) -> tuple[int | None, RCell | None]:
    """The year line ("（2024年度）") or a dated title nearest the form, and its cell; other dates
    (填报日期：2025年3月) only when nothing better is printed."""
    cells = [c for row in reversed(preamble) for c in row.printed() if len(c.text) <= _MAX_YEAR_LINE]
    for accept in (_YEAR_LINE.fullmatch, _TITLE.match, lambda text: "年度" in text, lambda text: True):
        for cell in cells:
            if accept(cell.text):
                year = parse_year(cell.text)
                if year is not None:
                    return year, cell
    return None, None


def attach_stray_totals(parsed: list[ParsedForm]) -> None:
    """A total row printed after a later form's goes to the nearest earlier form without one whose sums agree."""
    for k, item in enumerate(parsed):
        for stray in item.strays:
            if stray.score is None:
                continue
            for candidate in reversed(parsed[: k + 1]):
                p, form = candidate.form.project, candidate.form
                if p.total_weight is not None or p.total_score is not None:
                    continue
                if not within(score_sum(form), stray.score, SCORE_TOLERANCE):
                    continue
                if stray.weight is not None and not within(weight_sum(form), stray.weight, WEIGHT_TOLERANCE):
                    continue
                p.total_weight, p.total_score = stray.weight, stray.score
                candidate.sources.update(stray.sources())
                break


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

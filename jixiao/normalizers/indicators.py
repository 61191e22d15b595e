"""The indicator grid: header roles, row repair, level fill-down, value parsing.

Each data row is read by aligning its printed cells to the header's roles in
order (see align.py): a 二级指标 printed in the 一级指标 column, a row that lost
its level cells, padding between target and actual, all come back to the role
their content says they play. Where content is ambiguous, the header's column
positions decide.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from jixiao.normalizers.align import IMPOSSIBLE, align
from jixiao.normalizers.cleaning import clean_text, or_none
from jixiao.normalizers.flags import indicator_flags, target_met
from jixiao.normalizers.rows import RCell, Row
from jixiao.normalizers.values import (
    is_bare_unit,
    is_damaged_number,
    is_unreadable,
    lost_per_slash,
    parse_measure,
    parse_number,
)
from jixiao.normalizers.vocab import BLOCKS, COLUMNS, L1, L2, LEVEL2_PARENTS, Vocabulary, label_key, level1_weight
from jixiao.records import CellRecord, Indicator

ROLES = ("level1", "level2", "name", "target", "actual", "weight", "score", "note")
OTHER = "other"
_DROPPED_CELL = 5.0
# Below a clean figure's fit, above any other role's.
_DAMAGED_FIT = 1.2
# A word that is both a 一级 and a 二级 label: 成本指标 is read as 二级 and
# 满意度指标 as 一级 unless the row's other cells say otherwise.
_SHARED_AS_LEVEL2 = "成本指标"


@dataclass(slots=True)
class Header:
    roles: list[str]
    spans: list[tuple[int, int]] | None
    unmapped: list[str] = field(default_factory=list)

    def in_column(self, role: str, cell: RCell) -> bool:
        """The cell is printed under the header's column for the role."""
        if self.spans is None or role not in self.roles:
            return False
        start, stop = self.spans[self.roles.index(role)]
        return start <= cell.col < stop


DEFAULT_HEADER = Header(list(ROLES), None)


def _header_cells(row: Row) -> tuple[list[tuple[str, RCell]], list[RCell]]:
    mapped: list[tuple[str, RCell]] = []
    unmapped: list[RCell] = []
    for cell in row.cells:
        if cell.blank:
            continue
        role = COLUMNS.match(cell.text)
        if role is not None:
            mapped.append((role, cell))
        elif BLOCKS.match(cell.text) != "indicators":
            unmapped.append(cell)
    return _lost_numeral(mapped, unmapped)


_LEVELS = ("level1", "level2", "name")
# A level's header with its numeral lost or unreadable ("级指标", "=级指标"): a 1-bit fax or a
# faint copy drops the two thin strokes of 二 while the rest of the header reads.
_NUMERAL_LOST = re.compile(r"^\W?.?级指标$")


def _lost_numeral(mapped: list[tuple[str, RCell]],
                  unmapped: list[RCell]) -> tuple[list[tuple[str, RCell]], list[RCell]]:
    """The one level column a header lacks, named by the one "…级指标" cell no variant matched,
    where that cell stands between the other levels' columns in their order (一, 二, 三)."""
    named = {role: cell.col for role, cell in mapped if role in _LEVELS}
    missing = [role for role in _LEVELS if role not in named]
    lost = [cell for cell in unmapped if _NUMERAL_LOST.match("".join(cell.text.split()))]
    if len(missing) != 1 or len(lost) != 1:
        return mapped, unmapped
    order = [named.get(role, lost[0].col) for role in _LEVELS]
    if order != sorted(set(order)):
        return mapped, unmapped
    return [*mapped, (missing[0], lost[0])], [cell for cell in unmapped if cell is not lost[0]]


def _header(columns: list[tuple[str, RCell]], unmapped: list[RCell]) -> Header:
    columns = sorted(columns, key=lambda rc: rc[1].col)
    return Header(
        roles=[r for r, _ in columns],
        spans=[(c.col, c.col + c.span) for _, c in columns],
        unmapped=[c.text for c in unmapped],
    )


def indicator_header(row: Row) -> Header | None:
    """The row is the indicator grid's header when three or more cells name its columns."""
    mapped, unmapped = _header_cells(row)
    if len({r for r, _ in mapped}) < 3 or any(parse_number(c.text) is not None for c in unmapped):
        return None  # a header prints no figures; a data row always does
    return _header(mapped + [(OTHER, c) for c in unmapped], unmapped)


_VALUE_ROLES = {"target", "actual"}


def _family(role: str) -> str:
    return "value" if role in _VALUE_ROLES else role


def header_continuation(header: Header, row: Row) -> Header | None:
    """A second header row ("指标值" over "年度指标值 | 实际完成值") refines the columns it sits under.

    Exports that print a merged cell once ("指标值" as one cell over two columns)
    leave the first row a column short: a sub-label that lands on the next
    first-row column of another kind belongs to the merged cell, and the
    first-row columns from there on move one place right.
    """
    mapped, unmapped = _header_cells(row)
    if not mapped or unmapped or header.spans is None:
        return None
    subs = sorted(((role, cell.col, cell.col + cell.span) for role, cell in mapped), key=lambda s: s[1])
    parents = list(zip(header.roles, header.spans))
    columns: list[tuple[str, int, int]] = []
    used: set[int] = set()
    shift = 0
    for i, (role, (start, stop)) in enumerate(parents):
        start, stop = start + shift, stop + shift
        own = [k for k, (_, col, _) in enumerate(subs) if start <= col < stop and k not in used]
        if not own:
            columns.append((role, start, stop))
            continue
        next_start = parents[i + 1][1][0] + shift if i + 1 < len(parents) else None
        k = own[-1] + 1
        while k < len(subs) and _family(subs[k][0]) == _family(subs[own[-1]][0]):
            col = subs[k][1]
            if next_start is not None and col > next_start:
                break
            if next_start is not None and col == next_start:
                if _family(parents[i + 1][0]) == _family(subs[k][0]):
                    break
                shift += 1
                next_start += 1
            own.append(k)
            k += 1
        used.update(own)
        columns.extend(subs[j] for j in own)
    columns.extend(sub for k, sub in enumerate(subs) if k not in used)
    columns.sort(key=lambda c: c[1])
    return Header(roles=[r for r, _, _ in columns], spans=[(a, b) for _, a, b in columns], unmapped=header.unmapped)


@dataclass(frozen=True, slots=True)
class _Looks:
    """What a cell looks like, worked out once per cell rather than once per role."""

    blank: bool
    level1: str | None
    level2: str | None
    number: float | None
    damaged: bool = False  # a figure with marks read into it


def _looks(cell: RCell) -> _Looks:
    text = cell.text
    if cell.empty or is_unreadable(text):
        return _Looks(True, None, None, None)
    number = parse_number(text)
    return _Looks(False, L1.match(text), L2.match(text), number, number is None and is_damaged_number(text))


def _content_fit(role: str, looks: _Looks) -> float:
    if looks.blank:
        return IMPOSSIBLE if role in ("level1", "level2") else 0.0
    l1, l2, number = looks.level1, looks.level2, looks.number
    if role == "level1":
        if l1 is not None:
            return 1.5 if l2 is not None and l1 == _SHARED_AS_LEVEL2 else 3.0
        return IMPOSSIBLE if (l2 is not None or number is not None) else -3.0
    if role == "level2":
        if l2 is not None:
            return 1.5 if l1 is not None and l1 != _SHARED_AS_LEVEL2 else 3.0
        return IMPOSSIBLE if (l1 is not None or number is not None) else -3.0
    if looks.damaged and role in ("weight", "score"):
        return _DAMAGED_FIT  # stays in its column, read as unreadable
    if role == "weight":
        return 3.1 if number is not None and 0 <= number <= 100 else IMPOSSIBLE
    if role == "score":
        return 3.0 if number is not None and number >= 0 else IMPOSSIBLE
    vocab = l1 is not None or l2 is not None
    if role == "name":
        return -1.0 if vocab else (-0.5 if number is not None else 1.0)
    if role in ("target", "actual"):
        return -1.0 if vocab else 1.0
    if role == "note":
        return -1.0 if (vocab or number is not None or looks.damaged) else 1.0
    return 0.0


def read_row(header: Header, row: Row) -> dict[str, RCell]:
    """Which cell of the row plays which role.

    Positions count as evidence relative to where the row's level labels sit:
    a row whose 一级指标 landed one column left is read as shifted as a whole.
    """
    cells = row.printed()
    looks = {id(c): _looks(c) for c in cells}
    best: tuple[float, list[int | None]] | None = None
    for offset in _offsets(header, cells, looks):

        def fit(role_index: int, cell: RCell, offset: int = offset) -> float:
            role = header.roles[role_index]
            spans = header.spans
            at_home = spans is not None and spans[role_index][0] <= cell.col + offset < spans[role_index][1]
            if role == OTHER:
                return 0.0 if at_home else IMPOSSIBLE
            return _content_fit(role, looks[id(cell)]) + (1.0 if at_home else 0.0)

        roles, total = align(len(header.roles), cells, fit, lambda c: 0.0 if c.empty else _DROPPED_CELL)
        if best is None or total > best[0]:
            best = (total, roles)
    assert best is not None
    found = {header.roles[r]: c for c, r in zip(cells, best[1]) if r is not None and header.roles[r] != OTHER}
    lone = found.get("score")
    if lone is not None and "weight" not in found and not header.in_column("score", lone):
        # Exports truncate rows from the right, so a lone number is the 分值 whose 得分
        # fell off, unless it is printed in the 得分 column itself.
        found["weight"] = found.pop("score")
    return found


def _offsets(header: Header, cells: list[RCell], looks: dict[int, _Looks]) -> list[int]:
    """0, and the shifts that would put each printed level label in its own column."""
    offsets = [0]
    if header.spans is None:
        return offsets
    homes = {role: span[0] for role, span in zip(header.roles, header.spans)}
    for cell in cells:
        seen = looks[id(cell)]
        for role, canonical in (("level1", seen.level1), ("level2", seen.level2)):
            if canonical is not None and role in homes and homes[role] - cell.col not in offsets:
                offsets.append(homes[role] - cell.col)
    return offsets


@dataclass(slots=True)
class _Level:
    canonical: str | None
    raw: str | None
    weight: float | None = None
    cell: RCell | None = None  # where it was printed; None when inferred
    # The cell names two levels: the rule between two merged level cells was lost (a fax, a faint
    # copy), so which rows each level spans, and the raw text of each, are in doubt.
    doubt: bool = False


# The indicator column each role's cell feeds; a target or actual cell feeds its op, value and
# unit too, and a level cell its canonical name and weight, but is recorded once, by its raw text.
# Roles whose text a page break may split (`IndicatorReader._continues`), and those a row of its own prints.
_TAIL_ROLES = ("name", "target", "actual", "note")
_OWN_ROLES = ("level1", "level2", "weight", "score")
_ROLE_FIELDS = {"name": "name", "target": "target_raw", "actual": "actual_raw", "weight": "weight", "score": "score",
                "note": "deviation_note"}


def doubtful_print(cells: dict[str, RCell]) -> bool:
    """What flags a row's cells whatever the reader's confidence: a value printed as "#####", a weight
    or score with marks read into its figure, a target or actual read from an image as a price per
    thing without its "/" or as a unit alone."""
    return any((t := or_none(c.text)) is not None and is_unreadable(t) for c in cells.values()) or any(
        (c := cells.get(role)) is not None and is_damaged_number(c.text) for role in ("weight", "score")) or any(
        (c := cells.get(role)) is not None and c.recognised and (lost_per_slash(c.text) or is_bare_unit(c.text))
        for role in ("target", "actual"))


def names_two(vocab: Vocabulary, text: str) -> bool:
    """The label is two labels of the vocabulary run together ("产出指标\n效益指标")."""
    key = label_key(text)
    for cut in range(2, len(key) - 1):
        first, second = vocab.exact(key[:cut]), vocab.exact(key[cut:])
        if first is not None and second is not None and first != second:
            return True
    return False


@dataclass(slots=True)
class IndicatorReader:
    """Reads data rows one by one, carrying merged (or omitted) level cells down."""

    header: Header
    level1: _Level | None = None
    level2: _Level | None = None
    indicators: list[Indicator] = field(default_factory=list)
    cells: list[CellRecord] = field(default_factory=list)  # where the indicators' values were printed
    # The cells each indicator was read from, by role, in the order of `indicators`.
    sources: list[dict[str, RCell]] = field(default_factory=list)
    # The page of the last row read, and whether that row was an indicator's.
    _page: int | None = None
    _last_output: bool = False

    def add(self, row: Row) -> None:
        cells = read_row(self.header, row)
        continued = self._continues(row, cells)
        if row.page is not None:
            self._page = row.page
        # Any cell of the row read unsure, also one that fits no role (a mark read as "e" where a
        # score was printed): what the row printed there is in doubt.
        doubt = any(c.unsure for c in row.printed())
        if continued:
            self._join_tails(cells, doubt)
            return
        self._last_output = False
        self._update_levels(cells.get("level1"), cells.get("level2"))
        name = cells.get("name")
        if name is not None and _is_subtotal(name.text):
            return
        values = [cells.get(k) for k in ("target", "actual", "weight", "score", "note")]
        has_values = any(c is not None and not c.empty for c in values)
        if name is None or name.empty or not has_values:
            # A level-only row, or a template placeholder ("指标1：", "……") with
            # nothing measured: it drives the fill-down and is not output.
            return
        indicator = self._indicator(name, cells, doubt)
        self.indicators.append(indicator)
        self.sources.append(cells)
        self._record(indicator, cells)
        self._last_output = True

    def _continues(self, row: Row, cells: dict[str, RCell]) -> bool:
        """The row opens a page with the rest of the texts of the indicator that ended the page before:
        a page break split that row (a scan's pages are read one by one). It prints text under the
        indicator's texts only, each in its column, no figure of its own and no level."""
        if not self._last_output or row.page is None or self._page is None or row.page <= self._page:
            return False
        if any((c := cells.get(role)) is not None and not c.empty for role in _OWN_ROLES):
            return False
        tails = [(role, c) for role in _TAIL_ROLES if (c := cells.get(role)) is not None and not c.empty]
        return bool(tails) and all(self._under(role, tail) for role, tail in tails)

    def _under(self, role: str, tail: RCell) -> bool:
        """The tail is printed in the column of the last indicator's cell for its role."""
        head = self.sources[-1].get(role)
        if head is not None and not head.empty:
            return head.col <= tail.col < head.col + head.span
        return self.header.in_column(role, tail)

    def _join_tails(self, cells: dict[str, RCell], doubt: bool) -> None:
        """The last indicator read again with the tails joined to its texts; each tail's cell recorded.
        `doubt`: a cell of the tails' row was read unsure."""
        last = self.indicators.pop()
        merged = dict(self.sources.pop())
        self.cells = [c for c in self.cells if c.seq != last.seq]
        tails: list[tuple[str, RCell]] = []
        for role in _TAIL_ROLES:
            tail = cells.get(role)
            if tail is None or tail.empty:
                continue
            head = merged.get(role)
            if head is None or head.empty:
                merged[role] = tail
                continue
            merged[role] = replace(head, text=clean_text(f"{head.text}\n{tail.text}"), unsure=head.unsure or tail.unsure)
            tails.append((role, tail))
        indicator = self._indicator(merged["name"], merged, doubt or "unreadable_cell" in last.issues)
        self.indicators.append(indicator)
        self.sources.append(merged)
        self._record(indicator, merged)
        self.cells.extend(tail.record(_ROLE_FIELDS[role], indicator.seq) for role, tail in tails)

    def _record(self, indicator: Indicator, cells: dict[str, RCell]) -> None:
        """A `cells` row for each value of the indicator read from a cell (none for a null value)."""
        sources = [("level1_raw", self.level1.cell if self.level1 else None),
                   ("level2_raw", self.level2.cell if self.level2 else None),
                   *((column, cells.get(role)) for role, column in _ROLE_FIELDS.items())]
        for column, cell in sources:
            if cell is not None and getattr(indicator, column) is not None:
                self.cells.append(cell.record(column, indicator.seq))

    def _update_levels(self, l1_cell: RCell | None, l2_cell: RCell | None) -> None:
        if l1_cell is not None and not l1_cell.empty:
            canonical = L1.match(l1_cell.text)
            self.level1 = _Level(canonical, l1_cell.text, level1_weight(l1_cell.text), l1_cell,
                                 doubt=l1_cell.recognised and names_two(L1, l1_cell.text))
            if l2_cell is None and self.level2 is not None and canonical not in _parents(self.level2.canonical):
                self.level2 = None
        if l2_cell is not None and not l2_cell.empty:
            canonical = L2.match(l2_cell.text)
            self.level2 = _Level(canonical, l2_cell.text, cell=l2_cell, doubt=l2_cell.recognised and names_two(L2, l2_cell.text))
            parents = _parents(canonical)
            if l1_cell is None and parents and (self.level1 is None or self.level1.canonical not in parents):
                # 一级指标 not printed, or printed for another family: inferred, nothing raw.
                self.level1 = _Level(parents[0], None, doubt=self.level1 is not None and self.level1.doubt)

    def _indicator(self, name: RCell, cells: dict[str, RCell], doubt: bool) -> Indicator:
        """`doubt`: a cell of the row was read unsure, one that fits no role too."""
        l1, l2 = self.level1, self.level2
        level1 = l1.canonical if l1 else None
        if level1 is None and l2 is not None and _parents(l2.canonical):
            level1 = _parents(l2.canonical)[0]
        texts = {k: (or_none(c.text) if c is not None else None) for k, c in cells.items()}
        issues: list[str] = []
        doubt = doubt or any(level is not None and level.doubt for level in (l1, l2))
        if doubt or any(c.unsure for c in cells.values()) or doubtful_print(cells):
            issues.append("unreadable_cell")
        target = parse_measure(texts.get("target"))
        actual = parse_measure(texts.get("actual"))
        indicator = Indicator(
            seq=len(self.indicators),
            level1=_level(level1, l1),
            level1_raw=l1.raw if l1 else None,
            level1_weight=l1.weight if l1 else None,
            level2=_level(l2.canonical if l2 else None, l2),
            level2_raw=l2.raw if l2 else None,
            name=name.text,
            target_raw=texts.get("target"),
            target_op=target.op,
            target_value=target.value,
            target_unit=target.unit,
            actual_raw=texts.get("actual"),
            actual_value=actual.value,
            actual_unit=actual.unit,
            weight=_number(texts.get("weight")),
            score=_number(texts.get("score")),
            deviation_note=texts.get("note"),
            issues=issues,
        )
        indicator.target_met = target_met(indicator)
        issues.extend(indicator_flags(indicator))
        return indicator


def _level(canonical: str | None, printed: _Level | None) -> str:
    """The level's canonical name; a label outside the vocabulary as printed; "" where the
    form prints no level for the row (SCHEMA.md types both levels as never null)."""
    if canonical is not None:
        return canonical
    return (printed.raw or "") if printed else ""


def _is_subtotal(text: str) -> bool:
    """"小计", "产出指标合计": a sum over a group of rows, not an indicator."""
    key = label_key(text)
    for suffix in _SUBTOTAL_SUFFIXES:
        if key.endswith(suffix):
            head = key[: -len(suffix)]
            return not head or L1.match(head) is not None or L2.match(head) is not None
    return False


_SUBTOTAL_SUFFIXES = ("小计", "合计", "总计")


def _parents(level2: str | None) -> tuple[str, ...]:
    return LEVEL2_PARENTS.get(level2, ()) if level2 else ()


def _number(text: str | None) -> float | None:
    return None if text is None else parse_number(text)

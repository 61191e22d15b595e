"""Grid -> forms. Every rule about the 项目支出绩效自评表 lives in this package, and none about file formats.

Forms are given out one by one as the grid's rows are read (`normalized_forms`),
each as soon as nothing printed later in the file can change it, so that a file
of thousands of forms is never held whole. Two rules look across forms: a total
row printed after a later form's belongs to an earlier form without one, and a
year line printed once above several forms holds for all of them unless another
form prints its own. A form those rules may still change waits, in memory for a
few forms and on disk beyond them, until the file shows which way it goes.
"""
from __future__ import annotations

import pickle
import tempfile
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import IO

from jixiao.grid import Grid, GridStream
from jixiao.normalizers.forms import ParsedForm, StrayTotals, Total, finish, read_forms, record_cells
from jixiao.normalizers.keys import form_key
from jixiao.normalizers.rows import RCell, iter_rows
from jixiao.records import Form

# Forms held in memory while an earlier one waits; later ones wait on disk.
HELD_FORMS = 64


@dataclass(slots=True)
class Normalized:
    forms: list[Form] = field(default_factory=list)
    unmapped_headers: list[str] = field(default_factory=list)


def normalize(grid: Grid | GridStream) -> Normalized:
    result = Normalized()
    result.forms.extend(normalized_forms(grid, result.unmapped_headers))
    return result


@dataclass(slots=True)
class _Waiting:
    """What decides when a form read is final, kept in memory while the form itself may be on disk."""

    index: int
    own_year: bool
    titled: bool
    total: Total | None = None  # a stray total row printed later, given to this form


class _Years:
    """A year line printed once, above several forms, holds for all of them, and a table printed
    without a title of its own continues the form before; a form that prints its own title but no
    year has none. Which of these holds is known once a second form prints a year, or at the end."""

    def __init__(self) -> None:
        self.first: int | None = None
        self.first_cells: list[RCell] = []  # where the first form's year is printed
        self.first_has_year = False
        self.own = 0
        self.previous: int | None = None
        self.previous_cells: list[RCell] = []

    def read(self, index: int, item: ParsedForm) -> None:
        year = item.form.project.year
        if index == 0:
            self.first, self.first_has_year = year, year is not None
            self.first_cells = item.sources.get("year", [])
        self.own += year is not None

    def shared_known(self, ended: bool) -> bool:
        return ended or not self.first_has_year or self.own >= 2

    def shared(self) -> tuple[int | None, list[RCell]]:
        """The shared year and where it is printed."""
        return (self.first, self.first_cells) if self.first_has_year and self.own == 1 else (None, [])


class _Queue:
    """Forms in the order read: the first HELD_FORMS in memory, the rest pickled into a temporary file."""

    def __init__(self) -> None:
        self._held: deque[ParsedForm] = deque()
        self._spill: IO[bytes] | None = None
        self._spilled = 0
        self._read_at = 0

    def put(self, item: ParsedForm) -> None:
        if not self._spilled and len(self._held) < HELD_FORMS:
            self._held.append(item)
            return
        if self._spill is None:
            self._spill = tempfile.TemporaryFile(prefix="jixiao-forms-")  # noqa: SIM115 - closed by close()
        self._spill.seek(0, 2)
        pickle.dump(item, self._spill, protocol=pickle.HIGHEST_PROTOCOL)
        self._spilled += 1

    def pop(self) -> ParsedForm:
        if self._held:
            return self._held.popleft()
        assert self._spill is not None and self._spilled
        self._spill.seek(self._read_at)
        item = pickle.load(self._spill)  # our own temporary file
        self._read_at = self._spill.tell()
        self._spilled -= 1
        if not self._spilled:
            self.close()
        return item  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
        self._spill, self._spilled, self._read_at = None, 0, 0


def normalized_forms(grid: Grid | GridStream,
                     unmapped_headers: list[str] | None = None) -> Generator[Form, None, None]:
    """The grid's forms in order, each as soon as it is final; the headers no column was found for
    are added to `unmapped_headers` as the forms are read."""
    strays = StrayTotals()
    years = _Years()
    queue = _Queue()
    waiting: deque[_Waiting] = deque()
    by_index: dict[int, _Waiting] = {}

    def ready(w: _Waiting, ended: bool) -> bool:
        total_known = ended or w.index not in strays.open
        return total_known and (w.own_year or not w.titled or years.shared_known(ended))

    def final(item: ParsedForm, w: _Waiting) -> Form:
        p = item.form.project
        if w.total is not None:
            p.total_weight, p.total_score = w.total.weight, w.total.score
            item.sources.update(w.total.sources())
        form = finish(item)
        form.project.extractor = grid.extractor
        if p.year is None:
            # Where the year it takes over was printed, too.
            p.year, item.sources["year"] = years.shared() if item.titled else (years.previous, years.previous_cells)
        if p.year is None and item.unsure_preamble and "unreadable_cell" not in p.issues:
            p.issues.append("unreadable_cell")  # the year may be in the line that could not be read
        years.previous, years.previous_cells = p.year, item.sources.get("year", [])
        p.form_key = form_key(p)
        record_cells(item)
        return form

    def drain(ended: bool) -> Iterator[Form]:
        while waiting and ready(waiting[0], ended):
            w = waiting.popleft()
            del by_index[w.index]
            yield final(queue.pop(), w)

    try:
        index = 0
        for item in read_forms(iter_rows(grid)):
            if not item.is_form:
                continue
            p = item.form.project
            p.table_index = index
            if unmapped_headers is not None:
                unmapped_headers.extend(item.unmapped_headers)
            years.read(index, item)
            w = _Waiting(index, p.year is not None, item.titled)
            waiting.append(w)
            by_index[index] = w
            queue.put(item)
            for target, total in strays.add(index, item):
                by_index[target].total = total
            index += 1
            yield from drain(ended=False)
        yield from drain(ended=True)
    finally:
        queue.close()

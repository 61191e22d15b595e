"""The records a run produces, one dataclass per row of each dataset (SCHEMA.md)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from itertools import starmap
from operator import attrgetter
from typing import Any


@dataclass(slots=True)
class Indicator:
    seq: int
    level1: str
    level1_raw: str | None
    level1_weight: float | None
    level2: str
    level2_raw: str | None
    name: str
    target_raw: str | None
    target_op: str | None
    target_value: float | None
    target_unit: str | None
    actual_raw: str | None
    actual_value: float | None
    actual_unit: str | None
    weight: float | None
    score: float | None
    deviation_note: str | None
    target_met: bool | None = None
    issues: list[str] = field(default_factory=list)
    project_id: str = ""


@dataclass(slots=True)
class Project:
    table_index: int
    page_start: int | None = None
    page_end: int | None = None
    year: int | None = None
    project_name: str = ""
    department: str | None = None
    department_code: str | None = None
    implementing_unit: str | None = None
    implementing_unit_code: str | None = None
    project_lead: str | None = None
    contact_phone: str | None = None
    budget_initial: float | None = None
    budget_annual: float | None = None
    budget_executed: float | None = None
    budget_weight: float | None = None
    execution_rate: float | None = None
    budget_score: float | None = None
    fiscal_initial: float | None = None
    fiscal_annual: float | None = None
    fiscal_executed: float | None = None
    carryover_initial: float | None = None
    carryover_annual: float | None = None
    carryover_executed: float | None = None
    other_initial: float | None = None
    other_annual: float | None = None
    other_executed: float | None = None
    goal_expected: str | None = None
    goal_actual: str | None = None
    total_weight: float | None = None
    total_score: float | None = None
    self_rating: str | None = None
    indicator_count: int = 0
    issues: list[str] = field(default_factory=list)
    extractor: str = ""
    confidence: float = 1.0
    project_id: str = ""
    form_key: str = ""
    source_path: str = ""
    source_sha256: str = ""
    source_format: str = ""
    reader_version: str = ""


@dataclass(slots=True)
class CellRecord:
    """Where one output value was printed: a row of `cells`.

    One row per value read from a cell. A cell that feeds several columns is recorded once, by the
    column it is printed as: `target_raw` (for target_op/value/unit too), `actual_raw`, `level1_raw`
    (level1, level1_weight), `level2_raw`, `department` (department_code), `implementing_unit`.
    A goal text assembled from several cells has a row per cell, in reading order."""

    seq: int | None
    field: str
    text: str
    page: int | None
    x0: float | None
    top: float | None
    x1: float | None
    bottom: float | None
    confidence: float
    locator: str
    project_id: str = ""


@dataclass(slots=True)
class Form:
    """One 项目支出绩效自评表 as read: its project row, its indicator rows and where their values were printed."""

    project: Project
    indicators: list[Indicator] = field(default_factory=list)
    cells: list[CellRecord] = field(default_factory=list)

    def __reduce__(self) -> tuple[Any, ...]:
        # Forms travel from the process that read the file: their many small records pickle far
        # faster as plain tuples than one dataclass at a time.
        return _form, (_project_values(self.project), list(map(_indicator_values, self.indicators)),
                       list(map(_cell_values, self.cells)))


_project_values = attrgetter(*(f.name for f in fields(Project)))
_indicator_values = attrgetter(*(f.name for f in fields(Indicator)))
_cell_values = attrgetter(*(f.name for f in fields(CellRecord)))


def _form(project: tuple[Any, ...], indicators: list[tuple[Any, ...]], cells: list[tuple[Any, ...]]) -> Form:
    return Form(Project(*project), list(starmap(Indicator, indicators)), list(starmap(CellRecord, cells)))


@dataclass(slots=True)
class FileRecord:
    """One row of the run manifest (`files`)."""

    source_path: str
    source_sha256: str | None
    source_format: str | None
    status: str
    error: str | None
    forms: int
    seconds: float
    run_id: str
    finished_at: dt.datetime
    reader_version: str | None = None

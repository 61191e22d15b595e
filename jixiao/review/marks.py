"""What a reviewer is shown about each value: the flags it feeds and whether it was read with too little
confidence, said in words as well as in colour."""
from __future__ import annotations

from dataclasses import dataclass, field

from jixiao.normalizers.flags import (
    INDICATOR_FLAG_FIELDS,
    PROJECT_FLAG_FIELDS,
    SUMMED_FIELDS,
    explain_indicator_flag,
    explain_project_flag,
)
from jixiao.records import CellRecord, Form

# (seq, field): an indicator's column, or a project's with seq None.
Key = tuple[int | None, str]
OK, LOW, FLAG = "ok", "low", "flag"


@dataclass(frozen=True, slots=True)
class Finding:
    """One flag on a form: the rule, where (the project or an indicator's seq), and what it found."""

    flag: str
    seq: int | None
    detail: str
    fields: tuple[Key, ...]


@dataclass(slots=True)
class Marks:
    findings: list[Finding] = field(default_factory=list)
    feeds: dict[Key, list[str]] = field(default_factory=dict)  # the flags each value feeds
    min_confidence: float = 0.0

    def status(self, cell: CellRecord) -> str:
        if (cell.seq, cell.field) in self.feeds:
            return FLAG
        return LOW if self.low(cell) else OK

    def low(self, cell: CellRecord) -> bool:
        return cell.confidence < self.min_confidence

    def words(self, cell: CellRecord) -> list[str]:
        """The status in words: the flags the value feeds, and a low confidence."""
        said = [f"feeds {flag}" for flag in self.feeds.get((cell.seq, cell.field), [])]
        if self.low(cell):
            said.append(f"low confidence {cell.confidence:.2f}")
        return said


def form_marks(form: Form, min_confidence: float) -> Marks:
    marks = Marks(min_confidence=min_confidence)
    for flag in form.project.issues:
        keys: list[Key] = [(None, column) for column in PROJECT_FLAG_FIELDS.get(flag, ())]
        keys += [(i.seq, column) for i in form.indicators for column in SUMMED_FIELDS.get(flag, ())]
        marks.findings.append(Finding(flag, None, explain_project_flag(flag, form), tuple(keys)))
    for indicator in form.indicators:
        for flag in indicator.issues:
            keys = [(indicator.seq, column) for column in INDICATOR_FLAG_FIELDS.get(flag, ())]
            marks.findings.append(Finding(flag, indicator.seq, explain_indicator_flag(flag, indicator), tuple(keys)))
    for finding in marks.findings:
        for key in finding.fields:
            marks.feeds.setdefault(key, []).append(finding.flag)
    return marks

"""`unreadable_cell` where the form contradicts a figure that was read with any doubt.

The reader's confidence alone flags a cell read with less than the grid's `min_confidence`. A
form also checks itself: a score is no more than its weight, the scores and weights add up to the
total row, the execution rate is what the amounts give and the budget score what the rate gives.
Where a check fails and one of the figures it uses was read with less than `CONTRADICTED`
confidence, that figure is taken as misread: the indicator (or, for the head, budget and total
rows, the project) it feeds is flagged; where the weights do not add up, so is a row read without
a weight among rows that print one. A check that fails on figures read with full confidence
is the form's own error, and keeps only its own flag (SCHEMA.md § Issue flags).

What a row prints is evidence too, whatever the reader's confidence: an actual read as a bare figure
(no unit, no sign) where the target prints no figure at all ("提高" read "1", a "—" read "1") was
misread; no row of the corpus gold or the seeds' gold pairs such a target with such an actual. So
was an actual that misses its target in a row given full marks (`unmet_target_full_score`) where its
figure is the target's with a "1" added at one end ("等于7" and "71", "≤8880元" and "18880"): the
cell's ruled edge read as a digit; no row of the gold has such a pair of figures.

A check that holds confirms the figures it uses: where every row prints a weight and they add up to
the total row's, a weight read unsure was read right (a misread figure would break the sum, and the
total is read apart from it); so for the scores. A row flagged only for such figures is cleared.
"""
from __future__ import annotations

import re

from jixiao.normalizers.budget import BudgetRow
from jixiao.normalizers.indicators import doubtful_print, names_two
from jixiao.normalizers.rows import RCell
from jixiao.normalizers.vocab import L1, L2
from jixiao.records import Form, Indicator

FLAG = "unreadable_cell"
# Measured on scans of the corpus in every condition of tests/scanlib.py (bench/bench_scans.py):
# misread figures the form contradicts were read with less; figures read right, with more.
CONTRADICTED = 0.97

# A row without a weight is a weight lost only where at least this share of rows print one.
_MOST = 0.75
# A figure alone: no unit, no comparison, no sign.
_BARE_FIGURE = re.compile(r"\s*\d+(?:\.\d+)?\s*")
_DIGIT = re.compile(r"\d")
_FIGURES = re.compile(r"\d+(?:\.\d+)?")
# Where a figure of the project came from: (budget row label, slot).
_BUDGET_TOTAL = "budget_total"


def _doubtful(cell: RCell | None) -> bool:
    return cell is not None and cell.confidence < CONTRADICTED


def _add(issues: list[str]) -> None:
    if FLAG not in issues:
        issues.append(FLAG)


def flag_contradicted(form: Form, sources: list[dict[str, RCell]], budget: list[BudgetRow],
                      total: dict[str, RCell]) -> None:
    """Add `unreadable_cell` where a failed check points at a figure read with doubt.

    `sources`: each indicator's cells by role, in the order of `form.indicators`; `budget`: the
    budget rows as read; `total`: the total row's "weight" and "score" cells."""
    project = form.project
    _clear_confirmed(form, sources)
    totals = next((row.cells for row in budget if row.label == _BUDGET_TOTAL), {})
    for indicator, cells in zip(form.indicators, sources, strict=True):
        if "score_exceeds_weight" in indicator.issues and (
                _doubtful(cells.get("score")) or _doubtful(cells.get("weight"))):
            _add(indicator.issues)
    for role, flag in (("score", "scores_sum_mismatch"), ("weight", "weights_sum_mismatch")):
        if flag not in project.issues:
            continue
        # One figure of the sum is misread: the least sure of them, if any is unsure at all.
        terms: list[tuple[RCell, list[str]]] = [
            (cells[role], indicator.issues) for indicator, cells in zip(form.indicators, sources) if role in cells]
        terms += [(cell, project.issues) for cell in (totals.get(role), total.get(role)) if cell is not None]
        if terms:
            cell, issues = min(terms, key=lambda term: term[0].confidence)
            if _doubtful(cell):
                _add(issues)
    if "weights_sum_mismatch" in project.issues:
        _flag_lost_weights(form, sources)
    _flag_figures_for_words(form, sources)
    _flag_edges_read_as_one(form, sources)
    checks = {"execution_rate_mismatch": ("annual", "executed", "rate"),
              "budget_score_mismatch": ("weight", "rate", "score")}
    for flag, slots in checks.items():
        if flag in project.issues and any(_doubtful(totals.get(slot)) for slot in slots):
            _add(project.issues)


def _flag_lost_weights(form: Form, sources: list[dict[str, RCell]]) -> None:
    """A row read from an image without a weight, where most rows print one and the weights do not add
    up: the figure missing from the sum was lost (a cell read empty, a figure cut at a rule), however
    sure the reader was of what it read. Forms print a weight in every indicator row (every form of
    the corpus gold does), so a row without one is where the sum went wrong."""
    lost = [indicator for indicator, cells in zip(form.indicators, sources, strict=True)
            if indicator.weight is None and any(cell.recognised for cell in cells.values())]
    if lost and len(form.indicators) - len(lost) >= _MOST * len(form.indicators):
        for indicator in lost:
            _add(indicator.issues)


def _flag_figures_for_words(form: Form, sources: list[dict[str, RCell]]) -> None:
    """A row whose actual was read from an image as a bare figure while its target prints no figure:
    a word or a dash read as digits ("提高" read "1"), however sure the reader was."""
    for indicator, cells in zip(form.indicators, sources, strict=True):
        actual = cells.get("actual")
        target = indicator.target_raw
        if (actual is not None and actual.recognised and _BARE_FIGURE.fullmatch(actual.text)
                and target is not None and not _DIGIT.search(target)):
            _add(indicator.issues)


def _flag_edges_read_as_one(form: Form, sources: list[dict[str, RCell]]) -> None:
    """A row given full marks whose actual, read from an image, misses the target only by a "1" at one
    end of the target's figure: a rule beside the figure read as a digit, however sure the reader was."""
    for indicator, cells in zip(form.indicators, sources, strict=True):
        actual = cells.get("actual")
        if actual is None or not actual.recognised or "unmet_target_full_score" not in indicator.issues:
            continue
        target, got = _FIGURES.findall(indicator.target_raw or ""), _FIGURES.findall(actual.text)
        if len(target) == 1 and len(got) == 1 and got[0] in ("1" + target[0], target[0] + "1"):
            _add(indicator.issues)


def _clear_confirmed(form: Form, sources: list[dict[str, RCell]]) -> None:
    """`unreadable_cell` taken off rows whose only cells read unsure are weights or scores that the
    total confirms: every row prints one, the total row prints theirs, and they add up to it."""
    project = form.project
    confirmed = {role for role, total, flag in (("weight", project.total_weight, "weights_sum_mismatch"),
                                               ("score", project.total_score, "scores_sum_mismatch"))
                 if total is not None and flag not in project.issues
                 and all(getattr(indicator, role) is not None for indicator in form.indicators)}
    if not confirmed:
        return
    for indicator, cells in zip(form.indicators, sources, strict=True):
        unsure = {role for role, cell in cells.items() if cell.unsure}
        if FLAG in indicator.issues and unsure and unsure <= confirmed and not _other_doubt(indicator, cells):
            indicator.issues.remove(FLAG)


def _other_doubt(indicator: Indicator, cells: dict[str, RCell]) -> bool:
    """What else flags a row whatever its confidences (indicators.py): a level cell naming two levels,
    or what its cells print (`doubtful_print`)."""
    levels = (indicator.level1_raw, indicator.level2_raw)
    if any(raw is not None and (names_two(L1, raw) or names_two(L2, raw)) for raw in levels):
        return True
    return doubtful_print(cells)

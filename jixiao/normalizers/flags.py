"""Data-quality flags (SCHEMA.md § Issue flags): computed from the printed numbers, never fixing them."""
from __future__ import annotations

from jixiao.normalizers.rating import band
from jixiao.records import Form, Indicator

WEIGHT_TOLERANCE = 0.01
SCORE_TOLERANCE = 0.05
RATE_TOLERANCE = 0.01
# An indicator's score "equals" its weight, or falls short of it, beyond printing's rounding.
FULL_SCORE_TOLERANCE = 0.005
# `=` targets: met when the actual value is within this share of the target.
EQUAL_TOLERANCE = 0.005
COST_LEVELS = frozenset({"成本指标", "经济成本指标", "社会成本指标", "生态环境成本指标"})
# Printed figures are decimals and floats are not: 10 - 9.995 is 0.00500000000000078. A
# difference counts as beyond a tolerance only past this much of the figures' size.
_FLOAT_SLACK = 1e-9


def within(a: float, b: float, tolerance: float) -> bool:
    """|a - b| ≤ tolerance, for figures as printed."""
    return abs(a - b) <= tolerance + _FLOAT_SLACK * max(1.0, abs(a), abs(b))


def target_met(indicator: Indicator) -> bool | None:
    """SCHEMA.md § indicators `target_met`: direction from the operator, or from a cost level when none is printed;
    null unless both values are numbers in the same unit."""
    target, actual = indicator.target_value, indicator.actual_value
    if target is None or actual is None or indicator.target_unit != indicator.actual_unit:
        return None
    op = indicator.target_op
    if op == "=":
        return within(actual, target, EQUAL_TOLERANCE * abs(target))
    if op is None:
        op = "≤" if {indicator.level1, indicator.level2} & COST_LEVELS else "≥"
    if op == "≥":
        return actual >= target
    if op == ">":
        return actual > target
    if op == "≤":
        return actual <= target
    return actual < target


def indicator_flags(indicator: Indicator) -> list[str]:
    """The audit flags of one indicator row, once `target_met` is known."""
    flags: list[str] = []
    weight, score = indicator.weight, indicator.score
    if weight is not None and score is not None and score > weight:
        flags.append("score_exceeds_weight")
    short_of_weight = weight is not None and score is not None and score < weight and not within(
        score, weight, FULL_SCORE_TOLERANCE)
    if (short_of_weight or indicator.target_met is False) and indicator.deviation_note is None:
        flags.append("missing_deviation_note")
    if indicator.target_met is False and weight is not None and score is not None and within(
            score, weight, FULL_SCORE_TOLERANCE):
        flags.append("unmet_target_full_score")
    return flags


def weight_sum(form: Form) -> float:
    return (form.project.budget_weight or 0.0) + sum(i.weight or 0.0 for i in form.indicators)


def score_sum(form: Form) -> float:
    return (form.project.budget_score or 0.0) + sum(i.score or 0.0 for i in form.indicators)


def project_flags(form: Form, has_budget: bool) -> list[str]:
    p = form.project
    flags: list[str] = []
    if p.total_weight is None and p.total_score is None:
        flags.append("missing_total")
    if p.total_weight is not None and not within(weight_sum(form), p.total_weight, WEIGHT_TOLERANCE):
        flags.append("weights_sum_mismatch")
    if p.total_score is not None and not within(score_sum(form), p.total_score, SCORE_TOLERANCE):
        flags.append("scores_sum_mismatch")
    rate = p.execution_rate
    if rate is not None and p.budget_executed is not None and p.budget_annual and not within(
            p.budget_executed / p.budget_annual, rate, RATE_TOLERANCE):
        flags.append("execution_rate_mismatch")
    if rate is not None and p.budget_weight is not None and p.budget_score is not None and not within(
            min(rate, 1.0) * p.budget_weight, p.budget_score, SCORE_TOLERANCE):
        flags.append("budget_score_mismatch")
    if not has_budget:
        flags.append("missing_budget")
    if p.self_rating is not None and p.total_score is not None and band(p.total_score) != p.self_rating:
        flags.append("rating_mismatch")
    return flags


# The values each flag is worked out from, so a reader can be pointed at them: a project flag's
# project columns, the indicator columns of every row it sums, and an indicator flag's columns.
PROJECT_FLAG_FIELDS: dict[str, tuple[str, ...]] = {
    "weights_sum_mismatch": ("budget_weight", "total_weight"),
    "scores_sum_mismatch": ("budget_score", "total_score"),
    "execution_rate_mismatch": ("budget_executed", "budget_annual", "execution_rate"),
    "budget_score_mismatch": ("execution_rate", "budget_weight", "budget_score"),
    "rating_mismatch": ("self_rating", "total_score"),
}
SUMMED_FIELDS: dict[str, tuple[str, ...]] = {"weights_sum_mismatch": ("weight",), "scores_sum_mismatch": ("score",)}
INDICATOR_FLAG_FIELDS: dict[str, tuple[str, ...]] = {
    "score_exceeds_weight": ("weight", "score"),
    "missing_deviation_note": ("target_raw", "actual_raw", "weight", "score"),
    "unmet_target_full_score": ("target_raw", "actual_raw", "weight", "score"),
}
RATING_BANDS = ((90.0, "优"), (80.0, "良"), (60.0, "中"), (float("-inf"), "差"))


def _n(value: float | None) -> str:
    return "—" if value is None else f"{value:.6g}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.4g}%"


def explain_project_flag(flag: str, form: Form) -> str:
    """What a project flag found, printed against computed, e.g. "budget_score printed 9.5, computed 10"."""
    p, count = form.project, len(form.indicators)
    if flag == "weights_sum_mismatch":
        return (f"total_weight printed {_n(p.total_weight)}, computed {_n(weight_sum(form))} (budget_weight "
                f"{_n(p.budget_weight)} + the weights of {count} indicators)")
    if flag == "scores_sum_mismatch":
        return (f"total_score printed {_n(p.total_score)}, computed {_n(score_sum(form))} (budget_score "
                f"{_n(p.budget_score)} + the scores of {count} indicators)")
    if flag == "execution_rate_mismatch" and p.budget_executed is not None and p.budget_annual:
        return (f"execution_rate printed {_pct(p.execution_rate)}, computed {_pct(p.budget_executed / p.budget_annual)}"
                f" (budget_executed {_n(p.budget_executed)} / budget_annual {_n(p.budget_annual)})")
    if flag == "budget_score_mismatch" and p.execution_rate is not None and p.budget_weight is not None:
        expected = min(p.execution_rate, 1.0) * p.budget_weight
        return (f"budget_score printed {_n(p.budget_score)}, computed {_n(expected)} (min(execution_rate "
                f"{_pct(p.execution_rate)}, 1) × budget_weight {_n(p.budget_weight)})")
    if flag == "rating_mismatch" and p.total_score is not None:
        band = next(name for floor, name in RATING_BANDS if p.total_score >= floor)
        return f"self_rating printed {p.self_rating}, the band of total_score {_n(p.total_score)} is {band}"
    if flag == "missing_total":
        return "no 总分 / 总计 / 合计 row was found"
    if flag == "missing_budget":
        return "no 年度资金总额 row was found"
    if flag == "unreadable_cell":
        return "a cell of the form's head, budget or total was printed as ##### or read below the confidence threshold"
    return flag


def explain_indicator_flag(flag: str, indicator: Indicator) -> str:
    """What an indicator flag found, e.g. "score printed 6 > weight 5"."""
    i = indicator
    unmet = f"target {i.target_raw} not met by actual {i.actual_raw}"
    if flag == "score_exceeds_weight":
        return f"score printed {_n(i.score)} > weight {_n(i.weight)}"
    if flag == "missing_deviation_note":
        short = i.weight is not None and i.score is not None and i.score < i.weight - FULL_SCORE_TOLERANCE
        why = f"score {_n(i.score)} < weight {_n(i.weight)}" if short else unmet
        return f"{why}, and no deviation note is printed"
    if flag == "unmet_target_full_score":
        return f"{unmet}, yet score {_n(i.score)} = weight {_n(i.weight)}"
    if flag == "unreadable_cell":
        return "a cell of this row was printed as ##### or read below the confidence threshold"
    return flag

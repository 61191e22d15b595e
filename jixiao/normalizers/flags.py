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

"""Data-quality flags (SCHEMA.md § Issue flags): computed from the printed numbers, never fixing them."""
from __future__ import annotations

from jixiao.pipeline.records import Form

WEIGHT_TOLERANCE = 0.01
SCORE_TOLERANCE = 0.05
RATE_TOLERANCE = 0.01


def weight_sum(form: Form) -> float:
    return (form.project.budget_weight or 0.0) + sum(i.weight or 0.0 for i in form.indicators)


def score_sum(form: Form) -> float:
    return (form.project.budget_score or 0.0) + sum(i.score or 0.0 for i in form.indicators)


def project_flags(form: Form, has_budget: bool) -> list[str]:
    p = form.project
    flags: list[str] = []
    if p.total_weight is None and p.total_score is None:
        flags.append("missing_total")
    if p.total_weight is not None and abs(weight_sum(form) - p.total_weight) > WEIGHT_TOLERANCE:
        flags.append("weights_sum_mismatch")
    if p.total_score is not None and abs(score_sum(form) - p.total_score) > SCORE_TOLERANCE:
        flags.append("scores_sum_mismatch")
    rate = p.execution_rate
    if rate is not None and p.budget_executed is not None and p.budget_annual:
        executed_share = p.budget_executed / p.budget_annual
        if abs(executed_share - rate) > RATE_TOLERANCE:
            flags.append("execution_rate_mismatch")
    if rate is not None and p.budget_weight is not None and p.budget_score is not None:
        expected_score = min(rate, 1.0) * p.budget_weight
        if abs(expected_score - p.budget_score) > SCORE_TOLERANCE:
            flags.append("budget_score_mismatch")
    if not has_budget:
        flags.append("missing_budget")
    return flags

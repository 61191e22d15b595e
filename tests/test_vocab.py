"""Label mapping: header variants, broken labels, one wrong character."""
from __future__ import annotations

import pytest

from jixiao.normalizers.vocab import BLOCKS, BUDGET, COLUMNS, L1, L2, level1_weight


@pytest.mark.parametrize(
    ("printed", "role"),
    [
        ("偏差原因分析及改进措施", "note"),
        ("未完成原因分析", "note"),
        ("偏差原因分析", "note"),
        ("原因分析及改进措施", "note"),
        ("年度\n指标值", "target"),
        ("全年指标值", "target"),
        ("指标值", "target"),
        ("实际\n完成值", "actual"),
        ("实际值", "actual"),
        ("分值", "weight"),
        ("权重", "weight"),
        ("得分", "score"),
        ("评分", "score"),
        ("三级指标", "name"),
        ("偏差原因分析及改进措旋", "note"),  # OCR: one wrong character
        ("年度指标直", "target"),
        ("指标权重", "weight"),  # not listed: read by the word that gives its meaning
        ("权重(%)", "weight"),
        ("未完成原因及改进措施", "note"),
        ("实际完成数", "actual"),
        ("项目名称", None),
        ("指标性质", None),
    ],
)
def test_indicator_columns(printed: str, role: str | None) -> None:
    assert COLUMNS.match(printed) == role


@pytest.mark.parametrize(
    ("printed", "label"),
    [
        ("总分", "total"), ("总 分", "total"), ("总计", "total"), ("合计", "total"),
        ("其中：当年财政拨款", "budget_fiscal"), ("其中:本年财政拨款", "budget_fiscal"),
        ("年度资金总额:", "budget_total"), ("上年结转资金", "budget_carryover"), ("  其他资金", "budget_other"),
        ("项目资金（万元）", "funds"), ("项 目 名 称", "project_name"), ("主管部门及代码", "department"),
        ("绩\n效\n指\n标", "indicators"), ("年度 总体 目标", "goal"), ("预期目标", "goal_expected"),
        ("实际完成情况", "goal_actual"), ("项目负责人", "project_lead"), ("联系电话", "contact_phone"),
    ],
)
def test_block_labels(printed: str, label: str) -> None:
    assert BLOCKS.match(printed) == label


@pytest.mark.parametrize(
    ("printed", "slot"),
    [("年初     预算数", "initial"), ("全年预算数", "annual"), ("全年\n执行数", "executed"), ("执行率", "rate")],
)
def test_budget_columns(printed: str, slot: str) -> None:
    assert BUDGET.match(printed) == slot


@pytest.mark.parametrize(
    ("printed", "level1"),
    [("产出指标", "产出指标"), ("产出 指标 (40分)", "产出指标"), ("效果指标", "效益指标"), ("效益指标（30分）", "效益指标"),
     ("满意度\n指标", "满意度指标"), ("成本指标", "成本指标"), ("数量指标", None)],
)
def test_level1(printed: str, level1: str | None) -> None:
    assert L1.match(printed) == level1


@pytest.mark.parametrize(
    ("printed", "level2"),
    [("社会效益", "社会效益指标"), ("社会效益\n指标", "社会效益指标"), ("可持续影响", "可持续影响指标"),
     ("服务对象 满意度 指标", "服务对象满意度指标"), ("经济成本指标", "经济成本指标"), ("数星指标", "数量指标"),
     ("绩效指标", None), ("产出指标", None)],
)
def test_level2(printed: str, level2: str | None) -> None:
    assert L2.match(printed) == level2


def test_a_misprint_close_to_two_labels_is_not_guessed() -> None:
    # 重量指标 is one character from both 数量指标 and 质量指标.
    assert L2.match("重量指标") is None


@pytest.mark.parametrize(("printed", "weight"), [("产出 指标 (40分)", 40.0), ("效益指标（30.5分）", 30.5), ("产出指标", None)])
def test_level1_weight(printed: str, weight: float | None) -> None:
    assert level1_weight(printed) == weight

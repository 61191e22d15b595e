"""The audit rules of SCHEMA.md at their edges: target_met (≥ vs >, cost direction, units, = within 0.5%),
the indicator flags' tolerances, self_rating as forms print it and rating_mismatch's bands. Rows are made
here as a form would print them; forms are text exports read by the real extractor."""
from __future__ import annotations

import pytest
from test_other_styles import FORM_C, read

from jixiao.normalizers.flags import indicator_flags, target_met
from jixiao.normalizers.rating import band, parse_grade
from jixiao.normalizers.values import parse_measure
from jixiao.records import Indicator


def indicator(target: str | None, actual: str | None, weight: float | None = 10.0, score: float | None = 10.0,
              level1: str = "产出指标", level2: str = "数量指标", note: str | None = None) -> Indicator:
    """An indicator row as the reader makes it from printed cells, flags included."""
    t, a = parse_measure(target), parse_measure(actual)
    row = Indicator(seq=0, level1=level1, level1_raw=level1, level1_weight=None, level2=level2, level2_raw=level2,
                    name="指标", target_raw=target, target_op=t.op, target_value=t.value, target_unit=t.unit,
                    actual_raw=actual, actual_value=a.value, actual_unit=a.unit, weight=weight, score=score,
                    deviation_note=note)
    row.target_met = target_met(row)
    row.issues = indicator_flags(row)
    return row


@pytest.mark.parametrize(("target", "actual", "met"), [
    ("≥90%", "90%", True), ("≥90%", "89.99%", False), ("不低于90%", "90%", True),
    (">90%", "90%", False), (">90%", "90.01%", True),
    ("≤3天", "3天", True), ("≤3天", "3.01天", False), ("不超过3天", "3天", True),
    ("<3天", "3天", False), ("<3天", "2.99天", True),
    ("=200本", "201本", True), ("=200本", "199本", True),  # 0.5% of 200 either way
    ("=200本", "201.01本", False), ("=200本", "198.99本", False),
    ("=90", "90.45", True), ("=90", "89.55", True), ("=90", "90.46", False),  # 0.45 is 0.5% of 90
    ("等于0", "0", True), ("等于0", "0.01", False),
    ("95%", "95%", True), ("95%", "94%", False), ("95%", "96%", True),  # no operator: higher is better
])
def test_target_met_by_operator(target: str, actual: str, met: bool) -> None:
    assert indicator(target, actual).target_met is met


@pytest.mark.parametrize(("level1", "level2"), [("产出指标", "成本指标"), ("成本指标", "经济成本指标"),
                                                ("成本指标", "社会成本指标"), ("成本指标", "生态环境成本指标"),
                                                ("成本指标", "")])
def test_a_cost_target_without_operator_is_an_upper_bound(level1: str, level2: str) -> None:
    assert indicator("6000元", "5800元", level1=level1, level2=level2).target_met is True
    assert indicator("6000元", "6000元", level1=level1, level2=level2).target_met is True
    assert indicator("6000元", "6001元", level1=level1, level2=level2).target_met is False
    # A printed operator wins over the direction of the level.
    assert indicator("≥6000元", "5800元", level1=level1, level2=level2).target_met is False


@pytest.mark.parametrize(("target", "actual", "met"), [
    ("≥100万元", "120元", None), ("≥95%", "0.96", None), ("≥1200人", "1300人次", None),
    ("按时完成", "按时完成", None), ("2024年10月", "2024年10月", None), ("1-2工作日", "1工作日", None),
    ("≥12", "12", True), ("≦20万", "19万", True),  # no unit on either side counts as the same unit
])
def test_target_met_needs_two_numbers_in_one_unit(target: str, actual: str, met: bool | None) -> None:
    assert indicator(target, actual).target_met is met


@pytest.mark.parametrize(("weight", "score", "note", "flags"), [
    (10, 10, None, []),
    (10, 9.995, None, []),  # short by 0.005: printing's rounding, not a deviation
    (10, 9.994, None, ["missing_deviation_note"]),
    (10, 9.994, "部分延期", []),
    (10, 10.01, None, ["score_exceeds_weight"]),
    (10, 10.005, None, ["score_exceeds_weight"]),  # above the weight, however little
])
def test_flags_of_a_met_target(weight: float, score: float, note: str | None, flags: list[str]) -> None:
    assert indicator("≥90%", "95%", weight=weight, score=score, note=note).issues == flags


@pytest.mark.parametrize(("score", "note", "flags"), [
    (10, None, ["missing_deviation_note", "unmet_target_full_score"]),
    (9.995, None, ["missing_deviation_note", "unmet_target_full_score"]),  # = weight within 0.005
    (10.005, None, ["score_exceeds_weight", "missing_deviation_note", "unmet_target_full_score"]),
    (10, "设备到货延迟", ["unmet_target_full_score"]),
    (9.994, "设备到货延迟", []),
    (8, None, ["missing_deviation_note"]),
])
def test_flags_of_an_unmet_target(score: float, note: str | None, flags: list[str]) -> None:
    assert indicator("≥90%", "85%", weight=10, score=score, note=note).issues == flags


def test_unknown_target_met_raises_no_target_flag() -> None:
    row = indicator("按时完成", "基本完成", weight=10, score=10)
    assert (row.target_met, row.issues) == (None, [])


@pytest.mark.parametrize(("text", "grade"), [
    ("优", "优"), ("“良”", "良"), ("中", "中"), ("差", "差"),
    ("优秀", "优"), ("良好", "良"), ("中等", "中"), ("较差", "差"), ("良好等级", "良"),
    ("合格", "中"), ("不合格", "差"), ("一般", "中"),  # older four-band scales, the same bands
    ("☑优 □良 □中 □差", "优"), ("□优 ☑良 □中 □差", "良"), ("优(√) 良( ) 中( ) 差( )", "优"),
    ("优(95分)", "优"), ("综合评价等级为“良”。", "良"), ("该项目自评得分89分，自评等级为良好。", "良"),
    ("自评结果：优秀", "优"),
    ("优 良 中 差", None), ("□优 □良 □中 □差", None), ("取得了良好的社会效益", None), ("差异较小", None),
    ("达标", None), ("95", None), ("A", None),
])
def test_grades_as_forms_print_them(text: str, grade: str | None) -> None:
    assert parse_grade(text) == grade


@pytest.mark.parametrize(("score", "grade"), [(100, "优"), (90, "优"), (89.99, "良"), (80, "良"), (79.99, "中"),
                                              (60, "中"), (59.99, "差"), (0, "差")])
def test_bands_of_the_total_score(score: float, grade: str) -> None:
    assert band(score) == grade


TOTAL = "总分\t\t\t\t\t\t100\t89\t"  # FORM_C's total row: 良


@pytest.mark.parametrize(("rows", "grade"), [
    ([TOTAL, "自评等级\t良"], "良"),
    ([TOTAL, "自评等级：良"], "良"),
    ([TOTAL, "评价等级\t良好"], "良"),
    ([TOTAL, "自评结果\t良\t自评得分\t89"], "良"),
    ([TOTAL, "评价结论\t项目总体完成较好，综合评价等级为“良”。"], "良"),
    ([TOTAL.rstrip("\t") + "\t自评等级：良"], "良"),  # printed in the total row after its figures
    (["自评等级\t良", TOTAL], "良"),  # between the grid and its total
    ([TOTAL, "评价结论\t项目总体完成较好。"], None),  # a conclusion that states no grade
    ([TOTAL], None),
])
def test_self_rating_rows_are_read_and_are_no_indicators(rows: list[str], grade: str | None) -> None:
    (form,) = read(FORM_C[:-1] + rows)
    p = form.project
    assert p.self_rating == grade
    assert [i.name for i in form.indicators] == ["路灯数量", "夜间出行安全"]
    assert (p.total_weight, p.total_score, p.issues) == (100.0, 89.0, [])


def test_a_rating_row_before_the_goals_does_not_disturb_them() -> None:
    goals = ["年度总体目标\t预期目标\t保障路灯运行。", "\t实际完成情况\t路灯亮灯率99%。"]
    (form,) = read(FORM_C + ["自评等级\t良"] + goals)
    assert (form.project.goal_expected, form.project.goal_actual) == ("保障路灯运行。", "路灯亮灯率99%。")
    (form,) = read(FORM_C + goals + ["自评等级：良"])
    assert (form.project.self_rating, form.project.goal_actual) == ("良", "路灯亮灯率99%。")


@pytest.mark.parametrize(("total", "grade", "mismatch"), [
    ("90", "优", False), ("89.99", "优", True), ("89.99", "良", False), ("80", "良", False), ("79.5", "良", True),
    ("60", "中", False), ("59", "中", True), ("59", "差", False), ("95", "良", True), ("95", "合格", True),
])
def test_rating_mismatch_at_the_band_edges(total: str, grade: str, mismatch: bool) -> None:
    lines = FORM_C[:-1] + [f"总分\t\t\t\t\t\t100\t{total}\t", f"自评等级\t{grade}"]
    (form,) = read(lines)
    assert ("rating_mismatch" in form.project.issues) is mismatch


def test_no_rating_mismatch_without_a_total_score() -> None:
    (form,) = read(FORM_C[:-1] + ["自评等级\t优"])
    assert form.project.self_rating == "优" and "rating_mismatch" not in form.project.issues


def test_a_row_under_no_level_carries_empty_levels() -> None:
    """SCHEMA types level1 and level2 as never null: a grid that prints no 一级/二级指标 gives ""; a
    level outside the vocabulary is kept as printed."""
    (form,) = read(["项目名称\t路灯电费", "三级指标\t年度指标值\t实际完成值\t分值\t得分",
                    "路灯数量\t5000盏\t5000盏\t50\t50", "总分\t100\t50"])
    assert [(i.level1, i.level2, i.level1_raw, i.level2_raw) for i in form.indicators] == [("", "", None, None)]
    (form,) = read(["项目名称\t路灯电费", "一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分",
                    "投入指标\t资金投入\t到位率\t100%\t100%\t50\t50", "总分\t\t\t\t\t50\t50"])
    assert [(i.level1, i.level2) for i in form.indicators] == [("投入指标", "资金投入")]

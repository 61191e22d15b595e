"""Lines printed outside the tables: a heading between a form's tables is no goal text, and a
title or year line that could not be read leaves the form flagged, not silently yearless."""
from __future__ import annotations

from jixiao.grid import Cell, Grid, Table
from jixiao.normalizers import normalize


def table(rows: list[list[tuple[int, str, int]]], loose: bool = False, confidence: float = 1.0) -> Table:
    return Table([Cell(text=text, row=r, col=col, colspan=span, confidence=confidence)
                  for r, row in enumerate(rows) for col, text, span in row], loose=loose)


PROJECT = table([
    [(0, "项目名称", 2), (2, "职业技能培训补贴", 7)],
    [(0, "主管部门", 2), (2, "某市人力资源和社会保障局", 3), (5, "实施单位", 1), (6, "某市就业服务中心", 3)],
    [(0, "年度总体目标", 1), (1, "预期目标", 4), (5, "实际完成情况", 4)],
    [(1, "完成培训100人。", 4), (5, "完成培训120人。", 4)],
])
INDICATORS = table([
    [(0, "一级指标", 1), (1, "二级指标", 1), (2, "三级指标", 1), (3, "年度指标值", 1), (4, "实际完成值", 1),
     (5, "分值", 1), (6, "得分", 1), (7, "偏差原因分析及改进措施", 1)],
    [(0, "产出指标", 1), (1, "数量指标", 1), (2, "培训人数", 1), (3, "≥100人", 1), (4, "120人", 1), (5, "90", 1),
     (6, "90", 1)],
    [(0, "总分", 5), (5, "100", 1), (6, "99", 1)],
])


def test_a_heading_between_tables_is_not_goal_text() -> None:
    heading = table([[(0, "绩效指标完成情况", 1)]], loose=True)
    (form,) = normalize(Grid("html", "html", [PROJECT, heading, INDICATORS])).forms
    assert (form.project.goal_expected, form.project.goal_actual) == ("完成培训100人。", "完成培训120人。")
    assert len(form.indicators) == 1 and form.project.total_score == 99


def test_an_unreadable_title_flags_the_form_that_has_no_year() -> None:
    title = table([[(0, "\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd", 1)], [(0, "\ufffd\ufffd\ufffd\ufffd\ufffd", 1)]],
                  loose=True, confidence=0.0)
    (form,) = normalize(Grid("pdf", "pdf_text", [title, PROJECT, INDICATORS], min_confidence=0.8)).forms
    assert form.project.year is None and "unreadable_cell" in form.project.issues
    readable = table([[(0, "项目支出绩效自评表", 1)], [(0, "（2024年度）", 1)]], loose=True)
    (form,) = normalize(Grid("pdf", "pdf_text", [readable, PROJECT, INDICATORS], min_confidence=0.8)).forms
    assert form.project.year == 2024 and "unreadable_cell" not in form.project.issues

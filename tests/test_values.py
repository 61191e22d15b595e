"""Value parsing: every example SCHEMA.md gives, plus the text rules."""
from __future__ import annotations

import pytest

from jixiao.normalizers.cleaning import clean_text, or_none
from jixiao.normalizers.values import Measure, parse_measure, parse_number, parse_rate, parse_year, split_code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("≥90%", Measure("≥", 90, "%")),
        ("≥90％", Measure("≥", 90, "%")),
        ("≧95%", Measure("≥", 95, "%")),
        ("≦56次", Measure("≤", 56, "次")),
        ("不低于95%", Measure("≥", 95, "%")),
        ("不高于10万元", Measure("≤", 10, "万元")),
        ("不超过48小时", Measure("≤", 48, "小时")),
        ("等于500个", Measure("=", 500, "个")),
        (">90%", Measure(">", 90, "%")),
        ("<5%", Measure("<", 5, "%")),
        ("2024年10月", Measure(None, None, None)),
        ("1-2工作日", Measure(None, None, None)),
        ("≤人均6000元", Measure("≤", 6000, "元")),
        ("约184人", Measure(None, 184, "人")),
        ("2小时内", Measure(None, 2, "小时")),
        ("≤4个工作日", Measure("≤", 4, "工作日")),
        ("=12个月", Measure("=", 12, "个月")),
        ("400多人", Measure(None, 400, "人")),
        ("10余次", Measure(None, 10, "次")),
        ("≦20万", Measure("≤", 20, None)),
        ("550元/人/天", Measure(None, 550, "元/人/天")),
        ("≤5元/平方米/天", Measure("≤", 5, "元/平方米/天")),
        ("350元/月/个", Measure(None, 350, "元/月/个")),
        ("300元/人/年", Measure(None, 300, "元/人/年")),
        ("≤600元/场", Measure("≤", 600, "元/场")),
        ("300元每人", Measure(None, 300, "元")),
        ("4.8640万元", Measure(None, 4.864, "万元")),
        ("31家单位", Measure(None, 31, "家")),
        ("≥10分钟", Measure("≥", 10, "分钟")),
        ("≥80分", Measure("≥", 80, "分")),
        ("2024年", Measure(None, 2024, "年")),
        ("≥良", Measure("≥", None, None)),
        ("≤万分之一", Measure("≤", None, None)),
        ("460户/460户/434户", Measure(None, None, None)),
        ("100%全覆盖", Measure(None, 100, "%")),
        ("实际支出27.415万元，控制在预算单位内", Measure(None, 27.415, "万元")),
        ("1,200人", Measure(None, 1200, "人")),
        ("约1 200人次", Measure(None, 1200, "人次")),
        ("≤ 1 500元/人", Measure("≤", 1500, "元/人")),
        ("10 20", Measure(None, None, None)),
        ("四级", Measure(None, None, None)),
        ("#####", Measure(None, None, None)),
        ("—", Measure(None, None, None)),
        (None, Measure(None, None, None)),
    ],
)
def test_measure(text: str | None, expected: Measure) -> None:
    assert parse_measure(None if text is None else clean_text(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("91%", 0.91), ("92.1%", 0.921), ("100%", 1.0), ("0.97", 0.97), ("88.44", 0.8844), ("—", None), ("", None)],
)
def test_rate_is_a_fraction(text: str, expected: float | None) -> None:
    assert parse_rate(text) == pytest.approx(expected) if expected is not None else parse_rate(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4507.55", 4507.55), ("3.30", 3.3), ("1,234.5", 1234.5), ("10分", 10.0), ("0", 0.0), ("4.5万元", 4.5),
     ("约10", None), ("—", None), ("-", None), ("/", None), ("无", None), ("10次", None)],
)
def test_plain_number(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "name", "code"),
    [
        ("北京市密云区卫生健康委员会162001", "北京市密云区卫生健康委员会", "162001"),
        ("219-池州市财政局", "池州市财政局", "219"),
        ("[162001]北京市卫生健康委员会", "北京市卫生健康委员会", "162001"),
        ("北京市密云区卫生健康委员会(本级)", "北京市密云区卫生健康委员会(本级)", None),
        ("北京市101中学", "北京市101中学", None),
    ],
)
def test_codes_split_from_unit_names(text: str, name: str, code: str | None) -> None:
    assert split_code(text) == (name, code)


@pytest.mark.parametrize(("text", "year"), [("（2024年度）", 2024), ("（  2024度）", 2024), ("(2024 年)", 2024),
                                             ("2023年度项目支出绩效自评表", 2023), ("项目支出绩效自评表", None)])
def test_year(text: str, year: int | None) -> None:
    assert parse_year(clean_text(text)) == year


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("社会效益\n指标", "社会效益指标"),
        ("1、提高能力；\n2、组织开会", "1、提高能力; 2、组织开会"),
        ("偏差原因分析：不够全面。\n改进措施：全面调查", "偏差原因分析:不够全面。改进措施:全面调查"),
        ("word\nbreak", "word break"),
        ("<p>保险费300元。</p> <p>目标1</p>", "保险费300元。目标1"),
        ("[bookmark: _GoBack]4.71", "4.71"),
        ("  调研经费  ", "调研经费"),
        ("产出  指标 （40分）", "产出 指标 (40分)"),
        ("ＡＢＣ１２３", "ABC123"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@pytest.mark.parametrize("printed", ["", "—", "-", "/", "无", "  —  "])
def test_null_cells(printed: str) -> None:
    assert or_none(clean_text(printed)) is None

"""Rows an export damaged, put back by what their cells look like (cases taken from the seed exports)."""
from __future__ import annotations

from dataclasses import replace

from rowkit import tsv

from jixiao.normalizers.budget import budget_header, budget_label, read_budget
from jixiao.normalizers.indicators import IndicatorReader, indicator_header, read_row

HEADER = indicator_header(tsv("绩效指标\t一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析及改进措施"))


def roles(line: str) -> dict[str, str]:
    assert HEADER is not None
    return {role: cell.text for role, cell in read_row(HEADER, tsv(line)).items()}


def test_header_roles_in_column_order() -> None:
    assert HEADER is not None
    assert HEADER.roles == ["level1", "level2", "name", "target", "actual", "weight", "score", "note"]
    assert HEADER.unmapped == []


def test_unknown_header_is_reported_not_guessed() -> None:
    header = indicator_header(tsv("一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t备注"))
    assert header is not None and header.unmapped == ["备注"]
    got = {r: c.text for r, c in read_row(header, tsv("产出指标\t数量指标\t人数\t10人\t10人\t10\t10\t已完成")).items()}
    assert "note" not in got and got["score"] == "10"


def test_aligned_row_reads_by_position() -> None:
    assert roles("\t产出指标\t数量指标\t考察人数\t≦120人\t72人\t10\t6\t大幅压缩人员") == {
        "level1": "产出指标", "level2": "数量指标", "name": "考察人数", "target": "≦120人", "actual": "72人",
        "weight": "10", "score": "6", "note": "大幅压缩人员"}


def test_row_shifted_left_puts_level2_back() -> None:
    got = roles("\t质量指标\t设备正常运行并验收合格\t正常运行\t正常运行\t5\t5\t\t\t")
    assert got == {"level2": "质量指标", "name": "设备正常运行并验收合格", "target": "正常运行", "actual": "正常运行",
                   "weight": "5", "score": "5"}


def test_name_at_column_zero_with_padding_between_target_and_actual() -> None:
    got = roles("健康体检一体机可使用5年\t可持续使用\t\t可持续使用\t5\t5\t\t\t\t")
    assert got == {"name": "健康体检一体机可使用5年", "target": "可持续使用", "actual": "可持续使用",
                   "weight": "5", "score": "5"}


def test_level2_in_level1_column() -> None:
    got = roles("\t数量指标\t\t一次性经济帮助\t80人\t66人\t5\t4\t年度指标值为预算人数\t")
    assert got["level2"] == "数量指标" and "level1" not in got and got["note"] == "年度指标值为预算人数"


def test_truncated_row_keeps_its_one_number_as_weight() -> None:
    got = roles("\t\t\t质量指标\t\t慰问及帮扶比例\t逐步提高\t逐步提高\t5")
    assert got == {"level2": "质量指标", "name": "慰问及帮扶比例", "target": "逐步提高", "actual": "逐步提高", "weight": "5"}


def test_empty_actual_is_kept_by_position() -> None:
    got = roles("\t\t质量指标\t大会顺利开展\t顺利召开\t\t10\t10\t")
    assert got["target"] == "顺利召开" and "actual" not in got


def test_name_in_level2_column_is_a_name() -> None:
    got = roles("\t\t项目1年内结题\t1\t1\t4\t4\t\t")
    assert got == {"name": "项目1年内结题", "target": "1", "actual": "1", "weight": "4", "score": "4"}


def test_cost_level1_over_cost_level2() -> None:
    got = roles("\t成本指标\t经济成本指标\t运维成本\t≤31万元\t27.415万元\t10\t10\t")
    assert got["level1"] == "成本指标" and got["level2"] == "经济成本指标"
    assert roles("\t成本指标\t参保标准\t300元每人\t300元/人/年\t10\t10\t\t")["level2"] == "成本指标"


def _read(*lines: str) -> IndicatorReader:
    assert HEADER is not None
    reader = IndicatorReader(HEADER)
    for line in lines:
        reader.add(tsv(line))
    return reader


def test_level1_inferred_when_the_form_omits_it() -> None:
    reader = _read(
        "\t数量指标\t\t扶助人数\t80人\t66人\t5\t4\t",
        "\t\t\t死亡家庭人数\t737人\t680人\t10\t9\t",
        "\t效果指标\t社会效益\t家庭发展能力\t得到提升\t逐步提高\t5\t5\t",
        "满意度指标\t服务对象满意度指标\t满意度\t≥95%\t95%\t5\t5\t\t",
    )
    levels = [(i.level1, i.level1_raw, i.level2, i.level2_raw) for i in reader.indicators]
    assert levels == [
        ("产出指标", None, "数量指标", "数量指标"),
        ("产出指标", None, "数量指标", "数量指标"),
        ("效益指标", "效果指标", "社会效益指标", "社会效益"),
        ("满意度指标", "满意度指标", "服务对象满意度指标", "服务对象满意度指标"),
    ]


def test_fill_down_keeps_printed_level1_for_its_family() -> None:
    reader = _read(
        "\t产出指标 (40分)\t数量指标\t期数\t3200份\t1600份\t10\t5\t",
        "\t成本指标\t每期2万元\t8万元\t4万元\t10\t5\t\t",
    )
    second = reader.indicators[1]
    assert (second.level1, second.level1_raw, second.level1_weight, second.level2) == (
        "产出指标", "产出指标 (40分)", 40.0, "成本指标")


def test_level_only_and_placeholder_rows_drive_fill_down_and_are_dropped() -> None:
    reader = _read(
        "\t产出指标\t数量指标\t代表培训\t1次\t1次\t20\t20\t",
        "\t\t质量指标\t指标1：\t\t\t\t\t",
        "\t\t\t……\t\t\t\t\t",
        "\t\t成本指标\t\t\t\t\t\t",
        "\t\t\t考察费用\t≦人均6000元\t0\t20\t0\t",
        "\t效益指标\t经济效益\n指标\t\t\t\t\t\t",
        "\t\t社会效益\n指标\t代表履职能力\t提高\t提高\t10\t10\t",
    )
    assert [(i.name, i.level1, i.level2) for i in reader.indicators] == [
        ("代表培训", "产出指标", "数量指标"),
        ("考察费用", "产出指标", "成本指标"),
        ("代表履职能力", "效益指标", "社会效益指标"),
    ]


def test_unreadable_cell_and_score_above_weight_are_flagged() -> None:
    reader = _read("\t\t时效指标\t按时出具审计报告\t2024年6月底之前\t#####\t20\t20\t",
                   "\t\t数量指标\t交通费\t60人\t90.03%\t3\t4.5\t")
    first, second = reader.indicators
    assert first.actual_raw == "#####" and first.actual_value is None and first.issues == ["unreadable_cell"]
    assert second.issues == ["score_exceeds_weight"]


def test_a_cell_read_unsure_that_fits_no_role_flags_its_row() -> None:
    """A score under a pen tick read as "e" (OCR, unsure): no figure, so no score; the row says so."""
    reader = IndicatorReader(HEADER)
    row = tsv("\t\t数量指标\t扶助独生子女伤残家庭人数\t569人\t506人\t10\te\t年度指标值为预算人数")
    reader.add(replace(row, cells=tuple(replace(c, unsure=c.text == "e") for c in row.cells)))
    sure = tsv("\t\t数量指标\t扶助独生子女死亡家庭人数\t737人\t680人\t10\te\t年度指标值为预算人数")
    reader.add(sure)
    (unsure_row, sure_row) = reader.indicators
    assert unsure_row.score is None and unsure_row.issues == ["unreadable_cell"]
    assert sure_row.score is None and sure_row.issues == []


def test_budget_values_right_aligned_by_their_markers() -> None:
    header = budget_header(tsv("项目资金 (万元)\t\t年初预算数\t\t全年预算数\t全年执行数\t分值\t执行率\t得分\t"))
    lines = [
        "\t\t年度资金总额\t\t4507.55\t4507.55\t4104.267\t10\t91%\t9.1",
        "\t\t其中：当年财政拨款\t\t\t\t\t—\t\t—",
        "\t\t上年结转资金\t\t4507.55\t4507.55\t4104.267\t—\t91%\t—",
    ]
    labelled = []
    for line in lines:
        found = budget_label(tsv(line))
        assert found is not None
        labelled.append((found[0], found[1], tsv(line)))
    total, fiscal, carryover = read_budget(header, labelled)
    assert total.values == {"initial": 4507.55, "annual": 4507.55, "executed": 4104.267, "weight": 10.0,
                            "rate": 0.91, "score": 9.1}
    assert fiscal.values == {}
    assert carryover.values == {"initial": 4507.55, "annual": 4507.55, "executed": 4104.267, "rate": 0.91}


def test_budget_row_with_empty_initial_keeps_columns() -> None:
    header = budget_header(tsv("项目资金 (万元)\t\t年初预算数\t\t全年预算数\t全年执行数\t分值\t执行率\t得分"))
    line = tsv("\t\t年度资金总额\t\t4.864\t4.864\t10\t100%\t10")
    found = budget_label(line)
    assert found is not None
    (total,) = read_budget(header, [(found[0], found[1], line)])
    assert total.values == {"annual": 4.864, "executed": 4.864, "weight": 10.0, "rate": 1.0, "score": 10.0}


def test_whole_row_shifted_left_keeps_empty_target_and_actual_empty() -> None:
    got = roles("满意度指标\t服务对象满意度指标\t市代表满意度\t\t\t10\t10\t")
    assert got == {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "市代表满意度",
                   "weight": "10", "score": "10"}

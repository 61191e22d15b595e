"""Forms in styles the seeds do not show: other synonyms, 合计, codes before names, one year line for
several forms, a total printed after the next form, missing blocks. Each builds a text export."""
from __future__ import annotations

from jixiao.extractors.text import extract_text
from jixiao.normalizers import normalize
from jixiao.records import Form

FORM_A = [
    "2023年度项目支出绩效自评表",
    "（一）",
    "项目名称\t\t城乡环境整治专项",
    "主管部门\t219-池州市住房和城乡建设局\t实施单位\t池州市环卫处",
    "项目负责人\t张三\t联系电话\t0566-1234567",
    "项目资金（万元）\t\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分",
    "\t年度资金总额\t1,200.00\t1,150\t1,035\t10\t90.00%\t9",
    "\t其中：本年财政拨款\t1,200.00\t1,150\t1,035\t—\t—\t—",
    "\t上年结转资金\t\t\t\t—\t—\t—",
    "年度总体目标\t预期目标\t\t实际完成情况",
    "\t完成城区道路清扫保洁。\t\t达到一类标准。",
    "绩效指标\t一级指标\t二级指标\t三级指标\t全年指标值\t实际值\t权重\t评分\t原因分析及改进措施",
    "\t产出指标（50分）\t数量指标\t清扫面积\t≥300万平方米\t310万平方米\t10\t10\t",
    "\t\t质量指标\t保洁达标率\t不低于95%\t96%\t10\t10\t",
    "\t\t时效指标\t完成时限\t2023年12月底前\t按期完成\t10\t9\t部分路段延期",
    "\t\t成本指标\t单位面积成本\t≤3.5元/平方米\t3.3元/平方米\t20\t20\t",
    "\t效益指标（30分）\t社会效益指标\t群众投诉下降率\t≥10%\t12%\t15\t15\t",
    "\t\t生态效益指标\t垃圾无害化处理率\t100%\t100%\t15\t14\t",
    "\t满意度指标（10分）\t服务对象满意度指标\t居民满意度\t≥90%\t92%\t10\t10\t",
    "合计\t\t\t\t\t\t100\t97\t",
    "填报人：李四\t联系电话：1234",
]
FORM_B = [
    "（二）",
    "项目名称\t\t公园维护",
    "主管部门\t池州市住房和城乡建设局219\t实施单位\t池州市园林处",
    "绩效指标\t一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t未完成原因分析",
    "\t产出指标\t数量指标\t维护公园数\t12个\t12个\t60\t60\t",
    "\t满意度指标\t服务对象满意度指标\t游客满意度\t≥90%\t90%\t30\t28\t",
]
FORM_C = [
    "项目支出绩效自评表",
    "项目名称\t\t路灯电费",
    "项目资金（万元）\t\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分",
    "\t年度资金总额\t50\t50\t45\t10\t90%\t9",
    "绩效指标\t一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析及改进措施",
    "\t产出指标\t数量指标\t路灯数量\t5000盏\t5000盏\t50\t50\t",
    "\t效益指标\t社会效益指标\t夜间出行安全\t提升\t提升\t40\t30\t",
    "总分\t\t\t\t\t\t100\t89\t",
]


def read(*forms: list[str]) -> list[Form]:
    text = "\n\n".join("\n".join(lines) for lines in forms)
    return normalize(extract_text(text.encode("gb18030"))).forms


def test_synonyms_codes_and_annotations() -> None:
    (form,) = read(FORM_A)
    p = form.project
    assert (p.year, p.project_name, p.department, p.department_code) == (2023, "城乡环境整治专项", "池州市住房和城乡建设局", "219")
    assert (p.implementing_unit, p.project_lead, p.contact_phone) == ("池州市环卫处", "张三", "0566-1234567")
    assert (p.budget_initial, p.budget_annual, p.budget_executed, p.execution_rate, p.budget_score) == (
        1200.0, 1150.0, 1035.0, 0.9, 9.0)
    assert (p.fiscal_initial, p.carryover_initial, p.other_initial) == (1200.0, None, None)
    assert (p.goal_expected, p.goal_actual) == ("完成城区道路清扫保洁。", "达到一类标准。")
    assert (p.total_weight, p.total_score, p.issues) == (100.0, 97.0, [])
    assert [i.name for i in form.indicators] == ["清扫面积", "保洁达标率", "完成时限", "单位面积成本", "群众投诉下降率",
                                                  "垃圾无害化处理率", "居民满意度"]
    quality = form.indicators[1]
    assert (quality.level1_weight, quality.target_op, quality.target_value, quality.target_unit) == (50.0, "≥", 95.0, "%")
    assert form.indicators[2].deviation_note == "部分路段延期"
    assert form.indicators[0].target_unit is None  # "万平方米": 万 is no unit


def test_year_line_above_several_forms_and_missing_blocks_are_flagged() -> None:
    first, second = read(FORM_A, FORM_B)
    assert first.project.year == second.project.year == 2023 and second.project.table_index == 1
    assert (second.project.department, second.project.department_code) == ("池州市住房和城乡建设局", "219")
    assert sorted(second.project.issues) == ["missing_budget", "missing_total"]
    assert second.indicators[1].deviation_note is None and second.indicators[1].score == 28


def test_sum_and_rate_flags() -> None:
    lines = [line.replace("\t100\t89\t", "\t90\t80\t").replace("90%\t9", "80%\t9") for line in FORM_C]
    (form,) = read(lines)
    assert sorted(form.project.issues) == [
        "budget_score_mismatch", "execution_rate_mismatch", "scores_sum_mismatch", "weights_sum_mismatch"]


def test_stray_total_goes_to_the_form_whose_sums_agree() -> None:
    without_total = FORM_C[:-1]
    stray = ["总分\t100\t89"]
    first, second = read(without_total, FORM_B + ["总分\t\t\t\t\t\t90\t88\t"] + stray)
    assert (first.project.total_weight, first.project.total_score, first.project.issues) == (100.0, 89.0, [])
    assert (second.project.total_weight, second.project.total_score) == (90.0, 88.0)


def test_a_stray_total_that_fits_no_form_is_left_alone() -> None:
    first, _second = read(FORM_C[:-1], FORM_B + ["总分\t\t\t\t\t\t90\t88\t", "总分\t100\t55"])
    assert first.project.total_score is None and "missing_total" in first.project.issues


def test_signature_line_after_the_grid_is_not_an_indicator() -> None:
    (form,) = read(FORM_A[:-2] + [FORM_A[-1]])
    assert [i.name for i in form.indicators][-1] == "居民满意度"


def test_two_row_header_splits_指标值_into_target_and_actual() -> None:
    lines = [
        "项目名称\t\t路灯电费",
        "一级指标\t二级指标\t三级指标\t指标值\t\t分值\t得分\t偏差原因分析及改进措施",
        "\t\t\t年度指标值\t实际完成值\t\t\t",
        "产出指标\t数量指标\t路灯数量\t5000盏\t4800盏\t50\t45\t部分损坏",
        "效益指标\t社会效益指标\t夜间出行安全\t提升\t提升\t50\t50\t",
        "总分\t\t\t\t\t100\t95\t",
    ]
    (form,) = read(lines)
    assert [(i.name, i.target_raw, i.actual_raw, i.weight, i.score) for i in form.indicators] == [
        ("路灯数量", "5000盏", "4800盏", 50.0, 45.0), ("夜间出行安全", "提升", "提升", 50.0, 50.0)]
    assert form.indicators[0].deviation_note == "部分损坏"


def test_year_line_wins_over_other_dates() -> None:
    (form,) = read(["项目支出绩效自评表", "（2023年度）", "填报单位：池州市环卫处\t填报日期：2024年3月1日"] + FORM_C[1:])
    assert form.project.year == 2023


def test_a_year_given_after_its_label() -> None:
    for line in ("年度：2023", "评价年度: 2023", "所属年份：2023"):
        (form,) = read(["项目支出绩效自评表", line, "填报日期：2024年3月1日"] + FORM_C[1:])
        assert form.project.year == 2023, line


def test_a_list_of_projects_is_not_a_form() -> None:
    listing = ["序号\t项目名称\t预算金额\t自评得分", "1\t路灯电费\t50\t89", "2\t公园维护\t30\t88"]
    forms = read(listing, FORM_C)
    assert [(f.project.table_index, f.project.project_name) for f in forms] == [(0, "路灯电费")]


def test_two_row_header_whose_merged_cell_was_printed_once() -> None:
    """One cell per line (a Word export): 指标值 spans two columns but is printed once."""
    rows = [
        ["项目名称", "绿化养护"],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值", "分值", "得分", "偏差原因分析及改进措施"],
        ["", "", "", "", "年度指标值", "实际完成值", "", "", ""],
        ["", "产出指标", "数量指标", "养护公园数量", "≥25个", "26个", "60", "60", ""],
        ["", "满意度指标", "服务对象满意度指标", "市民满意度", "≥90%", "88%", "40", "38", "设施维护不及时"],
        ["总分", "100", "98"],
    ]
    text = "\n\n".join("\n".join("\t" + cell for cell in row) for row in rows)
    (form,) = normalize(extract_text(text.encode("utf-8"))).forms
    assert [(i.target_raw, i.actual_raw, i.weight, i.score, i.deviation_note) for i in form.indicators] == [
        ("≥25个", "26个", 60.0, 60.0, None), ("≥90%", "88%", 40.0, 38.0, "设施维护不及时")]
    assert form.project.issues == ["missing_budget"]


def test_several_label_value_pairs_in_one_cell() -> None:
    lines = ["项目名称：路灯电费", "主管部门：池州市住房和城乡建设局　　实施单位：池州市路灯所",
             "项目负责人：汪霞联系电话：0566-5012345"] + FORM_C[2:]
    (form,) = read(lines)
    p = form.project
    assert (p.project_name, p.department, p.implementing_unit, p.project_lead, p.contact_phone) == (
        "路灯电费", "池州市住房和城乡建设局", "池州市路灯所", "汪霞", "0566-5012345")


def test_合计_row_of_a_budget_block_is_its_total() -> None:
    lines = [line.replace("\t年度资金总额\t", "合计\t\t") for line in FORM_C]
    (form,) = read(lines)
    p = form.project
    assert (p.budget_initial, p.budget_executed, p.execution_rate, p.budget_score, p.total_score) == (
        50.0, 45.0, 0.9, 9.0, 89.0)
    assert form.project.issues == []


def test_spreadsheet_filled_merged_cells_in_budget_and_goal_blocks() -> None:
    lines = [
        "项目名称\t\t路灯电费",
        "项目资金（万元）\t\t\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分",
        "项目资金（万元）\t年度资金总额\t\t320\t320\t320\t10\t100.00%\t10",
        "项目资金（万元）\t其中：当年财政拨款\t\t320\t320\t320\t—\t100.00%\t—",
        "年度总体目标\t预期目标\t预期目标\t预期目标\t实际完成情况\t实际完成情况\t实际完成情况\t实际完成情况\t",
        "\t".join(["年度总体目标"] + ["保障路灯运行。"] * 3 + ["路灯亮灯率99%。"] * 4 + [""]),
    ] + FORM_C[4:]
    (form,) = read(lines)
    p = form.project
    assert (p.budget_initial, p.execution_rate, p.budget_score, p.fiscal_executed) == (320.0, 1.0, 10.0, 320.0)
    assert (p.goal_expected, p.goal_actual) == ("保障路灯运行。", "路灯亮灯率99%。")


def test_goals_printed_after_the_total_label_by_label() -> None:
    lines = FORM_C + ["年度总体目标\t预期目标\t保障路灯运行。", "\t实际完成情况\t路灯亮灯率99%。", "填报人：张三\t联系电话：1234"]
    (form,) = read(lines)
    assert (form.project.goal_expected, form.project.goal_actual) == ("保障路灯运行。", "路灯亮灯率99%。")
    assert form.project.contact_phone is None


def test_budget_without_weight_and_score_columns() -> None:
    lines = ["项目名称\t\t路灯电费", "项目资金（万元）\t\t年初预算数\t全年预算数\t全年执行数\t执行率",
             "\t年度资金总额\t450\t480\t432\t0.9"] + FORM_C[4:6] + ["\t效益指标\t社会效益指标\t夜间出行安全\t提升\t提升\t50\t50\t",
                                                     "总分\t\t\t\t\t\t100\t100\t"]
    (form,) = read(lines)
    p = form.project
    assert (p.budget_annual, p.budget_weight, p.execution_rate, p.budget_score) == (480.0, None, 0.9, None)
    assert p.issues == []


def test_another_kind_of_form_ends_the_project_form() -> None:
    department_form = ["部门整体支出绩效自评表", "部门名称\t\t某局", "年度总体目标\t预期目标\t\t实际完成情况",
                       "\t完成年度工作。\t\t全面完成。", "总分\t\t\t\t\t\t100\t99\t"]
    (form,) = read(FORM_C, department_form)
    assert form.project.goal_expected is None and form.project.total_score == 89.0


def test_a_project_title_repeated_at_a_page_top_does_not_end_the_form() -> None:
    (form,) = read(FORM_C[:6] + ["项目支出绩效自评表"] + FORM_C[6:])
    assert [i.name for i in form.indicators] == ["路灯数量", "夜间出行安全"]
    assert form.project.total_score == 89.0


def test_a_form_without_a_year_line_between_dated_forms_has_no_year() -> None:
    dated = ["项目支出绩效自评表", "（2023年度）"] + FORM_C[1:]
    undated = ["项目支出绩效自评表"] + FORM_C[1:]
    assert [f.project.year for f in read(dated, undated, dated)] == [2023, None, 2023]


def test_total_row_follows_the_header_order_and_its_label_weight() -> None:
    swapped = [line.replace("分值\t得分", "得分\t分值").replace("\t100\t89\t", "\t89\t100\t") for line in FORM_C]
    swapped = [line.replace("\t50\t50\t", "\t50\t50\t").replace("\t40\t30\t", "\t30\t40\t") for line in swapped]
    (form,) = read(swapped)
    assert (form.project.total_weight, form.project.total_score) == (100.0, 89.0)
    (form,) = read(FORM_C[:-1] + ["总分（100分）\t\t\t\t\t\t\t89\t"])
    assert (form.project.total_weight, form.project.total_score) == (100.0, 89.0)


def test_subtotal_rows_are_not_indicators() -> None:
    lines = FORM_C[:6] + ["\t产出指标合计\t\t\t\t\t50\t50\t", "\t小计\t\t\t\t\t50\t50\t"] + FORM_C[6:]
    (form,) = read(lines)
    assert [i.name for i in form.indicators] == ["路灯数量", "夜间出行安全"] and form.project.issues == []


def test_a_form_without_a_title_takes_the_year_of_the_form_before() -> None:
    dated = ["项目支出绩效自评表", "（2023年度）"] + FORM_C[1:]
    assert [f.project.year for f in read(dated, FORM_C[1:])] == [2023, 2023]


def test_short_lines_between_the_year_line_and_the_form_keep_the_year_with_it() -> None:
    dated = ["项目支出绩效自评表", "（2022年度）", "金额单位：万元"] + FORM_C[1:]
    assert [f.project.year for f in read(["（2023年度）"] + FORM_C[1:], dated)] == [2023, 2022]


def test_a_subrows_label_in_a_cell_of_its_own() -> None:
    """"其中" printed once, left of the sub-row labels (a merged cell down the three sub-rows)."""
    lines = [line.replace("\t其中：本年财政拨款", "其中\t本年财政拨款") for line in FORM_A]
    lines[lines.index("\t上年结转资金\t\t\t\t—\t—\t—")] = "\t上年结转资金\t\t\t\t—\t—\t—"
    (form,) = read(lines)
    p = form.project
    assert (p.fiscal_initial, p.fiscal_annual, p.fiscal_executed) == (1200.0, 1150.0, 1035.0)
    assert p.budget_annual == 1150.0


def test_a_note_line_between_title_and_form_keeps_the_title_with_its_form() -> None:
    """"填报单位：… | 金额单位：万元 | 填报日期：…" under each title: the second form's title is
    still its own, so each form has its own year."""
    def titled(year: int, body: list[str]) -> list[str]:
        return [f"{year}年度项目支出绩效自评表", "填报单位：池州市环卫处\t金额单位：万元\t填报日期：\t2025年3月1日", *body]

    first, second = read(titled(2023, FORM_C[1:]), titled(2024, FORM_C[1:]))
    assert (first.project.year, second.project.year) == (2023, 2024)
    assert first.project.total_score == second.project.total_score == 89


def test_goal_labels_with_their_text_in_one_cell() -> None:
    lines = [ln for ln in FORM_A if not ln.startswith(("年度总体目标", "\t完成城区"))]
    at = lines.index("绩效指标\t一级指标\t二级指标\t三级指标\t全年指标值\t实际值\t权重\t评分\t原因分析及改进措施")
    lines[at:at] = ["年度总体目标：完成城区道路清扫保洁。", "实际完成情况：达到一类标准。"]
    (form,) = read(lines)
    assert (form.project.goal_expected, form.project.goal_actual) == ("完成城区道路清扫保洁。", "达到一类标准。")
    assert len(form.indicators) == 7


def test_a_year_in_chinese_numerals_and_another_fiscal_label() -> None:
    lines = ["二〇二四年度项目支出绩效自评表", *FORM_A[2:]]
    lines[lines.index("\t其中：本年财政拨款\t1,200.00\t1,150\t1,035\t—\t—\t—")] = (
        "\t其中：本级财政资金\t1,200.00\t1,150\t1,035\t—\t—\t—")
    (form,) = read(lines)
    assert form.project.year == 2024
    assert (form.project.fiscal_initial, form.project.fiscal_executed) == (1200.0, 1035.0)


def test_a_total_row_is_read_when_no_indicator_grid_is() -> None:
    """The indicator grid printed in a way no header row announces: the goal block ends at
    绩效指标 and the 总分 row still gives the total."""
    lines = [*FORM_C[:3], FORM_C[3], "年度总体目标\t预期目标\t\t实际完成情况", "\t路灯全亮。\t\t已完成。",
             "绩效指标\t见附表", "总分\t\t\t\t\t\t100\t89\t"]
    (form,) = read(lines)
    p = form.project
    assert (p.goal_expected, p.goal_actual) == ("路灯全亮。", "已完成。")
    assert (p.total_weight, p.total_score) == (100.0, 89.0) and "missing_total" not in p.issues

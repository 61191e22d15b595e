"""Layouts of real publications, each made here from corpus documents or gold forms: 分值 printed as 指标分值 or
权重 in the budget header, title and year typed inside an HTML table, a notes column left of a sheet's form, a
budget row missing its 年初预算数, page breaks inside the budget block under a running header (text PDF and
a landscape scan), and forms in the appendix of a long 部门决算 report among its finance tables."""
from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
from conftest import run_on
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from pdfrender import Style, embedded_font, render
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from scanlib import scan_pdf, to_pdf

from jixiao.extractors import ExtractOptions, extract
from jixiao.normalizers import normalize
from jixiao.records import Form

BUDGET_FIELDS = ("budget_initial", "budget_annual", "budget_executed", "budget_weight", "execution_rate",
                 "budget_score", "fiscal_initial", "fiscal_annual", "fiscal_executed", "carryover_initial",
                 "carryover_annual", "carryover_executed")


def gold(corpus: Path, name: str) -> list[dict]:
    return json.loads((corpus / "gold" / f"{name}.json").read_text(encoding="utf-8"))["forms"]


def assert_budget_like(form: Form, expected: dict) -> None:
    got = {f: getattr(form.project, f) for f in BUDGET_FIELDS}
    assert got == pytest.approx({f: expected[f] for f in BUDGET_FIELDS})


def projects_of(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "projects").sort_values("table_index").reset_index(drop=True)


# --- 分值 printed as the indicator header prints it ---------------------------------------------

@pytest.mark.parametrize("label", ["指标分值", "权重", "权重分值"])
def test_budget_header_names_its_分值_as_the_indicator_header_does(label: str, corpus: Path, tmp_path: Path) -> None:
    document = docx.Document(corpus / "docx" / "a_docx_01.docx")
    renamed = set()
    for table in document.tables:
        for row in table.rows:
            texts = [c.text for c in row.cells]
            if "年初预算数" in texts:
                cell = row.cells[texts.index("分值")]
                cell.paragraphs[0].runs[0].text = label
                renamed.add(cell._tc)
    expected = gold(corpus, "a_docx_01")
    assert len(renamed) == len(expected) == 4
    buffer = io.BytesIO()
    document.save(buffer)
    projects = projects_of(run_on(tmp_path, "weights.docx", buffer.getvalue()))
    assert list(projects.budget_weight) == [f["budget_weight"] for f in expected] == [10] * 4
    assert [list(i) for i in projects.issues] == [f["issues"] for f in expected]


# --- HTML: title and year typed between <table> and its first row ---------------------------------

_HEADING = re.compile(r'<h2>(?P<title>[^<]*)</h2>\n<p class="year">(?P<year>[^<]*)</p>\n<table>')


@pytest.mark.parametrize("where", ["inside the table", "above the table"])
def test_centred_title_and_year_paragraphs_give_each_form_its_year(where: str, corpus: Path,
                                                                   tmp_path: Path) -> None:
    """A page edited in a web editor: the centred paragraphs were typed inside <table>, before its
    first row, where browsers show them above the table (and a parser keeps them inside)."""
    page = (corpus / "html" / "a_html_01.html").read_text(encoding="utf-8")

    def paragraphs(m: re.Match[str]) -> str:
        lines = (f'<p align="center"><b>{m["title"]}</b></p>'
                 f'<p style="text-align:center"><span>{m["year"]}</span></p>')
        return f"<table>{lines}" if where == "inside the table" else f"{lines}<table>"

    edited, count = _HEADING.subn(paragraphs, page)
    assert count == 4
    projects = projects_of(run_on(tmp_path, "centred.html", edited.encode("utf-8")))
    assert list(projects.year) == [f["year"] for f in gold(corpus, "a_html_01")] == [2024] * 4


# --- Excel: a notes column left of the form ------------------------------------------------------

def _shifted_right(data: bytes, columns: int, notes: list[str]) -> bytes:
    """Every sheet's form moved right by `columns`, a 填表说明 printed line by line in column A."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    for ws in workbook.worksheets:
        merged = [CellRange(m.coord) for m in ws.merged_cells.ranges]
        for m in merged:
            ws.unmerge_cells(m.coord)
        ws.move_range(f"A1:{get_column_letter(ws.max_column)}{ws.max_row}", cols=columns)
        for m in merged:
            m.shift(col_shift=columns)
            ws.merge_cells(m.coord)
        for k, note in enumerate(notes):
            ws.cell(3 + k, 1).value = note
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_form_that_starts_in_column_c_after_a_notes_column(corpus: Path, tmp_path: Path) -> None:
    notes = ["填表说明：", "1.金额单位为万元。", "2.执行率=全年执行数/全年预算数。", "3.分值合计为100分。",
             "4.偏差原因须逐项说明。", "5.本表由项目实施单位填报。"]
    data = _shifted_right((corpus / "xlsx" / "a_xlsx_01.xlsx").read_bytes(), 2, notes)
    forms = normalize(extract("xlsx", data)).forms
    expected = gold(corpus, "a_xlsx_01")
    assert len(forms) == len(expected) == 2
    for form, want in zip(forms, expected):
        assert_budget_like(form, want)
        assert form.project.issues == want["issues"]
        assert [i.name for i in form.indicators] == [i["name"] for i in want["indicators"]]
        assert form.project.goal_expected == want["goal_expected"]


# --- Excel: a budget row without 年初预算数 --------------------------------------------------------

def test_a_budget_row_with_an_empty_年初预算数_cell_keeps_its_columns(tmp_path: Path) -> None:
    """年初预算数 left empty in every row, and 执行率 typed as percent points ("66") in one row and as
    a fraction ("0.81") in another: the figures stay under their own headers."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.append(["项目名称", None, "城乡环境整治专项"])
    ws.append(["项目资金（万元）", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"])
    ws.append([None, "年度资金总额", None, 3533.28, 2316.23, 10, 66, 6.6])
    ws.append([None, "其中：当年财政拨款", None, 1633.28, 776.23, "—"])
    ws.append([None, "上年结转资金", None, 1900, 1540, None, 0.81, "/"])
    ws.append(["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"])
    ws.append([None, "产出指标", "数量指标", "清扫面积", "≥300万平方米", "310万平方米", 90, 90])
    ws.append(["总分", None, None, None, None, None, 100, 96.6])
    buffer = io.BytesIO()
    workbook.save(buffer)
    (form,) = normalize(extract("xlsx", buffer.getvalue())).forms
    p = form.project
    assert (p.budget_initial, p.budget_annual, p.budget_executed, p.budget_weight, p.execution_rate,
            p.budget_score) == (None, 3533.28, 2316.23, 10.0, 0.66, 6.6)
    assert (p.fiscal_initial, p.fiscal_annual, p.fiscal_executed) == (None, 1633.28, 776.23)
    assert (p.carryover_initial, p.carryover_annual, p.carryover_executed) == (None, 1900.0, 1540.0)
    assert p.issues == []


# --- Text PDF: a page break inside the budget block, under a running header -----------------------

_FORM_ROWS = [
    ["项目名称", "", "路灯电费", "", "", "", "", ""],
    ["主管部门", "", "某市城市管理局", "", "", "实施单位", "某市路灯所", ""],
    ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
    ["年度资金总额", "", "1,200.50", "1,150.00", "1,035.00", "10", "90%", "9"],
    ["其中：当年财政拨款", "", "1,200.50", "1,150.00", "1,035.00", "—", "—", "—"],
    ["上年结转资金", "", "", "", "", "—", "—", "—"],
    ["年度总体目标", "预期目标", "", "", "实际完成情况", "", "", ""],
    ["", "保障路灯正常运行。", "", "", "路灯亮灯率99%。", "", "", ""],
    ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
    ["", "产出指标", "数量指标", "路灯数量", "5000盏", "5000盏", "50", "50"],
    ["", "效益指标", "社会效益指标", "夜间出行安全", "提升", "提升", "40", "30"],
    ["总分", "", "", "", "", "", "100", "89"],
]
_SPANS = [*(((0, r), (1, r)) for r in range(6)), ((2, 0), (7, 0)), ((2, 1), (4, 1)), ((6, 1), (7, 1)),
          ((1, 6), (3, 6)), ((4, 6), (7, 6)), ((1, 7), (3, 7)), ((4, 7), (7, 7)), ((0, 6), (0, 7)),
          ((0, 8), (0, 10)), ((0, 11), (5, 11))]
RUNNING_HEADER = "某市2024年度部门预算绩效自评报告"


def _form_pdf(space_before: float) -> bytes:
    """The form in a template with one label column (no merged 项目资金 cell), `space_before` points
    below the top of page 1, with a running header and page numbers on every page."""
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=9, leading=11, wordWrap="CJK")
    title = ParagraphStyle("title", fontName="STSong-Light", fontSize=15, leading=20, alignment=1)
    table = Table([[Paragraph(text, cell) for text in row] for row in _FORM_ROWS],
                  colWidths=[50, 40, 52, 52, 52, 30, 40, 30],
                  style=TableStyle([("SPAN", a, b) for a, b in _SPANS] + [
                      ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))

    def furniture(canvas, _doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont("STSong-Light", 9)
        canvas.drawString(40, A4[1] - 30, RUNNING_HEADER)
        canvas.drawCentredString(A4[0] / 2, 24, f"第 {canvas.getPageNumber()} 页")
        canvas.restoreState()

    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, topMargin=56, bottomMargin=56, leftMargin=40, rightMargin=40).build(
        [Spacer(1, space_before), Paragraph("项目支出绩效自评表", title), Paragraph("（2024年度）", cell), table],
        onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue()


def _last_row_on_page_one(pdf: bytes) -> str:
    grid = extract("pdf", pdf)
    cells = [c for t in grid.tables if not t.loose for c in t.cells if c.page == 1 and c.text]
    bottom = max(c.bbox[1] for c in cells)
    return " ".join(c.text for c in sorted(cells, key=lambda c: c.bbox[0]) if c.bbox[1] == bottom)


@pytest.mark.parametrize("break_after", ["项目资金", "年度资金总额"])
def test_a_page_break_inside_the_budget_block_of_a_text_pdf(break_after: str) -> None:
    pdf = next(data for space in range(540, 660, 4) if _last_row_on_page_one(data := _form_pdf(space)).startswith(
        break_after))
    (form,) = normalize(extract("pdf", pdf)).forms
    p = form.project
    assert (p.budget_initial, p.budget_annual, p.budget_executed, p.budget_weight, p.execution_rate,
            p.budget_score) == (1200.5, 1150.0, 1035.0, 10.0, 0.9, 9.0)
    assert (p.fiscal_initial, p.fiscal_annual, p.fiscal_executed) == (1200.5, 1150.0, 1035.0)
    assert (p.goal_expected, p.goal_actual) == ("保障路灯正常运行。", "路灯亮灯率99%。")
    assert [(i.name, i.weight, i.score) for i in form.indicators] == [("路灯数量", 50, 50), ("夜间出行安全", 40, 30)]
    assert (p.year, p.total_score, p.issues, p.page_start, p.page_end) == (2024, 89.0, [], 1, 2)


# --- A landscape scan whose pages print a running header ------------------------------------------

def test_a_landscape_scan_with_a_running_header_keeps_the_next_page(shared: Path) -> None:
    want = json.loads((shared / "gold" / "002_9da3ca00a275ab0a.json").read_text(encoding="utf-8"))["forms"][0]
    rendered = render([want], Style(pagesize=landscape(A4), font=embedded_font(), running_header=RUNNING_HEADER,
                                    page_footer="第 {n} 页"))
    assert rendered.pages == [(1, 2)]
    scan = to_pdf(scan_pdf(rendered.pdf, dpi=150, tilt=1.0), 150)
    (form,) = normalize(extract("pdf", scan, ExtractOptions(ocr_engine="fast"))).forms
    p = form.project
    assert (p.page_start, p.page_end) == (1, 2)
    # Names as the fast engine reads them may differ by a space; the rows and their figures may not.
    assert [(i.weight, i.score) for i in form.indicators] == [(i["weight"], i["score"]) for i in want["indicators"]]
    assert (p.total_weight, p.total_score) == (want["total_weight"], want["total_score"])
    assert "missing_total" not in p.issues


# --- A 部门决算 report with the forms in its appendix ----------------------------------------------

def _table(document: docx.document.Document, rows: list[list[str]]) -> None:
    table = document.add_table(rows=len(rows), cols=max(map(len, rows)))
    for r, texts in enumerate(rows):
        for c, text in enumerate(texts):
            table.cell(r, c).text = text


def test_forms_in_the_appendix_of_a_部门决算_report_and_no_others(corpus: Path, tmp_path: Path) -> None:
    """Finance tables print 项目名称, 年初预算数, 全年预算数, 合计 and even 得分 in their headers; only
    the two forms of the appendix are forms."""
    report = docx.Document()
    report.add_heading("北京市密云区卫生健康委员会2024年度部门决算", 0)
    report.add_paragraph("第一部分 部门概况")
    report.add_paragraph("一、部门职责。二、机构设置。本部门2024年度收入合计4,512.30万元，支出合计4,480.10万元。")
    report.add_paragraph("第二部分 2024年度部门决算表")
    report.add_paragraph("收入支出决算总表")
    report.add_paragraph("金额单位：万元")
    _table(report, [["项目", "行次", "年初预算数", "全年预算数", "决算数"],
                    ["一般公共预算财政拨款收入", "1", "4,100.00", "4,300.00", "4,250.00"],
                    ["合计", "", "4,100.00", "4,300.00", "4,250.00"]])
    report.add_paragraph("项目支出决算表")
    _table(report, [["项目名称", "年初预算数", "全年预算数", "全年执行数", "执行率"],
                    ["基层医疗卫生服务能力提升项目补助资金", "4507.55", "4507.55", "4104.27", "91%"],
                    ["计划生育避孕药具经费", "10", "10", "10", "100%"],
                    ["合计", "4517.55", "4517.55", "4114.27", "91.07%"]])
    report.add_paragraph("项目支出绩效自评结果汇总表")
    _table(report, [["序号", "项目名称", "项目资金", "年初预算数", "全年执行数", "自评得分"],
                    ["1", "基层医疗卫生服务能力提升项目补助资金", "", "4507.55", "4104.27", "98.6"],
                    ["合计", "", "", "4517.55", "4114.27", ""]])
    report.add_paragraph("第三部分 2024年度部门决算情况说明")
    report.add_paragraph("一、收入支出决算总体情况说明。二、财政拨款支出决算情况说明。")
    report.add_paragraph("附件：2024年度项目支出绩效自评表")
    appendix = docx.Document(corpus / "docx" / "a_docx_01.docx")
    body = report.element.body
    for element in list(appendix.element.body):
        if not element.tag.endswith("}sectPr"):
            body.append(copy.deepcopy(element))
    buffer = io.BytesIO()
    report.save(buffer)
    projects = projects_of(run_on(tmp_path, "决算.docx", buffer.getvalue()))
    expected = gold(corpus, "a_docx_01")
    assert list(projects.project_name) == [f["project_name"] for f in expected]
    assert list(projects.budget_annual) == [f["budget_annual"] for f in expected]
    assert list(projects.indicator_count) == [len(f["indicators"]) for f in expected]

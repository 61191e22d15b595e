"""What some PDF producers put in a text layer that a reader does not see: watermarks across
the table, characters mapped to CJK radicals with the right ones in /ActualText spans, glyphs
without a Unicode map, and the right-hand columns of a sheet printed on a later page."""
from __future__ import annotations

import io

import pikepdf
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from jixiao.extractors.pdf import extract_pdf
from jixiao.extractors.pdf.flow import _confidence
from jixiao.normalizers import normalize

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
ROW = 22


def ruled(c: canvas.Canvas, rows: list[list[str]], xs: list[float], top: float) -> None:
    """A fully ruled table, its top at `top`."""
    c.setFont(FONT, 9)
    for r, row in enumerate(rows):
        for k, text in enumerate(row):
            c.drawString(xs[k] + 3, top - r * ROW - 15, text)
    for r in range(len(rows) + 1):
        c.line(xs[0], top - r * ROW, xs[-1], top - r * ROW)
    for x in xs:
        c.line(x, top, x, top - len(rows) * ROW)


def cells(data: bytes) -> list[list[str]]:
    grid = extract_pdf(data)
    table = max(grid.tables, key=lambda t: len(t.cells))
    return [[c.text for c in table.cells if c.row == r] for r in sorted({c.row for c in table.cells})]


INDICATORS = [["一级指标", "二级指标", "三级指标", "年度指标值", "分值"],
              ["产出指标", "数量指标", "法律援助案件质量评查优秀率", "≥660个", "3"],
              ["产出指标", "质量指标", "公证差错率", "≤0.1%", "2"],
              ["效益指标", "社会效益指标", "矛盾纠纷化解率", "≥95%", "5"]]
XS = [60, 130, 210, 400, 470, 520]


def test_a_watermark_across_the_table_is_not_cell_text() -> None:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    ruled(c, INDICATORS, XS, 700)
    c.saveState()
    c.setFillColor(colors.Color(0.5, 0.5, 0.5, alpha=0.25))
    c.setFont(FONT, 72)
    c.translate(290, 640)
    c.rotate(40)
    c.drawCentredString(0, 0, "内部资料")
    c.restoreState()
    c.save()
    assert cells(buffer.getvalue()) == INDICATORS


def test_characters_mapped_to_radicals_are_read_from_their_actual_text() -> None:
    """Chromium's fonts map 门 and 民 to the radicals ⻔ and ⺠ and give the right characters
    in /ActualText spans around them."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    ruled(c, [["\u2ed4诊", "人\u2ea0调解"], ["1", "2"]], [60, 200, 340], 700)
    c.save()
    actual = {"\u2ed4诊": "门诊", "人\u2ea0调解": "人民调解"}
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf:
        page = pdf.pages[0]
        spanned = []
        for operands, operator in pikepdf.parse_content_stream(page):
            # The CID font shows text as UCS-2 codes.
            shown = bytes(operands[0]).decode("utf-16-be") if str(operator) == "Tj" else ""
            if shown in actual:
                span = pikepdf.Dictionary(ActualText=pikepdf.String(actual[shown]))
                spanned.append(([pikepdf.Name("/Span"), span], pikepdf.Operator("BDC")))
            spanned.append((operands, operator))
            if shown in actual:
                spanned.append(([], pikepdf.Operator("EMC")))
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(spanned))
        out = io.BytesIO()
        pdf.save(out)
    assert cells(out.getvalue()) == [["门诊", "人民调解"], ["1", "2"]]


def test_glyphs_without_unicode_make_a_cell_unsure() -> None:
    """A font whose map misses some glyphs yields U+FFFD, or the glyph's byte read as
    Latin-1 (标 as "±", 率 as "¡"): the cell's confidence drops below the usual threshold."""
    assert _confidence("产出指±") < 0.8 and _confidence("食品安全检查合格¡") < 0.8
    assert _confidence("每餐补贴±准") < 0.8 and _confidence("\ufffd\ufffd名称") < 0.8
    assert _confidence("误差±5%") == _confidence("温度25°以上") == _confidence("4507.55") == 1.0


FORM_LEFT = [["项目名称", "图书馆数字资源采购", "", ""],
             ["一级指标", "二级指标", "三级指标", "年度指标值"],
             ["产出指标", "数量指标", "采购数据库", "≥12个"],
             ["效益指标", "社会效益指标", "读者访问量", "≥30万人次"],
             ["满意度指标", "服务对象满意度指标", "读者满意度", "≥90%"],
             ["总分", "", "", ""]]
FORM_RIGHT = [["", "", ""], ["实际完成值", "分值", "得分"], ["12个", "40", "40"], ["32万人次", "30", "28"],
              ["92%", "30", "30"], ["", "100", "98"]]


def _sheet_without_fit(right: list[list[str]]) -> bytes:
    """A sheet printed without fitting its width: the columns that did not fit go to page 2."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    c.setFont(FONT, 14)
    c.drawString(200, 760, "项目支出绩效自评表")
    ruled(c, FORM_LEFT, [40, 130, 240, 400, 520], 730)
    c.showPage()
    ruled(c, right, [40, 140, 220, 300], 730)
    c.save()
    return buffer.getvalue()


def test_columns_printed_on_the_next_page_join_their_rows() -> None:
    (form,) = normalize(extract_pdf(_sheet_without_fit(FORM_RIGHT))).forms
    assert (form.project.page_start, form.project.page_end) == (1, 2)
    assert (form.project.total_weight, form.project.total_score) == (100.0, 98.0)
    assert [(i.name, i.actual_raw, i.weight, i.score) for i in form.indicators] == [
        ("采购数据库", "12个", 40.0, 40.0), ("读者访问量", "32万人次", 30.0, 28.0), ("读者满意度", "92%", 30.0, 30.0)]


def test_the_next_form_of_the_same_template_is_not_a_right_hand_part() -> None:
    """Same rows on the next page, but its first column repeats the labels: another form."""
    next_form = [row[:] for row in FORM_LEFT]
    next_form[0][1] = "档案数字化"
    grid = extract_pdf(_sheet_without_fit([row[:3] for row in next_form]))
    tables = [t for t in grid.tables if len(t.cells) > 6]
    assert len(tables) == 2 and {c.page for c in tables[1].cells} == {2}

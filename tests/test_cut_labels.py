"""A merged label cell cut in two by a page break reads as one label (row stream of any paged grid)."""
from __future__ import annotations

from jixiao.grid import Cell, Grid, Table
from jixiao.normalizers.rows import row_stream


def table(page: int, *rows: tuple[str, ...]) -> Table:
    return Table(cells=[Cell(text=text, row=r, col=c, page=page) for r, row in enumerate(rows)
                        for c, text in enumerate(row)])


def texts(grid: Grid) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in row_stream(grid)]


def test_a_label_cut_by_a_page_break_is_joined_above() -> None:
    grid = Grid("pdf", "pdf_text", [
        table(1, ("项目资金（万", "年度资金总额", "10", "100%"), ("", "其中:当年财政拨款", "5", "")),
        table(2, ("元）", "上年结转资金", "5", ""), ("年度总体目标", "预期目标", "", "")),
    ])
    assert texts(grid) == [["项目资金(万元)", "年度资金总额", "10", "100%"], ["", "其中:当年财政拨款", "5", ""],
                           ["", "上年结转资金", "5", ""], ["年度总体目标", "预期目标", "", ""]]


def test_level_labels_cut_by_a_page_break() -> None:
    grid = Grid("pdf", "pdf_text", [
        table(4, ("满意度指", "服务对象", "医疗机构满意度", "100%", "10")),
        table(5, ("标", "满意度指\n标", "患者满意度", "100%", "10")),
    ])
    assert texts(grid) == [["满意度指标", "服务对象满意度指标", "医疗机构满意度", "100%", "10"],
                           ["", "", "患者满意度", "100%", "10"]]


def test_whole_labels_and_lines_of_text_are_left_alone() -> None:
    grid = Grid("pdf", "pdf_text", [
        table(1, ("效益指标", "社会效益", "群众获得感", "提高", "10")),
        table(2, ("满意度指标", "服务对象满意度", "满意度", "90%", "10")),
        table(2, ("总计", "100", "98")),
        table(3, ("（2024年度）",)),
        table(3, ("项目资金", "年初预算数")),
    ])
    assert texts(grid)[1][:2] == ["满意度指标", "服务对象满意度"]
    assert texts(grid)[3] == ["(2024年度)"] and texts(grid)[2][0] == "总计"
    assert texts(grid)[4][0] == "项目资金"
    # Without pages (a Word or Excel grid) nothing is cut by a page break.
    unpaged = Grid("docx", "docx", [Table(cells=[Cell("满意度指", 0, 0), Cell("标", 1, 0), Cell("x", 1, 1)])])
    assert texts(unpaged) == [["满意度指"], ["标", "x"]]

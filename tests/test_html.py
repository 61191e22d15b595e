"""HTML pages: spans, declared encodings, layout tables, loose text, pages posing as Excel."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import read_forms, run_on

from jixiao.extractors import sniff_format
from jixiao.extractors.html import extract_html
from jixiao.extractors.layout import DeclaredCell, place_cells

PAGE = "a_html_03.html"


@pytest.fixture(scope="module")
def page(corpus: Path) -> str:
    return (corpus / "html" / PAGE).read_text(encoding="utf-8")


def test_row_and_column_spans_place_cells_like_a_browser() -> None:
    table = place_cells([
        [DeclaredCell("项目资金", rowspan=3), DeclaredCell("", colspan=2), DeclaredCell("年初预算数")],
        [DeclaredCell("年度资金总额", colspan=2), DeclaredCell("100")],
        [DeclaredCell("其中：财政拨款", colspan=2), DeclaredCell("80")],
        [DeclaredCell("总分", rowspan=9999), DeclaredCell("95")],
    ])
    placed = {c.text: (c.row, c.col, c.rowspan, c.colspan) for c in table.cells}
    assert placed["年度资金总额"] == (1, 1, 1, 2) and placed["100"] == (1, 3, 1, 1)
    assert placed["80"] == (2, 3, 1, 1)
    assert placed["总分"] == (3, 0, 1, 1) and placed["95"] == (3, 1, 1, 1)  # a span stops at the edge


def test_text_outside_tables_is_kept(page: str) -> None:
    grid = extract_html(page.encode("utf-8"))
    assert [c.text for c in grid.tables[0].cells] == ["项目支出绩效自评表", "（2024年度）"]
    label = next(c for c in grid.tables[1].cells if c.text == "年度总体目标")
    assert label.rowspan == 2 and label.col == 0


@pytest.mark.parametrize("declaration", [
    '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
    '<meta charset="GBK">',
])
def test_a_declared_gb_encoding(page: str, declaration: str, tmp_path: Path) -> None:
    gb_page = page.replace('<meta charset="utf-8">', declaration).encode("gb18030")
    expected = read_forms(run_on(tmp_path, "utf8.html", page.encode("utf-8")))
    got = read_forms(run_on(tmp_path, "gb.html", gb_page))
    pd.testing.assert_frame_equal(expected[0], got[0])
    pd.testing.assert_frame_equal(expected[1], got[1])


def test_an_excel_download_that_is_really_html(page: str, tmp_path: Path) -> None:
    data = page.encode("utf-8")
    assert sniff_format(data[:8192], data) == "html"
    out = run_on(tmp_path, "自评表.xls", data)
    assert set(pd.read_parquet(out / "projects").source_format) == {"html"}
    assert list(pd.read_parquet(out / "files").status) == ["ok"]


def test_a_layout_table_and_line_breaks(page: str, tmp_path: Path) -> None:
    body_start, body_end = page.index("<body>") + len("<body>"), page.index("</body>")
    framed = (page[:body_start] + '<table width="100%"><tr><td>' + page[body_start:body_end]
              + "</td></tr></table>" + page[body_end:])
    expected = read_forms(run_on(tmp_path, "plain.html", page.encode("utf-8")))
    got = read_forms(run_on(tmp_path, "framed.html", framed.encode("utf-8")))
    pd.testing.assert_frame_equal(expected[0], got[0])
    pd.testing.assert_frame_equal(expected[1], got[1])


def test_cell_line_breaks_hidden_rows_and_scripts() -> None:
    html = """<html><head><script>var x = "<table>";</script></head><body>
    <h2>项目支出<br>绩效自评表</h2>
    <table><tr><th>一级<br/>指标</th><td>产出&nbsp;指标</td></tr>
    <tr style="display:none"><td>隐藏</td><td>行</td></tr></table></body></html>"""
    grid = extract_html(html.encode("utf-8"))
    assert [c.text for c in grid.tables[0].cells] == ["项目支出", "绩效自评表"]
    assert [c.text for c in grid.tables[1].cells] == ["一级\n指标", "产出\xa0指标"]


def test_a_caption_is_text_before_its_table() -> None:
    grid = extract_html("<html><body><table border=1><caption>项目支出绩效自评表<br>（2023年度）</caption>"
                        "<tr><td>项目名称</td></tr></table></body></html>".encode())
    assert [[c.text for c in t.cells] for t in grid.tables] == [["项目支出绩效自评表", "（2023年度）"], ["项目名称"]]


def _nest_indicator_grid(page: str) -> str:
    """The first form's indicator grid moved into a table inside the cell beside 绩效指标."""
    import lxml.html

    root = lxml.html.document_fromstring(page)
    table = root.find(".//table")
    rows = table.findall("tr")
    header = next(k for k, tr in enumerate(rows) if "一级指标" in tr.text_content())
    total = next(k for k, tr in enumerate(rows) if tr.text_content().startswith(("总分", "总计")))
    rows[header].remove(rows[header][0])  # the 绩效指标 label, merged down the grid
    holder = lxml.html.fromstring('<tr><td>绩效指标</td><td colspan="8"><table></table></td></tr>')
    for tr in rows[header:total]:
        holder.find(".//table").append(tr)
    rows[total].addprevious(holder)
    return lxml.html.tostring(root, encoding="unicode")


def test_an_indicator_grid_nested_in_a_cell(page: str, tmp_path: Path) -> None:
    nested = _nest_indicator_grid(page)
    assert nested.count("<table") == page.count("<table") + 1
    expected = read_forms(run_on(tmp_path, "plain.html", page.encode("utf-8")))
    got = read_forms(run_on(tmp_path, "nested.html", nested.encode("utf-8")))
    pd.testing.assert_frame_equal(expected[0], got[0])
    pd.testing.assert_frame_equal(expected[1], got[1])


def test_values_in_form_controls() -> None:
    grid = extract_html('<table><tr><td>项目名称</td><td><input type="text" value="测试项目" readonly></td>'
                        '<td><input type="hidden" value="x1"><textarea>目标甲</textarea></td>'
                        '<td><select><option>否</option><option selected>是</option></select></td></tr></table>'
                        .encode())
    assert [c.text for c in grid.tables[0].cells] == ["项目名称", "测试项目", "目标甲", "是"]


def test_a_web_archive_saved_as_doc(page: str, tmp_path: Path) -> None:
    """Word's "single file web page" (MHT): MIME parts, quoted-printable, a GB charset."""
    import email.charset
    import email.mime.multipart
    import email.mime.text

    email.charset.add_charset("gb18030", email.charset.QP, email.charset.QP)
    archive = email.mime.multipart.MIMEMultipart("related")
    archive.attach(email.mime.text.MIMEText(page.replace('<meta charset="utf-8">', ""), "html", "gb18030"))
    data = archive.as_bytes()
    assert sniff_format(data[:8192], data) == "mht" and b"=" in data
    expected = read_forms(run_on(tmp_path, "page.html", page.encode("utf-8")))
    got = read_forms(run_on(tmp_path, "page.doc", data))
    pd.testing.assert_frame_equal(expected[0], got[0])
    pd.testing.assert_frame_equal(expected[1], got[1])

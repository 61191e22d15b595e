"""Word documents: real merged cells, forms split over tables, layout tables, text boxes, bad files."""
from __future__ import annotations

import copy
import io
import shutil
from pathlib import Path

import docx
import pandas as pd
import pytest
from conftest import read_forms, run_on
from lxml import etree

from jixiao.extractors import ExtractError, extract, sniff_format
from jixiao.extractors.docx import W, extract_docx
from jixiao.grid import Grid
from jixiao.pipeline.cli import main

TWO_FORMS = "a_docx_02.docx"


@pytest.fixture(scope="module")
def original(corpus: Path) -> bytes:
    return (corpus / "docx" / TWO_FORMS).read_bytes()


def edited(data: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    """The document after `edit(body)` changed its XML."""
    document = docx.Document(io.BytesIO(data))
    edit(document.element.body)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def cell(grid: Grid, text: str):  # type: ignore[no-untyped-def]
    return [c for t in grid.tables for c in t.cells if c.text == text]


def test_merged_cells_are_one_cell_with_spans(original: bytes) -> None:
    grid = extract_docx(original)
    effect = cell(grid, "效果指标")
    assert [(c.rowspan, c.colspan) for c in effect] == [(2, 1), (2, 1)]  # once per form, not once per row
    assert [c.rowspan for c in cell(grid, "产出指标")] == [8]
    label = cell(grid, "项目名称")[0]
    assert label.colspan == 2 and label.col == 0
    name = next(c for c in grid.tables[1].cells if c.row == label.row and c.col == 2)
    assert name.text == "计划生育特殊家庭扶助保障" and name.colspan == 7


def test_title_and_year_paragraphs_are_kept(original: bytes) -> None:
    grid = extract_docx(original)
    assert [c.text for c in grid.tables[0].cells] == ["项目支出绩效自评表", "（2024年度）"]


def _split_first_table(body: etree._Element) -> None:
    """A page break inside the form: its first table ends after 12 rows and a second table,
    without a repeated header, holds the rest."""
    table = body.find(f"{W}tbl")
    rest = copy.deepcopy(table)
    rows = table.findall(f"{W}tr")
    for tr in rows[12:]:
        table.remove(tr)
    for tr in rest.findall(f"{W}tr")[:12]:
        rest.remove(tr)
    page_break = etree.SubElement(etree.Element(f"{W}p"), f"{W}r")
    etree.SubElement(page_break, f"{W}br", {f"{W}type": "page"})
    table.addnext(page_break.getparent())
    page_break.getparent().addnext(rest)


def test_a_form_split_over_two_tables_reads_as_one(original: bytes, tmp_path: Path) -> None:
    split = edited(original, _split_first_table)
    assert len(docx.Document(io.BytesIO(split)).tables) == 3
    expected = read_forms(run_on(tmp_path, "whole.docx", original))
    got = read_forms(run_on(tmp_path, "split.docx", split))
    pd.testing.assert_frame_equal(expected[0], got[0])
    pd.testing.assert_frame_equal(expected[1], got[1])


def _wrap_in_layout_table(body: etree._Element) -> None:
    """Everything in one 1×1 table, as pages laid out with a frame table are."""
    frame = etree.Element(f"{W}tbl")
    tc = etree.SubElement(etree.SubElement(frame, f"{W}tr"), f"{W}tc")
    content = [child for child in body if child.tag != f"{W}sectPr"]
    body.insert(0, frame)
    for child in content:
        tc.append(child)
    tc.append(etree.Element(f"{W}p"))


def test_a_layout_table_around_the_forms_is_read_through(original: bytes, tmp_path: Path) -> None:
    framed = edited(original, _wrap_in_layout_table)
    expected = read_forms(run_on(tmp_path, "plain.docx", original))
    got = read_forms(run_on(tmp_path, "framed.docx", framed))
    pd.testing.assert_frame_equal(expected[0], got[0])
    pd.testing.assert_frame_equal(expected[1], got[1])


_TEXT_BOX = f"""<w:p xmlns:w="{W[1:-1]}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
  xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" xmlns:v="urn:schemas-microsoft-com:vml">
 <w:r><mc:AlternateContent>
  <mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>
   <w:p><w:r><w:t>附件：文本框里的说明</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>
  <mc:Fallback><w:pict><v:textbox><w:txbxContent>
   <w:p><w:r><w:t>附件：文本框里的说明</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback>
 </mc:AlternateContent></w:r></w:p>"""


def _add_nested_table_and_text_box(body: etree._Element) -> None:
    table = body.find(f"{W}tbl")
    last_cell = table.findall(f"{W}tr")[14].findall(f"{W}tc")[-1]
    nested = etree.SubElement(last_cell, f"{W}tbl")
    for texts in (("原因", "措施"), ("疫情影响", "加快进度")):
        tr = etree.SubElement(nested, f"{W}tr")
        for text in texts:
            run = etree.SubElement(etree.SubElement(etree.SubElement(tr, f"{W}tc"), f"{W}p"), f"{W}r")
            etree.SubElement(run, f"{W}t").text = text
    etree.SubElement(last_cell, f"{W}p")
    body.insert(0, etree.fromstring(_TEXT_BOX))


def test_nested_tables_and_text_boxes(original: bytes) -> None:
    grid = extract_docx(edited(original, _add_nested_table_and_text_box))
    assert [c.text for c in grid.tables[0].cells][:1] == ["附件：文本框里的说明"]  # read once, not twice
    noted = [c for c in grid.tables[1].cells if "疫情影响" in c.text]
    assert len(noted) == 1 and noted[0].text.endswith("原因 措施\n疫情影响 加快进度")


def test_the_content_decides_not_the_name(original: bytes, tmp_path: Path) -> None:
    out = run_on(tmp_path, "saved-as.doc", original)
    projects = pd.read_parquet(out / "projects")
    assert set(projects.source_format) == {"docx"} and len(projects) == 2


def test_a_corrupt_document_fails_and_the_others_land(corpus: Path, original: bytes, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(corpus / "docx" / TWO_FORMS, inbox / "good.docx")
    (inbox / "truncated.docx").write_bytes(original[: len(original) // 2])
    broken_xml = edited(original, lambda body: None).replace(b"word/document.xml", b"word/documenX.xml")
    (inbox / "no-body.docx").write_bytes(broken_xml)
    out = tmp_path / "out"
    assert main(["run", str(inbox), "--out", str(out), "--quiet"]) == 1
    files = pd.read_parquet(out / "files").set_index("source_path")
    assert files.loc["good.docx", "status"] == "ok" and files.loc["good.docx", "forms"] == 2
    for bad in ("truncated.docx", "no-body.docx"):
        assert files.loc[bad, "status"] == "failed"
        assert "\n" not in files.loc[bad, "error"] and files.loc[bad, "error"]
    assert len(pd.read_parquet(out / "projects")) == 2


def test_sniffing_a_docx(original: bytes) -> None:
    assert sniff_format(original[:8192], original) == "docx"
    with pytest.raises(ExtractError):
        extract("docx", b"PK\x03\x04" + b"\x00" * 100)


def test_a_password_protected_document_fails_clearly(original: bytes, tmp_path: Path) -> None:
    import msoffcrypto.format.ooxml

    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(original)).encrypt("secret", encrypted)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "locked.docx").write_bytes(encrypted.getvalue())
    out = tmp_path / "out"
    assert main(["run", str(folder), "--out", str(out), "--quiet"]) == 1
    files = pd.read_parquet(out / "files")
    assert list(files.status) == ["failed"] and list(files.error) == ["sniff/unsupported: password-protected Office document"]


def _cells_of(runs: list[str]) -> list[str]:
    """A one-row table whose cells hold the given runs (WordprocessingML)."""
    document = docx.Document()
    table = document.add_table(rows=1, cols=len(runs))
    for k, xml in enumerate(runs):
        paragraph = table.cell(0, k).paragraphs[0]._p
        for run in etree.fromstring(f'<r xmlns:w="{W[1:-1]}">{xml}</r>'):
            paragraph.append(run)
    document.add_paragraph("")
    buffer = io.BytesIO()
    document.save(buffer)
    return [c.text for c in extract_docx(buffer.getvalue()).tables[0].cells]


_SYMBOL = '<w:r><w:rPr><w:rFonts w:ascii="Symbol" w:hAnsi="Symbol"/></w:rPr>{}</w:r><w:r><w:t>{}</w:t></w:r>'


def test_symbol_font_characters_and_hidden_text() -> None:
    assert _cells_of([
        _SYMBOL.format('<w:sym w:font="Symbol" w:char="F0B3"/>', "95%"),  # Insert → Symbol
        _SYMBOL.format("<w:t>\uf0a3</w:t>", "4个工作日"),  # what a .doc's symbol becomes in .docx
        '<w:r><w:t>就业补助资金</w:t></w:r><w:r><w:rPr><w:vanish/></w:rPr><w:t>（填写项目全称）</w:t></w:r>',
    ]) == ["≥95%", "≤4个工作日", "就业补助资金"]


def _nest_indicator_grid(body: etree._Element) -> None:
    """The indicator grid set as a table inside the cell beside 绩效指标, as WPS templates do:
    the outer table keeps the project block, one row 绩效指标 | (grid), and the 总分 row."""
    table = body.findall(f"{W}tbl")[-1]
    rows = table.findall(f"{W}tr")
    header = next(k for k, tr in enumerate(rows) if "一级指标" in "".join(tr.itertext()))
    total = next(k for k, tr in enumerate(rows) if "".join(tr.itertext()).startswith(("总分", "总计")))
    grid = etree.Element(f"{W}tbl")
    for tr in rows[header:total]:
        inner = copy.deepcopy(tr)
        first = inner.find(f"{W}tc")
        if "绩效指标" in "".join(first.itertext()) or first.find(f"{W}tcPr/{W}vMerge") is not None:
            inner.remove(first)  # the outer label column stays outside
        grid.append(inner)
    holder = etree.SubElement(etree.Element(f"{W}tr"), f"{W}tc")
    run = etree.SubElement(etree.SubElement(holder, f"{W}p"), f"{W}r")
    etree.SubElement(run, f"{W}t").text = "绩效指标"
    cell = etree.SubElement(holder.getparent(), f"{W}tc")
    cell.append(grid)
    etree.SubElement(cell, f"{W}p")
    for tr in rows[header:total]:
        table.remove(tr)
    table.insert(list(table).index(rows[total]), holder.getparent())


def test_an_indicator_grid_nested_in_a_cell(original: bytes, tmp_path: Path) -> None:
    nested = edited(original, _nest_indicator_grid)
    last = docx.Document(io.BytesIO(nested)).tables[-1]
    assert len(last.rows) < 15 and any(c.tables for row in last.rows for c in row.cells)
    expected = read_forms(run_on(tmp_path, "plain.docx", original))
    got = read_forms(run_on(tmp_path, "nested.docx", nested))
    pd.testing.assert_frame_equal(expected[0], got[0])
    pd.testing.assert_frame_equal(expected[1], got[1])


def test_html_imported_as_an_alt_chunk(corpus: Path) -> None:
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    document = docx.Document()
    page = (corpus / "html" / "a_html_03.html").read_bytes()
    part = Part(PackURI("/word/afchunk1.htm"), "text/html", page, document.part.package)
    rid = document.part.relate_to(part, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk")
    chunk = etree.SubElement(document.element.body, f"{W}altChunk")
    chunk.set("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id", rid)
    document.element.body.insert(0, chunk)
    buffer = io.BytesIO()
    document.save(buffer)
    from jixiao.extractors.html import extract_html

    expected = [[c.text for c in t.cells] for t in extract_html(page).tables]
    assert [[c.text for c in t.cells] for t in extract_docx(buffer.getvalue()).tables] == expected

"""Excel workbooks: displayed values, merged ranges, hidden rows/columns/sheets, sheets without forms, bad files."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import read_forms, run_on

from jixiao.extractors.xlsx import extract_xlsx
from jixiao.pipeline.cli import main

ONE_SHEET_PER_FORM = "a_xlsx_01.xlsx"  # sheets 表1 and 表2
BARE_FORMULAS = "a_xlsx_02.xlsx"  # "=100%" typed into cells, saved without a value


def saved(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def original(corpus: Path) -> bytes:
    return (corpus / "xlsx" / ONE_SHEET_PER_FORM).read_bytes()


def test_displayed_values_and_merged_ranges(original: bytes) -> None:
    grid = extract_xlsx(original)
    assert len(grid.tables) == 2  # one per sheet
    cells = {(c.row, c.col): c for c in grid.tables[0].cells}
    assert cells[(5, 7)].text == "91%"  # 0.91 formatted 0%
    assert cells[(5, 3)].text == "4507.55" and cells[(5, 5)].text == "4104.267"
    assert (cells[(2, 0)].text, cells[(2, 0)].colspan) == ("项目名称", 2)
    assert cells[(2, 2)].text == "基层医疗卫生服务能力提升项目补助资金" and cells[(2, 2)].colspan == 7
    fund = cells[(4, 0)]
    assert fund.text == "项目资金（万元）" and fund.rowspan == 5
    assert (5, 0) not in cells  # covered by the merged label, not repeated


def test_hidden_rows_columns_and_sheets_are_skipped(original: bytes, tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(original))
    first = workbook.worksheets[0]
    hidden_name = first["D13"].value
    first.row_dimensions[13].hidden = True  # an indicator row someone hid before publishing
    first["K3"] = "内部备注：不要打印"
    first.column_dimensions["K"].hidden = True
    scratch = workbook.create_sheet("草稿")
    scratch["A1"], scratch["A2"] = "项目名称", "草稿里的项目"
    scratch.sheet_state = "hidden"
    texts = {c.text for t in extract_xlsx(saved(workbook)).tables for c in t.cells}
    assert not texts & {hidden_name, "内部备注：不要打印", "草稿里的项目"}
    expected = read_forms(run_on(tmp_path, "plain.xlsx", original))[1]
    got = read_forms(run_on(tmp_path, "hidden.xlsx", saved(workbook)))[1]
    assert hidden_name in set(expected.name)
    kept = expected[expected.name != hidden_name]
    assert list(got.name) == list(kept.name)
    assert got.weight.tolist() == kept.weight.tolist() and got.score.tolist() == kept.score.tolist()


def test_a_sheet_without_a_form(original: bytes, tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(original))
    cover = workbook.create_sheet("说明", 0)
    cover["A1"], cover["A2"] = "2024年度绩效自评材料", "填报说明：金额单位为万元"
    expected = read_forms(run_on(tmp_path, "plain.xlsx", original))
    got = read_forms(run_on(tmp_path, "with-cover.xlsx", saved(workbook)))
    pd.testing.assert_frame_equal(expected[0], got[0])

    only_cover = openpyxl.Workbook()
    only_cover.active["A1"] = "目录"
    out = run_on(tmp_path, "cover-only.xlsx", saved(only_cover))
    files = pd.read_parquet(out / "files")
    assert list(files.status) == ["no_forms"] and list(files.source_format) == ["xlsx"]


def test_formula_cells(corpus: Path, original: bytes, soffice: str) -> None:
    bare = extract_xlsx((corpus / "xlsx" / BARE_FORMULAS).read_bytes())
    assert {"=100%", "=12个月"} <= {c.text for t in bare.tables for c in t.cells}  # refers to nothing: as typed
    workbook = openpyxl.load_workbook(io.BytesIO(original))
    sheet = workbook.worksheets[0]
    sheet["I6"] = "=ROUND(MIN(H6,1)*G6,2)"  # formulas saved without values, as non-Excel writers do
    sheet["H6"] = "=F6/E6"
    cells = {(c.row, c.col): c.text for c in extract_xlsx(saved(workbook)).tables[0].cells}
    assert cells[(5, 7)] == "91%" and cells[(5, 8)] == "9.11"  # recalculated, shown in the cell's format


def test_without_libreoffice_an_uncalculated_formula_reads_as_written(original: bytes,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIXIAO_SOFFICE", "/nonexistent/soffice")
    workbook = openpyxl.load_workbook(io.BytesIO(original))
    workbook.worksheets[0]["I6"] = "=G6*H6"
    assert "=G6*H6" in {c.text for t in extract_xlsx(saved(workbook)).tables for c in t.cells}


def test_a_corrupt_workbook_fails_and_the_others_land(corpus: Path, original: bytes, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(corpus / "xlsx" / ONE_SHEET_PER_FORM, inbox / "good.xlsx")
    (inbox / "truncated.xlsx").write_bytes(original[:3000])
    out = tmp_path / "out"
    assert main(["run", str(inbox), "--out", str(out), "--quiet"]) == 1
    files = pd.read_parquet(out / "files").set_index("source_path")
    assert files.loc["good.xlsx", "forms"] == 2
    assert files.loc["truncated.xlsx", "status"] == "failed" and files.loc["truncated.xlsx", "error"]


def spreadsheetml(workbook: openpyxl.Workbook) -> bytes:
    """The workbook as an Excel 2003 XML Spreadsheet, the way report systems export one."""
    from xml.sax.saxutils import escape, quoteattr

    formats: dict[str, str] = {}
    sheets = []
    for ws in workbook.worksheets:
        merged = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
        covered = {(r, c) for m in ws.merged_cells.ranges for r in range(m.min_row, m.max_row + 1)
                   for c in range(m.min_col, m.max_col + 1)} - set(merged)
        rows = []
        for r in range(1, ws.max_row + 1):
            cells = []
            for c in range(1, ws.max_column + 1):
                cell = ws.cell(r, c)
                if (r, c) in covered or (cell.value is None and (r, c) not in merged):
                    continue
                style = formats.setdefault(cell.number_format, f"s{len(formats)}")
                span = merged.get((r, c))
                attrs = f' ss:Index="{c}" ss:StyleID="{style}"'
                if span is not None:
                    attrs += f' ss:MergeAcross="{span.max_col - span.min_col}" ss:MergeDown="{span.max_row - span.min_row}"'
                kind = "Number" if isinstance(cell.value, (int, float)) else "String"
                value = "" if cell.value is None else escape(str(cell.value))
                cells.append(f'<Cell{attrs}><Data ss:Type="{kind}">{value}</Data></Cell>')
            rows.append(f'<Row ss:Index="{r}">{"".join(cells)}</Row>')
        sheets.append(f'<Worksheet ss:Name={quoteattr(ws.title)}><Table>{"".join(rows)}</Table></Worksheet>')
    styles = "".join(f'<Style ss:ID="{sid}"><NumberFormat ss:Format={quoteattr(fmt)}/></Style>'
                     for fmt, sid in formats.items())
    return ('<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
            'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
            f'<Styles>{styles}</Styles>{"".join(sheets)}</Workbook>').encode()


def test_an_excel_2003_xml_spreadsheet_named_xls(original: bytes, tmp_path: Path) -> None:
    data = spreadsheetml(openpyxl.load_workbook(io.BytesIO(original)))
    expected = read_forms(run_on(tmp_path, "book.xlsx", original))
    out = run_on(tmp_path, "book.xls", data)
    got = read_forms(out)
    pd.testing.assert_frame_equal(expected[0], got[0])
    pd.testing.assert_frame_equal(expected[1], got[1])
    assert set(pd.read_parquet(out / "projects").source_format) == {"xls"}


def test_excel_escapes_in_strings(original: bytes) -> None:
    """A carriage return inside cell text is stored as "_x000D_"; a literal "_x" as "_x005F_x"."""
    import zipfile

    workbook = openpyxl.load_workbook(io.BytesIO(original))
    workbook.worksheets[0]["B6"] = "年度资金@CR@\n总额"
    workbook.worksheets[0]["A1"] = "项目支出绩效自评表_x005F_x0031_"
    stored = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved(workbook))) as zin, zipfile.ZipFile(stored, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename).replace(b"@CR@", b"_x000D_"))
    texts = {c.text for t in extract_xlsx(stored.getvalue()).tables for c in t.cells}
    assert "年度资金\r\n总额" in texts and "项目支出绩效自评表_x0031_" in texts

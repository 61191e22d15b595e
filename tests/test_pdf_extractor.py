"""PDFs with a text layer: the corpus against its gold, forms over page breaks, several forms on a
page, other layouts, and PDFs whose text layer cannot be trusted, is locked or is damaged."""
from __future__ import annotations

import json
import re
from io import BytesIO
from pathlib import Path
from types import ModuleType

import pandas as pd
import pikepdf
import pytest
from pdfrender import STYLES, render

from jixiao.extractors import ExtractError, ExtractOptions, extract
from jixiao.extractors.pdf import extract_pdf
from jixiao.extractors.pdf.lines import TextLine
from jixiao.extractors.pdf.textlayer import GARBLED, UNMAPPED, text_problem
from jixiao.extractors.pdf.wrap import join_lines
from jixiao.grid import Cell, Table
from jixiao.normalizers import normalize
from jixiao.pipeline.cli import main
from jixiao.pipeline.process import process_file
from jixiao.version import READER_VERSION


@pytest.fixture(scope="module")
def corpus_pdf(shared: Path) -> Path:
    return shared / "corpus" / "pdf"


@pytest.fixture(scope="module")
def corpus_out(corpus_pdf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "out"
    assert main(["run", str(corpus_pdf), "--out", str(out), "--quiet"]) == 0
    return out


def _gold(shared: Path, name: str) -> dict:
    return json.loads((shared / "corpus" / "gold" / f"{name}.json").read_text(encoding="utf-8"))


def test_corpus_pdfs_read_as_their_gold(shared: Path, corpus_out: Path, scorer: ModuleType) -> None:
    gold = scorer.load_gold(sorted(str(p) for p in (shared / "corpus" / "gold").glob("a_pdf_*.json")))
    report = scorer.score(gold, scorer.load_table(str(corpus_out), "projects"),
                          scorer.load_table(str(corpus_out), "indicators"))
    assert report["forms"]["expected"] == report["forms"]["found"] == 25 and report["forms"]["extra"] == 0
    assert report["score"] >= 0.99
    # No flag where the gold has none: a middle dot between characters ("元/生·月") is no misread glyph.
    assert all(report["issues"][kind]["total"][miss] == 0 for kind in ("project", "indicator") for miss in ("fp", "fn"))
    projects = pd.read_parquet(corpus_out / "projects")
    assert set(projects["source_format"]) == {"pdf"} and set(projects["extractor"]) == {"pdf_text"}
    for doc in gold:
        for form in doc["forms"]:
            row = projects[(projects.source_path == doc["source_path"]) & (projects.table_index == form["table_index"])]
            assert (row.page_start.item(), row.page_end.item()) == (form["page_start"], form["page_end"])


def test_a_form_over_a_page_break_is_one_form(shared: Path, corpus_out: Path) -> None:
    projects = pd.read_parquet(corpus_out / "projects")
    indicators = pd.read_parquet(corpus_out / "indicators")
    first = projects[(projects.source_path == "a_pdf_01.pdf") & (projects.table_index == 0)].iloc[0]
    assert (first.page_start, first.page_end) == (1, 2) and first.total_score == 98.6
    got = indicators[indicators.project_id == first.project_id].sort_values("seq")
    gold = _gold(shared, "a_pdf_01")["forms"][0]["indicators"]
    # The 经济效益 row is cut by the page break: its 三级指标 goes on at the top of page 2.
    assert got["name"].tolist() == [i["name"] for i in gold]
    assert "满足辖区内老百姓就医需求" in got["name"].iloc[12]
    # Merged 一级/二级 cells cut by a page break ("满意度指" | "标") keep their whole label.
    form = projects[(projects.source_path == "a_pdf_02.pdf") & (projects.table_index == 2)].iloc[0]
    levels = indicators[indicators.project_id == form.project_id].sort_values("seq").tail(2)
    assert levels["level1_raw"].tolist() == ["满意度指标"] * 2
    assert levels["level2_raw"].tolist() == ["服务对象满意度指标"] * 2


def test_two_forms_on_one_page_are_two_forms(shared: Path, corpus_out: Path) -> None:
    projects = pd.read_parquet(corpus_out / "projects")
    on_page_3 = projects[(projects.source_path == "a_pdf_01.pdf") & (projects.page_start == 3)]
    gold = [f for f in _gold(shared, "a_pdf_01")["forms"] if f["page_start"] == 3]
    assert sorted(on_page_3["project_name"]) == sorted(f["project_name"] for f in gold)
    assert sorted(on_page_3["indicator_count"]) == sorted(len(f["indicators"]) for f in gold)


def test_every_cell_keeps_its_page_and_bbox(corpus_pdf: Path) -> None:
    grid = extract("pdf", (corpus_pdf / "a_pdf_01.pdf").read_bytes())
    assert grid.source_format == "pdf" and grid.extractor == "pdf_text"
    cells = [c for t in grid.tables for c in t.cells]
    assert all(c.page in (1, 2, 3, 4) and c.bbox is not None for c in cells)
    assert all(0 <= c.bbox[0] < c.bbox[2] <= 596 and 0 <= c.bbox[1] < c.bbox[3] <= 842 for c in cells)
    name = next(c for c in cells if c.text == "基层医疗卫生服务能力提升项目补助资金")
    assert name.page == 1 and name.colspan == 7 and name.bbox == pytest.approx((122.0, 97.75, 558.4, 111.25), abs=0.5)
    title = next(c for c in cells if c.text == "项目支出绩效自评表")  # text outside the tables stays in the grid
    assert title.page == 1 and title.bbox[1] < name.bbox[1]


@pytest.mark.parametrize("style", sorted(STYLES))
def test_forms_in_other_layouts(style: str, shared: Path, scorer: ModuleType, tmp_path: Path) -> None:
    """Another engine's layout: header rows repeated on every page, a running header, page-number
    footers, tables without an outer border, top-aligned cells, landscape A5 pages."""
    forms = [f for path in sorted((shared / "gold").glob("*.json"))
             for f in json.loads(path.read_text(encoding="utf-8"))["forms"]]
    rendered = render(forms, STYLES[style])
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / f"{style}.pdf").write_bytes(rendered.pdf)
    gold = {"source_path": f"{style}.pdf", "forms": [
        {**form, "table_index": k, "page_start": pages[0], "page_end": pages[1]}
        for k, (form, pages) in enumerate(zip(forms, rendered.pages, strict=True))]}
    assert max(end - start for start, end in rendered.pages) >= 1  # forms do run over page breaks
    (tmp_path / "gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "in"), "--out", str(out), "--quiet"]) == 0
    report = scorer.score(scorer.load_gold([str(tmp_path / "gold.json")]), scorer.load_table(str(out), "projects"),
                          scorer.load_table(str(out), "indicators"))
    assert report["forms"]["found"] == 25 and report["forms"]["extra"] == 0
    assert report["indicators"]["row_f1"] == 1.0
    assert report["score"] >= 0.99
    projects = pd.read_parquet(out / "projects").sort_values("table_index")
    assert list(zip(projects.page_start, projects.page_end, strict=True)) == rendered.pages


@pytest.mark.parametrize(("turn", "rotate"), [(90, 0), (270, 0), (270, 90), (90, 90)],
                         ids=["sideways", "sideways-other-way", "rotated-page-shown-upright", "upside-down"])
def test_pages_printed_sideways_are_read_upright(turn: int, rotate: int, shared: Path, corpus_pdf: Path) -> None:
    """Content drawn a quarter turn round on a portrait page, with or without a /Rotate that
    shows it upright in a viewer: the text is read the way it reads."""
    with pikepdf.open(corpus_pdf / "a_pdf_07.pdf") as pdf:
        for page in pdf.pages:
            _, _, width, height = (float(v) for v in page.MediaBox)
            matrix = "0 -1 1 0 0 {w}" if turn == 90 else "0 1 -1 0 {h} 0"
            page.contents_coalesce()
            page.Contents.write(f"q {matrix.format(w=width, h=height)} cm\n".encode()
                                + page.Contents.read_bytes() + b"\nQ")
            page.MediaBox = [0, 0, height, width]
            page.Rotate = rotate
        turned = _pdf_bytes(pdf)
    forms = normalize(extract("pdf", turned)).forms
    gold = _gold(shared, "a_pdf_07")["forms"]
    assert [(f.project.project_name, f.project.page_start, f.project.page_end, len(f.indicators)) for f in forms] == [
        (g["project_name"], g["page_start"], g["page_end"], len(g["indicators"])) for g in gold]


def _strip_to_unicode(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            if "/ToUnicode" in font:
                del font["/ToUnicode"]


def _remap_to_unicode(pdf: pikepdf.Pdf) -> None:
    """A ToUnicode map that points every Han glyph at another Han character."""
    def shifted(m: re.Match[bytes]) -> bytes:
        code = int(m.group(1), 16)
        if 0x4E00 <= code <= 0x9FFF:
            code = 0x4E00 + (code - 0x4E00) * 7919 % 0x5200
        return b"<%04X>" % code

    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            if "/ToUnicode" in font:
                cmap = font.ToUnicode.read_bytes()
                head, sep, body = cmap.partition(b"beginbfchar")
                body = re.sub(rb"(?<=> )<([0-9A-Fa-f]{4})>", shifted, body)
                font.ToUnicode = pikepdf.Stream(pdf, head + sep + body)


def _pdf_bytes(pdf: pikepdf.Pdf, **save: object) -> bytes:
    buffer = BytesIO()
    pdf.save(buffer, **save)
    return buffer.getvalue()


def test_a_text_layer_without_unicode_map_is_routed_away(corpus_pdf: Path) -> None:
    with pikepdf.open(corpus_pdf / "a_pdf_07.pdf") as pdf:
        _strip_to_unicode(pdf)
        broken = _pdf_bytes(pdf)
    with pytest.raises(ExtractError) as caught:
        extract_pdf(broken)
    assert caught.value.category == "unsupported"
    assert str(caught.value) == "pages 1-3 have no usable text layer (cid fonts); OCR is not available"

    calls: list[list[int]] = []

    def ocr_pages(data: bytes, pages: list[int]) -> list[Table]:
        assert data == broken
        calls.append(pages)
        return [Table(cells=[Cell(text="项目名称", row=0, col=0, page=n, bbox=(0, 0, 1, 1), confidence=0.9)])
                for n in pages]

    grid = extract_pdf(broken, ocr_pages)
    assert calls == [[1, 2, 3]]
    assert grid.source_format == "pdf_scanned" and grid.extractor == "ocr"
    assert [t.cells[0].page for t in grid.tables] == [1, 2, 3]


def test_only_the_broken_pages_of_a_mixed_file_go_to_ocr(shared: Path, corpus_pdf: Path) -> None:
    with pikepdf.open(corpus_pdf / "a_pdf_07.pdf") as good, pikepdf.open(corpus_pdf / "a_pdf_04.pdf") as bad:
        _strip_to_unicode(bad)
        good.pages.extend(bad.pages)
        mixed = _pdf_bytes(good)
    with pytest.raises(ExtractError, match=r"^pages 4-5 have no usable text layer \(cid fonts\)"):
        extract_pdf(mixed)
    asked: list[list[int]] = []
    grid = extract_pdf(mixed, lambda data, pages: asked.append(pages) or [])
    assert asked == [[4, 5]] and grid.source_format == "pdf" and grid.extractor == "pdf_text+ocr"
    forms = normalize(grid).forms
    assert [f.project.project_name for f in forms] == [f["project_name"] for f in _gold(shared, "a_pdf_07")["forms"]]
    assert all(c.page <= 3 for t in grid.tables for c in t.cells)


def test_a_mixed_file_reads_its_ocr_pages_and_names_the_engine(shared: Path, corpus_pdf: Path,
                                                                tmp_path: Path) -> None:
    """The pages without a usable text layer are read by OCR, and its reader_version says so: changing the
    OCR engine must be traceable for these files as for scans."""
    with pikepdf.open(corpus_pdf / "a_pdf_07.pdf") as good, pikepdf.open(corpus_pdf / "a_pdf_04.pdf") as bad:
        _strip_to_unicode(bad)
        good.pages.extend(bad.pages)
        (tmp_path / "mixed.pdf").write_bytes(_pdf_bytes(good))
    result = process_file(tmp_path / "mixed.pdf", "mixed.pdf", ExtractOptions(ocr_engine="rapidocr"))
    assert result.status == "ok" and result.source_format == "pdf"
    assert result.reader_version == f"{READER_VERSION} ocr=rapidocr"
    names = [f["project_name"] for doc in ("a_pdf_07", "a_pdf_04") for f in _gold(shared, doc)["forms"]]
    assert [f.project.project_name for f in result.forms] == names
    assert {f.project.extractor for f in result.forms} == {"pdf_text+ocr"}
    assert {f.project.reader_version for f in result.forms} == {result.reader_version}


def test_a_text_layer_that_does_not_match_its_glyphs_is_routed_away(corpus_pdf: Path) -> None:
    with pikepdf.open(corpus_pdf / "a_pdf_08.pdf") as pdf:
        _remap_to_unicode(pdf)
        garbled = _pdf_bytes(pdf)
    with pytest.raises(ExtractError, match=rf"^pages 1-2 have no usable text layer \({GARBLED}\)"):
        extract_pdf(garbled)


def test_text_layer_checks() -> None:
    assert text_problem(list("项目支出绩效自评表（2024年度）≥90% 4507.55万元")) is None
    assert text_problem(list("\x01\x04\x05\x06\x07\x08项目")) == UNMAPPED
    assert text_problem(list("\ufffd\ufffd\ufffd名称")) == UNMAPPED
    assert text_problem(list("ÑÒÓÔÕ1ÖWX×ØÙÚÛÜ")) == GARBLED
    assert text_problem(list("鐀鏪閙鑹鈺鍡鋭鎲钃镢")) == GARBLED


def test_a_scan_without_text_layer_names_the_pages(shared: Path) -> None:
    with pytest.raises(ExtractError, match=r"^pages 1-5 have no usable text layer \(no text layer\); OCR"):
        extract_pdf((shared / "corpus" / "pdf_scanned" / "a_scan_01.pdf").read_bytes())


def test_lines_wrapped_by_the_cell_width_are_joined() -> None:
    def line(text: str, width: float, top: float) -> TextLine:
        return TextLine(text, 5.0, top, 5.0 + width, top + 9.0)

    # A word cut at the cell's edge, and a wrap inside CJK text: one line in the source.
    assert join_lines([line("58.6", 20.0, 0), line("2%", 10.0, 10)], inner_width=24.0) == "58.62%"
    assert join_lines([line("社会效益", 36.0, 0), line("指标", 18.0, 10)], inner_width=40.0) == "社会效益指标"
    assert join_lines([line("服务能力提升", 54.0, 0), line("(市级", 22.0, 10)], inner_width=60.0) == "服务能力提升(市级"
    assert join_lines([line("annual", 27.0, 0), line("report", 27.0, 10)], inner_width=40.0) == "annual report"
    # A line that ended with room to spare: the text broke there.
    assert join_lines([line("100", 15.0, 0), line("200", 15.0, 10)], inner_width=60.0) == "100\n200"
    assert join_lines([line("社会效益", 36.0, 0), line("指标", 18.0, 10)], inner_width=90.0) == "社会效益\n指标"


def test_encrypted_pdfs(corpus_pdf: Path, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    with pikepdf.open(corpus_pdf / "a_pdf_07.pdf") as pdf:
        (tmp_path / "in" / "open.pdf").write_bytes(
            _pdf_bytes(pdf, encryption=pikepdf.Encryption(user="", owner="owner", R=6)))
        (tmp_path / "in" / "rc4.pdf").write_bytes(
            _pdf_bytes(pdf, encryption=pikepdf.Encryption(user="", owner="owner", R=4, aes=False, metadata=False)))
        (tmp_path / "in" / "locked.pdf").write_bytes(
            _pdf_bytes(pdf, encryption=pikepdf.Encryption(user="secret", owner="owner", R=6)))
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "in"), "--out", str(out), "--quiet"]) == 1
    files = pd.read_parquet(out / "files").set_index("source_path")
    assert files.loc["open.pdf", "status"] == files.loc["rc4.pdf", "status"] == "ok"
    assert files.loc["open.pdf", "forms"] == files.loc["rc4.pdf", "forms"] == 3
    assert files.loc["locked.pdf", "status"] == "failed"
    assert files.loc["locked.pdf", "error"] == "extract/unsupported: encrypted PDF: a password is needed to open it"
    assert files.loc["locked.pdf", "source_format"] == "pdf"


def test_damaged_pdfs_fail_with_a_reason(corpus_pdf: Path, tmp_path: Path) -> None:
    whole = (corpus_pdf / "a_pdf_07.pdf").read_bytes()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "truncated.pdf").write_bytes(whole[: len(whole) // 3])
    (tmp_path / "in" / "header_only.pdf").write_bytes(b"%PDF-1.7\n")
    (tmp_path / "in" / "noise.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 64)
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "in"), "--out", str(out), "--quiet"]) == 1
    files = pd.read_parquet(out / "files")
    assert set(files["status"]) == {"failed"}
    assert all(e.startswith("extract/bad_input: damaged PDF") and "\n" not in e for e in files["error"])
    assert not (out / "logs").exists()  # a clear failure, not an extractor crash

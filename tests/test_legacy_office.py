"""Word 97-2003 (.doc, via LibreOffice), RTF and Excel 97-2003 (.xls, via xlrd) read like their originals.

The test files are made from corpus files by LibreOffice, as agencies' own files are.
(LibreOffice's direct .docx → .doc export drops a table that ends the document, so the
.doc is made through .odt, which keeps every table.)
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import lo_convert, read_forms

from jixiao.extractors import ExtractError, extract
from jixiao.pipeline.cli import main

WORD = "a_docx_02.docx"
EXCEL = "a_xlsx_03.xlsx"  # holds no formula saved without its value, which LibreOffice would recalculate


def run_one(tmp_path: Path, source: Path) -> Path:
    folder = tmp_path / f"in_{source.suffix[1:]}"
    folder.mkdir()
    shutil.copy(source, folder / source.name)
    out = tmp_path / f"out_{source.suffix[1:]}"
    assert main(["run", str(folder), "--out", str(out), "--quiet"]) == 0
    return out


def assert_same_forms(a: Path, b: Path) -> None:
    expected, got = read_forms(a), read_forms(b)
    assert len(expected[0]) > 0
    pd.testing.assert_frame_equal(expected[0], got[0])
    pd.testing.assert_frame_equal(expected[1], got[1])


@pytest.fixture(scope="module")
def made(soffice: str, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("lo")
    odt = lo_convert(soffice, corpus / "docx" / WORD, "odt", work)
    return {
        "doc": lo_convert(soffice, odt, "doc", work),
        "rtf": lo_convert(soffice, odt, "rtf", work),
        "xls": lo_convert(soffice, corpus / "xlsx" / EXCEL, "xls", work),
    }


@pytest.mark.parametrize(("kind", "original", "fmt"), [
    ("doc", "docx/" + WORD, "doc"), ("rtf", "docx/" + WORD, "doc"), ("xls", "xlsx/" + EXCEL, "xls"),
])
def test_same_forms_as_the_original(kind: str, original: str, fmt: str, made: dict[str, Path], corpus: Path,
                                    tmp_path: Path) -> None:
    converted = run_one(tmp_path, made[kind])
    (tmp_path / "original").mkdir()
    assert_same_forms(run_one(tmp_path / "original", corpus / original), converted)
    assert set(pd.read_parquet(converted / "projects").source_format) == {fmt}


def test_xls_merged_ranges_and_displayed_rates(made: dict[str, Path]) -> None:
    grid = extract("xls", made["xls"].read_bytes())
    cells = [c for t in grid.tables for c in t.cells]
    assert any(c.text == "项目资金（万元）" and c.rowspan == 5 for c in cells)
    assert any(c.text.endswith("%") for c in cells if c.col == 7)


def test_without_libreoffice_a_doc_fails_clearly(made: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIXIAO_SOFFICE", "/nonexistent/soffice")
    with pytest.raises(ExtractError) as failure:
        extract("doc", made["doc"].read_bytes())
    assert failure.value.category == "unsupported" and "LibreOffice" in str(failure.value)


def test_a_corrupt_doc_and_xls_fail(made: dict[str, Path], tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(made["xls"], inbox / "good.xls")
    for kind in ("doc", "xls"):
        data = made[kind].read_bytes()
        (inbox / f"broken.{kind}").write_bytes(data[:600] + bytes(len(data) - 600))
    out = tmp_path / "out"
    assert main(["run", str(inbox), "--out", str(out), "--quiet"]) == 1
    files = pd.read_parquet(out / "files").set_index("source_path")
    assert files.loc["good.xls", "status"] == "ok"
    for broken in ("broken.doc", "broken.xls"):
        assert files.loc[broken, "status"] == "failed" and files.loc[broken, "error"]

"""The rendered corpus (Word, Excel, HTML) through the real CLI and the project's scorer."""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from conftest import score_run

from jixiao.pipeline.cli import main

FORMATS = {"docx": ("docx", "docx"), "xlsx": ("xlsx", "xlsx"), "html": ("html", "html")}


@pytest.fixture(scope="module")
def corpus_out(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus") / "out"
    folders = [str(corpus / folder) for folder in FORMATS]
    assert main(["run", *folders, "--out", str(out), "--quiet"]) == 0
    return out


@pytest.mark.parametrize("folder", list(FORMATS))
def test_each_format_meets_the_bar(folder: str, corpus: Path, corpus_out: Path, scorer: ModuleType) -> None:
    gold_files = sorted((corpus / "gold").glob(f"a_{folder}_*.json"))
    report = score_run(scorer, gold_files, corpus_out)
    assert report["files"]["missing"] == 0
    assert report["forms"]["found"] == report["forms"]["expected"] and report["forms"]["extra"] == 0
    assert report["score"] >= 0.99
    assert report["projects"]["field_accuracy"] >= 0.99 and report["indicators"]["field_accuracy"] >= 0.99
    for kind in ("project", "indicator"):
        assert report["issues"][kind]["total"]["fp"] == 0 and report["issues"][kind]["total"]["fn"] == 0


@pytest.mark.parametrize(("folder", "fmt", "extractor"), [(k, *v) for k, v in FORMATS.items()])
def test_format_and_extractor_are_recorded(folder: str, fmt: str, extractor: str, corpus_out: Path) -> None:
    projects = pd.read_parquet(corpus_out / "projects")
    mine = projects[projects.source_path.str.startswith(f"a_{folder}_")]
    assert set(mine.source_format) == {fmt} and set(mine.extractor) == {extractor}
    assert mine.page_start.isna().all() and (mine.confidence == 1.0).all()
    files = pd.read_parquet(corpus_out / "files")
    assert set(files[files.source_path.str.startswith(f"a_{folder}_")].status) == {"ok"}

"""Versioned re-reads through the command line: reader_version in projects, files and the state (with the
OCR engine for scans); unchanged files an older reading produced are read again, after new ones and the
most recently modified first, unless --reread-older none; an OUT written by the previous release
migrates without reading again and stays readable by pandas and DuckDB throughout."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from oldout import make_old_out, old_project_id, old_schema
from opskit import SEEDS, command, main_cli, rows_by_file, seeds
from PIL import Image

from jixiao.pipeline import schemas
from jixiao.pipeline.state import load_state
from jixiao.version import LEGACY_READER_VERSION, READER_VERSION, is_older, reader_version

DOCX = "corpus/docx/a_docx_02.docx"


@pytest.fixture()
def inbox(shared: Path, tmp_path: Path) -> Path:
    """The seeds, a Word file, and one seed again under another name (identical files at two paths)."""
    root = tmp_path / "in"
    seeds(shared, root)
    shutil.copy(shared / DOCX, root / "a.docx")
    shutil.copy(shared / "seeds" / SEEDS[1], root / "again.txt")
    for age, name in enumerate(sorted(p.name for p in root.iterdir())):  # distinct times: newest last by name
        os.utime(root / name, ns=(1_700_000_000_000_000_000 + age * 10**9,) * 2)
    return root


def _projects(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "projects").sort_values(["source_path", "table_index"]).reset_index(drop=True)


def _indicators(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "indicators").sort_values(["project_id", "seq"]).reset_index(drop=True)


def _read_while(run: subprocess.Popen[bytes], out: Path, indicators: int) -> int:
    """pandas and DuckDB reading OUT all the while a run goes: each read whole, in one contract, with
    every one of the `indicators` rows. (Two reads are two moments: each may see another generation.)"""
    contracts = (old_schema("projects").names, schemas.PROJECTS.names)
    reads = 0
    while run.poll() is None:
        assert list(pd.read_parquet(out / "projects").columns) in contracts  # one contract, never a mix
        columns = [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM '{out}/projects/*.parquet'").fetchall()]
        assert columns in contracts
        assert duckdb.sql(f"SELECT count(*) FROM '{out}/indicators/*.parquet'").fetchall()[0][0] == indicators
        assert len(pd.read_parquet(out / "indicators")) == indicators
        reads += 1
        time.sleep(0.02)
    return reads


def test_the_previous_releases_out_migrates_without_reading_again(inbox: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    fresh, out = tmp_path / "fresh", tmp_path / "out"
    assert main_cli(capsys, "run", inbox, "--out", fresh).returncode == 0
    make_old_out(fresh, out)
    old = pd.read_parquet(out / "projects")
    assert "form_key" not in old.columns and not (out / "cells").exists()
    assert old.groupby("source_path")["project_id"].first()[SEEDS[1]] == \
        old.groupby("source_path")["project_id"].first()["again.txt"]  # the old ids: one per content

    indicators = len(pd.read_parquet(out / "indicators"))
    run = subprocess.Popen(command("run", inbox, "--out", out, "--reread-older", "none"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    reads = _read_while(run, out, indicators)
    stdout, stderr = (s.decode() for s in run.communicate())
    assert run.returncode == 0, stderr
    assert reads >= 1
    assert "unchanged: 5 files, 31 forms kept" in stdout and "read:" not in stdout
    assert "migrated: OUT was written by an earlier release" in stderr

    migrated, expected = _projects(out), _projects(fresh)
    assert (migrated["reader_version"] == LEGACY_READER_VERSION).all()
    assert migrated["self_rating"].isna().all()
    same = [c for c in expected.columns if c not in ("reader_version", "self_rating")]
    pd.testing.assert_frame_equal(migrated[same], expected[same])  # new ids, form_key: as a reading makes them
    pd.testing.assert_frame_equal(_indicators(out), _indicators(fresh))  # target_met too
    assert migrated.groupby("source_path")["project_id"].first()[SEEDS[1]] != \
        migrated.groupby("source_path")["project_id"].first()["again.txt"]
    assert len(pd.read_parquet(out / "cells")) == 0 and len(list((out / "cells").glob("*.parquet"))) == 6
    manifests = pd.read_parquet(out / "files")
    assert manifests["reader_version"].isna().all() and len(manifests) == 10  # old rows; none read since
    for dataset in ("projects", "indicators", "cells", "files"):
        described = duckdb.sql(f"SELECT * FROM '{out}/{dataset}/*.parquet'").columns
        assert described == pq.read_schema(fresh / dataset / "00-schema.parquet").names
    status = main_cli(capsys, "status", "--out", out)
    assert f"readings: {LEGACY_READER_VERSION} 5 (older: read again by the next run)" in status.stdout

    # The next plain run reads them again, the most recently modified first, and gives a fresh OUT's rows.
    result = main_cli(capsys, "run", inbox, "--out", out)
    distinct = expected.form_key.nunique()
    assert f"read: 5 files, 31 forms ({distinct} distinct), {len(_indicators(fresh))} indicators; 5 of them " \
           "unchanged, read again: their rows came from an older reading" in result.stdout
    pd.testing.assert_frame_equal(_projects(out), expected)
    pd.testing.assert_frame_equal(_indicators(out), _indicators(fresh))
    manifests = pd.read_parquet(out / "files")
    last = manifests[manifests["run_id"] == manifests["run_id"].max()].sort_values("finished_at")
    assert list(last["source_path"]) == sorted(last["source_path"], reverse=True)  # newest first
    assert (last["reader_version"] == READER_VERSION).all()
    assert {s.reader_version for s in load_state(out).values()} == {READER_VERSION}


def test_new_files_come_before_rereads_and_none_keeps_the_old_rows(inbox: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    fresh, out = tmp_path / "fresh", tmp_path / "out"
    assert main_cli(capsys, "run", inbox, "--out", fresh).returncode == 0
    make_old_out(fresh, out)
    assert main_cli(capsys, "run", inbox, "--out", out, "--reread-older", "none").returncode == 0
    kept = rows_by_file(out)
    assert main_cli(capsys, "run", inbox, "--out", out, "--reread-older", "none").returncode == 0
    assert rows_by_file(out) == kept  # none: not read, run after run
    shutil.copy(inbox / SEEDS[0], inbox / "new.txt")
    os.utime(inbox / "new.txt", ns=(1_600_000_000_000_000_000,) * 2)  # older than every other file, yet new
    assert main_cli(capsys, "run", inbox, "--out", out).returncode == 0
    manifests = pd.read_parquet(out / "files")
    last = manifests[manifests["run_id"] == manifests["run_id"].max()].sort_values("finished_at")
    assert next(iter(last["source_path"])) == "new.txt"


def test_a_scans_reading_names_its_ocr_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    Image.fromarray(np.full((400, 300, 3), 250, np.uint8)).save(inbox / "blank.png")
    assert main_cli(capsys, "run", inbox, "--out", out, "--ocr-engine", "fast").returncode == 0
    files = pd.read_parquet(out / "files")
    assert files["reader_version"].tolist() == [f"{READER_VERSION} ocr=fast"]
    assert load_state(out)["blank.png"].reader_version == f"{READER_VERSION} ocr=fast"
    assert f"readings: {READER_VERSION} ocr=fast 1;" in main_cli(capsys, "status", "--out", out).stdout


def test_reader_versions_are_ordered_by_version_then_revision() -> None:
    assert reader_version("pdf_scanned", "rapidocr") == f"{READER_VERSION} ocr=rapidocr"
    assert reader_version("docx", "rapidocr") == READER_VERSION
    assert is_older(LEGACY_READER_VERSION) and is_older(None) and is_older("something else")
    assert is_older("0.1.0+r9", "0.1.0+r10") and is_older("0.9.0+r3", "0.10.0+r1")
    assert not is_older(f"{READER_VERSION} ocr=fast") and not is_older("0.2.0+r0", "0.1.0+r7")
    assert old_project_id("ab", 0) != old_project_id("ab", 1)

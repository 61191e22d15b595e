"""`jixiao run` end to end: datasets, manifest, exit codes, bad input, re-runs, readers."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from jixiao.pipeline.cli import main
from jixiao.pipeline.store import SCHEMA_PART
from jixiao.pipeline.writer import part_name

SEEDS = ["002_9da3ca00a275ab0a.txt", "003_a583d9a954743c2a.txt", "004_ad2826ca3708fa31.txt"]


@pytest.fixture()
def inbox(shared: Path, tmp_path: Path) -> Path:
    """Seeds in a nested folder, next to files that hold no form."""
    root = tmp_path / "in"
    (root / "2024" / "卫健委").mkdir(parents=True)
    shutil.copy(shared / "seeds" / SEEDS[0], root / "2024" / "卫健委" / SEEDS[0])
    for name in SEEDS[1:]:
        shutil.copy(shared / "seeds" / name, root / name)
    (root / "empty.txt").write_bytes(b"")
    (root / "notes.txt").write_text("会议纪要\n今天讨论了预算。\n", encoding="utf-8")
    (root / "junk.bin").write_bytes(bytes(range(256)) * 40)
    (root / ".DS_Store").write_bytes(b"\x00\x01")
    return root


def manifest(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "files")


def test_run_writes_datasets_and_manifest(inbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["run", str(inbox), "--out", str(out)]) == 1  # junk.bin failed, all else written
    files = manifest(out).set_index("source_path")
    assert files.loc["2024/卫健委/002_9da3ca00a275ab0a.txt", "forms"] == 12
    assert files.loc["004_ad2826ca3708fa31.txt", "status"] == "ok"
    assert files.loc["empty.txt", "status"] == "no_forms"
    assert files.loc["notes.txt", "status"] == "no_forms"
    assert files.loc["junk.bin", "status"] == "failed"
    assert "\n" not in files.loc["junk.bin", "error"] and files.loc["junk.bin", "error"]
    assert ".DS_Store" not in files.index
    assert files["run_id"].nunique() == 1 and str(files["finished_at"].dtype) == "datetime64[us, UTC]"

    projects = pd.read_parquet(out / "projects")
    assert len(projects) == 25 and projects["project_id"].is_unique
    assert set(projects["source_path"]) == {"2024/卫健委/002_9da3ca00a275ab0a.txt", *SEEDS[1:]}
    assert len(pd.read_parquet(out / "indicators")) == projects["indicator_count"].sum() == 288
    # One part per file read (none for the failed one), and the schema part of no rows.
    assert {p.name for p in (out / "projects").iterdir()} == \
        {part_name(p) for p in files.index if p != "junk.bin"} | {SCHEMA_PART}
    assert pd.isna(files.loc["junk.bin", "source_format"])

    printed = capsys.readouterr().out
    assert "ok 3" in printed and "failed 1" in printed and "no_forms 2" in printed
    assert "read: 5 files, 25 forms (25 distinct), 288 indicators" in printed
    assert "scores_sum_mismatch 3" in printed and "failed: junk.bin" in printed


def test_rerun_gives_identical_datasets(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    main(["run", str(inbox), "--out", str(out), "--quiet"])
    first = pd.read_parquet(out / "indicators").sort_values(["project_id", "seq"]).reset_index(drop=True)
    main(["run", str(inbox), "--out", str(out), "--quiet"])
    second = pd.read_parquet(out / "indicators").sort_values(["project_id", "seq"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(first, second)
    assert manifest(out)["run_id"].nunique() == 2


def test_a_file_that_turns_bad_loses_nothing(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    main(["run", str(inbox), "--out", str(out), "--quiet"])
    (inbox / SEEDS[1]).write_bytes(bytes(range(256)) * 40)
    assert main(["run", str(inbox), "--out", str(out), "--quiet"]) == 1
    projects = pd.read_parquet(out / "projects")
    assert len(projects) == 25  # the failed file keeps what the earlier run wrote for it
    last = manifest(out).sort_values("finished_at").groupby("source_path").last()
    assert last.loc[SEEDS[1], "status"] == "failed"


def test_a_file_that_loses_its_forms_loses_its_rows(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    main(["run", str(inbox), "--out", str(out), "--quiet"])
    (inbox / SEEDS[1]).write_text("改为空白\n", encoding="utf-8")
    main(["run", str(inbox), "--out", str(out), "--quiet"])
    assert len(pd.read_parquet(out / "projects")) == 21


def test_single_file_input_and_clean_exit(shared: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", str(shared / "seeds" / SEEDS[1]), "--out", str(out), "--quiet"]) == 0
    assert pd.read_parquet(out / "projects")["source_path"].tolist() == [SEEDS[1]] * 4


def test_when_every_file_fails_the_datasets_are_still_readable(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "junk.bin").write_bytes(bytes(range(256)) * 40)
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "in"), "--out", str(out), "--quiet"]) == 1
    assert list(pd.read_parquet(out / "indicators").columns)[:3] == ["project_id", "seq", "level1"]
    assert duckdb.sql(f"SELECT count(*) FROM '{out}/projects/*.parquet'").fetchall() == [(0,)]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert main(["run", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    (tmp_path / "a_file").write_text("x")
    assert main(["run", str(tmp_path), "--out", str(tmp_path / "a_file")]) == 2
    assert main(["run", str(tmp_path), "--out", str(tmp_path / "a_file" / "below")]) == 2
    with pytest.raises(SystemExit) as caught:
        main(["run", "--out", str(tmp_path / "out")])
    assert caught.value.code == 2


def test_analysts_tools_read_the_output(seeds_out: Path) -> None:
    by_pandas = pd.read_parquet(seeds_out / "projects")
    by_polars = pl.scan_parquet(str(seeds_out / "projects" / "*.parquet")).collect()
    by_duckdb = duckdb.sql(
        f"SELECT p.project_name, count(*) AS n FROM '{seeds_out}/projects/*.parquet' p "
        f"JOIN '{seeds_out}/indicators/*.parquet' i USING (project_id) GROUP BY ALL").df()
    assert len(by_pandas) == by_polars.height == len(by_duckdb) == 25
    assert by_duckdb["n"].sum() == 288
    assert by_polars.schema["year"] == pl.Int16 and by_polars.schema["issues"] == pl.List(pl.String)


def test_no_temporary_files_are_left(seeds_out: Path) -> None:
    leftovers = [p for p in seeds_out.rglob("*") if p.is_file() and p.suffix != ".parquet"]
    assert leftovers == []
    assert all(pq.read_schema(p).names for p in seeds_out.rglob("*.parquet"))

"""jixiao moves or deletes only what it wrote, through the real command line: a folder of someone else's
where a dataset goes is refused (exit 2) and left as it was, inputs are never inside what jixiao writes
and prunes, and OUT inside an input folder is passed over, not read."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from oldout import make_old_out
from opskit import SEEDS, Result, main_cli, rows_by_file, seeds, snapshot

from jixiao.pipeline import schemas
from jixiao.pipeline.writer import part_name


def _refused(result: Result, *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    message = result.stderr
    assert message.count("\n") == 1 and "Traceback" not in message, message
    for word in words:
        assert word in message, message


def test_out_dot_in_the_project_folder_never_takes_the_input_for_a_dataset(
        shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's case: `cd proj; jixiao run files --out .` moved files/ under OUT/.jixiao and the next
    run deleted the documents. Every spelling of it is refused, and nothing in the folder changes."""
    project = tmp_path / "proj"
    seeds(shared, project / "files")
    (project / "files" / "说明.md").write_text("not a form\n", encoding="utf-8")
    before = snapshot(project)
    monkeypatch.chdir(project)
    for args in (["files"], ["."], [str(project / "files")], ["files/" + SEEDS[0]]):
        result = main_cli(capsys, "run", *args, "--out", ".")
        _refused(result, "files")
        assert snapshot(project) == before, args  # not even an empty .jixiao folder
    assert not (project / ".jixiao").exists()


def test_a_users_folder_where_a_dataset_goes_is_refused_and_kept(shared: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    inbox = tmp_path / "in"
    seeds(shared, inbox, SEEDS[1:2])
    for dataset in schemas.DATASETS:
        out = tmp_path / f"out_{dataset}"
        own = out / dataset
        own.mkdir(parents=True)
        (own / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        # Parquet, named as jixiao names its parts, but not jixiao's: no more jixiao's than the CSV.
        name = "20240101T000000000000Z-abcdef.parquet" if dataset == "files" else "0123456789abcdef.parquet"
        pq.write_table(pa.table({"x": [1, 2]}), own / name)
        before = snapshot(out)
        _refused(main_cli(capsys, "run", inbox, "--out", out), f"{own} is a folder jixiao did not write", "in it")
        assert snapshot(out) == before
        if dataset == "projects":
            (own / "notes.csv").unlink()
            _refused(main_cli(capsys, "run", inbox, "--out", out), "does not hold jixiao's projects columns")
            assert (own / name).exists()


def test_a_folder_put_where_a_link_of_a_used_out_was_is_refused(shared: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    seeds(shared, inbox, SEEDS[1:2])
    assert main_cli(capsys, "run", inbox, "--out", out).returncode == 0
    (out / "projects").unlink()
    (out / "projects").mkdir()
    shutil.copy(shared / "seeds" / SEEDS[0], out / "projects" / "mine.txt")
    _refused(main_cli(capsys, "run", inbox, "--out", out), "mine.txt")
    assert (out / "projects" / "mine.txt").exists()
    # A link elsewhere is someone else's too.
    shutil.rmtree(out / "projects")
    (tmp_path / "elsewhere").mkdir()
    (out / "projects").symlink_to(tmp_path / "elsewhere")
    _refused(main_cli(capsys, "run", inbox, "--out", out), "a link jixiao did not make")
    assert (out / "projects").is_symlink()


def test_an_old_flat_out_of_jixiao_is_adopted(shared: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The layout before generations (plain dataset folders, OUT/.jixiao/state.parquet) is jixiao's:
    taken over as it was, its parts and manifests migrated, nothing read again."""
    inbox, new, out = tmp_path / "in", tmp_path / "new", tmp_path / "out"
    seeds(shared, inbox, SEEDS[1:])
    assert main_cli(capsys, "run", inbox, "--out", new).returncode == 0
    make_old_out(new, out, layout="flat")
    (out / "projects" / f".{part_name(SEEDS[1])}.4242.tmp").write_bytes(b"PAR1 half")  # a killed write
    result = main_cli(capsys, "run", inbox, "--out", out, "--reread-older", "none")
    assert result.returncode == 0, result.stderr
    assert "unchanged: 2 files, 13 forms kept" in result.stdout and "migrated:" in result.stderr
    assert all((out / d).is_symlink() for d in schemas.DATASETS)
    assert rows_by_file(out) == rows_by_file(new)
    assert not (out / ".jixiao" / "state.parquet").exists()


def test_inputs_inside_what_jixiao_writes_are_refused(shared: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    seeds(shared, inbox, SEEDS[1:2])
    assert main_cli(capsys, "run", inbox, "--out", out).returncode == 0
    generation = os.path.realpath(out / ".jixiao" / "current")
    (out / "logs").mkdir()
    shutil.copy(shared / "seeds" / SEEDS[0], out / "logs" / "x.txt")
    before = snapshot(out)
    for inside in (out / ".jixiao", out / "projects", Path(generation) / "projects", out / "files", out / "logs",
                   out / "logs" / "x.txt", out / "projects" / "00-schema.parquet"):
        _refused(main_cli(capsys, "run", inside, "--out", out), "which jixiao writes and prunes")
    # The same folder reached by another path: a bind mount would be too (compared by inode).
    (tmp_path / "alias").symlink_to(out)
    _refused(main_cli(capsys, "run", tmp_path / "alias" / "logs", "--out", out), "which jixiao writes and prunes")
    assert snapshot(out) == before


def test_out_inside_the_input_folder_is_passed_over(shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`jixiao run . --out ./out` and OUT the input folder itself: the documents are read, jixiao's own
    entries (the dataset links, .jixiao, logs) never, run after run."""
    for inbox, out in ((tmp_path / "a", tmp_path / "a" / "out"), (tmp_path / "b", tmp_path / "b")):
        seeds(shared, inbox, SEEDS[1:])
        monkeypatch.chdir(inbox)
        for _ in range(2):
            result = main_cli(capsys, "run", ".", "--out", os.path.relpath(out, inbox))
            assert result.returncode == 0, result.stderr
        (out / "logs").mkdir(exist_ok=True)  # as a run that logged a traceback leaves it
        (out / "logs" / "20261202T000000000000Z-abcdef.log").write_text("Traceback …\n", encoding="utf-8")
        result = main_cli(capsys, "run", ".", "--out", os.path.relpath(out, inbox))
        assert result.returncode == 0, result.stderr
        files = pd.read_parquet(out / "files")
        assert set(files["source_path"]) == set(SEEDS[1:]), out
        assert set(rows_by_file(out)) == set(SEEDS[1:])

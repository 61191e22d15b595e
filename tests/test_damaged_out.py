"""Damage to OUT's own records is told, never silently replaced, through the command line: a deleted or
dangling `current` link and a truncated state are recovered from the newest intact generation (said,
exit 1), with nothing damaged left a refusal (one line, exit 4); a part or manifest deleted or
overwritten by hand is noticed by `status` and the next run reads that file again."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from opskit import SEEDS, main_cli, rows_by_file, seeds, snapshot

from jixiao.pipeline.writer import part_name


@pytest.fixture()
def two_inputs(shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, Path]:
    """OUT gathering two folders, read by two runs: two generations."""
    in1, in2, out = tmp_path / "in1", tmp_path / "in2", tmp_path / "out"
    seeds(shared, in1, SEEDS[:1])
    seeds(shared, in2, SEEDS[1:])
    assert main_cli(capsys, "run", in1, "--out", out).returncode == 0
    assert main_cli(capsys, "run", in2, "--out", out).returncode == 0
    return in1, in2, out


def _current(out: Path) -> Path:
    return Path(os.path.realpath(out / ".jixiao" / "current"))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.unlink()  # a new file: the generations that shared it keep theirs
    path.write_bytes(data[: len(data) // 2])


def test_a_deleted_or_dangling_current_link_is_recovered_from(two_inputs: tuple[Path, Path, Path],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    in1, in2, out = two_inputs
    held, manifests = rows_by_file(out), set(pd.read_parquet(out / "files")["run_id"])
    newest = _current(out).name
    for damage in ("deleted", "dangling"):
        link = out / ".jixiao" / "current"
        link.unlink()
        if damage == "dangling":
            link.symlink_to("gens/99999999")
        status = main_cli(capsys, "status", "--out", out)
        assert status.returncode == 1
        assert f"damaged: {link} " in status.stdout and f"goes on from generation {newest}" in status.stdout
        result = main_cli(capsys, "run", in1, "--out", out)
        assert result.returncode == 1, result.stderr
        assert f"damaged: {link} {'is missing' if damage == 'deleted' else 'points at gens/99999999'}" in result.stdout
        # Rows from the other input, and every manifest, are still there.
        assert rows_by_file(out) == held
        assert manifests < set(pd.read_parquet(out / "files")["run_id"])
        newest = _current(out).name
    assert main_cli(capsys, "run", in1, "--out", out).returncode == 0  # nothing damaged any more
    assert main_cli(capsys, "run", in2, "--out", out).returncode == 0


def test_a_truncated_state_is_recovered_from_the_generation_before(two_inputs: tuple[Path, Path, Path],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    in1, in2, out = two_inputs
    held = rows_by_file(out)
    previous = int(_current(out).name) - 1
    _truncate(_current(out) / "state.parquet")
    status = main_cli(capsys, "status", "--out", out)
    assert status.returncode == 1 and "Traceback" not in status.stderr
    assert "its state.parquet is not a whole Parquet file (truncated or overwritten)" in status.stdout
    result = main_cli(capsys, "run", in1, in2, "--out", out)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"the run goes on from generation {previous:08d}" in result.stdout
    # The generation before held in1's file only: in2's files are read again, nothing is lost.
    assert "read: 2 files" in result.stdout and "unchanged: 1 file" in result.stdout
    assert rows_by_file(out) == held
    assert main_cli(capsys, "status", "--out", out).returncode == 0


def test_no_intact_generation_left_is_refused_in_one_line(two_inputs: tuple[Path, Path, Path],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    in1, _, out = two_inputs
    for generation in (out / ".jixiao" / "gens").iterdir():
        _truncate(generation / "state.parquet")
    before = _without_lock(snapshot(out))
    for args in (["run", in1, "--out", out], ["rerun-failed", "--out", out], ["status", "--out", out]):
        result = main_cli(capsys, *args)
        assert result.returncode == 4, args
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "no intact generation is left to recover from: move" in result.stderr
    assert _without_lock(snapshot(out)) == before


def _without_lock(entries: dict[bytes, tuple[int, int, str]]) -> dict[bytes, tuple[int, int, str]]:
    """Taking the lock (a file made and removed) changes nothing but the time of OUT/.jixiao."""
    return {path: entry for path, entry in entries.items() if not path.endswith(b"/.jixiao")}


def test_parts_and_manifests_damaged_by_hand_are_told_and_read_again(two_inputs: tuple[Path, Path, Path],
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    in1, in2, out = two_inputs
    held = rows_by_file(out)
    gone, overwritten = SEEDS[1], SEEDS[2]
    (out / "projects" / part_name(gone)).unlink()
    (out / "indicators" / part_name(overwritten)).write_text("not parquet", encoding="utf-8")
    manifest = min((out / "files").glob("2*.parquet"))
    _truncate(manifest)
    _truncate(out / "cells" / "00-schema.parquet")
    with pytest.raises(Exception):  # noqa: B017 - what a reader meets now: any of pyarrow's errors
        pd.read_parquet(out / "indicators")
    status = main_cli(capsys, "status", "--out", out)
    assert status.returncode == 1
    assert f"damaged: {gone}: its projects part {part_name(gone)} is missing; the next run over it reads it " \
           "again" in status.stdout
    assert f"damaged: {overwritten}: its indicators part {part_name(overwritten)} is not a whole Parquet file" \
        in status.stdout
    assert f"damaged: files/{manifest.name} is not a whole Parquet file" in status.stdout

    result = main_cli(capsys, "run", in1, in2, "--out", out)
    assert result.returncode == 1
    assert "read: 2 files" in result.stdout and f"damaged: {gone}: its projects part" in result.stdout
    assert rows_by_file(out) == held  # readable again by pandas and DuckDB, every file's rows back
    assert manifest.name not in {p.name for p in (out / "files").iterdir()}
    assert main_cli(capsys, "run", in1, in2, "--out", out).returncode == 0


def test_a_file_put_into_a_dataset_folder_is_carried_not_deleted(two_inputs: tuple[Path, Path, Path],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    in1, _, out = two_inputs
    (out / "projects" / "README.txt").write_text("what these parts are\n", encoding="utf-8")
    (out / "files" / "notes").mkdir()
    (out / "files" / "notes" / "n.txt").write_text("n\n", encoding="utf-8")
    before = _current(out)
    assert main_cli(capsys, "run", in1, "--out", out, "--force").returncode == 0
    assert _current(out) != before
    assert (out / "projects" / "README.txt").read_text(encoding="utf-8") == "what these parts are\n"
    assert (out / "files" / "notes" / "n.txt").exists()

"""An unreadable folder is not a removed folder, through the real command line run without the privilege
to read it (opskit): a folder or input root that cannot be listed, a file that cannot be opened or looked
at, an input that is gone. Each is reported (manifest, status, exit 1) and every row OUT holds under it
stays; nothing is removed, and nothing is read again once it can be read."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from opskit import SEEDS, Result, cli, main_cli, require_unreadable, rows_by_file, seeds, snapshot

from jixiao.pipeline.run import run


def _manifest(out: Path, result: subprocess.CompletedProcess[str] | Result) -> pd.DataFrame:
    """The manifest of the run that printed `result`."""
    run_id = result.stdout.split(":", 1)[0].split()[1]
    return pd.read_parquet(out / "files" / f"{run_id}.parquet").set_index("source_path")


@pytest.fixture()
def inbox(shared: Path, tmp_path: Path) -> Path:
    """One seed at the top, two in sub/."""
    root = tmp_path / "in"
    seeds(shared, root, SEEDS[:1])
    seeds(shared, root / "sub", SEEDS[1:])
    return root


def test_an_unlistable_folder_keeps_its_rows_and_is_reported(inbox: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main_cli(capsys, "run", inbox, "--out", out).returncode == 0  # readable: no need to drop privileges
    held = rows_by_file(out)
    assert set(held) == {SEEDS[0], f"sub/{SEEDS[1]}", f"sub/{SEEDS[2]}"}
    (inbox / "sub").chmod(0)
    try:
        require_unreadable(inbox / "sub")
        before = snapshot(inbox)
        result = cli("run", inbox, "--out", out)
        status = main_cli(capsys, "status", "--out", out)  # reads OUT only
        again = cli("rerun-failed", "--out", out)
        assert snapshot(inbox) == before
    finally:
        (inbox / "sub").chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert "removed" not in result.stdout and "1 folder not listed" in result.stdout
    assert "failed: sub/ (a folder; 2 files OUT holds under it keep their rows): sniff/transient: cannot list " \
           "this folder: Permission denied" in result.stdout
    assert rows_by_file(out) == held
    manifest = _manifest(out, result)
    assert manifest.loc["sub/", "status"] == "failed"
    for name in SEEDS[1:]:
        assert manifest.loc[f"sub/{name}", "error"] == "sniff/transient: not looked at: sub/ cannot be listed; " \
                                                        "its rows are kept"
    assert manifest.loc[SEEDS[0], "status"] == "skipped_unchanged"
    assert status.returncode == 1 and "not listed (1):\n  sub/: sniff/transient: cannot list" in status.stdout
    assert "last status: ok 3" in status.stdout  # the files under it keep the status of their last reading
    assert again.returncode == 1 and "sub/" in again.stdout and rows_by_file(out) == held

    readable = main_cli(capsys, "run", inbox, "--out", out)  # listed again: nothing to read, nothing removed
    assert readable.returncode == 0, readable.stdout
    assert "unchanged: 3 files, 25 forms kept" in readable.stdout and "read:" not in readable.stdout
    assert rows_by_file(out) == held
    assert "not listed" not in main_cli(capsys, "status", "--out", out).stdout


def test_an_unlistable_input_root_empties_nothing(inbox: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main_cli(capsys, "run", inbox, "--out", out).returncode == 0  # readable: no need to drop privileges
    held = rows_by_file(out)
    inbox.chmod(0)
    try:
        require_unreadable(inbox)
        result = cli("run", inbox, "--out", out)
    finally:
        inbox.chmod(0o755)
    assert result.returncode == 1
    assert "failed: ./ (a folder; 3 files OUT holds under it keep their rows): sniff/transient: cannot list this " \
           "folder: Permission denied" in result.stdout
    assert rows_by_file(out) == held


def test_files_that_cannot_be_opened_or_looked_at_keep_their_rows(inbox: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main_cli(capsys, "run", inbox, "--out", out).returncode == 0  # readable: no need to drop privileges
    held = rows_by_file(out)
    (inbox / SEEDS[0]).chmod(0)
    (inbox / "sub").chmod(0o644)  # listed, but what is in it cannot be looked at
    try:
        require_unreadable(inbox / SEEDS[0])
        result = cli("run", inbox, "--out", out)
    finally:
        (inbox / SEEDS[0]).chmod(0o644)
        (inbox / "sub").chmod(0o755)
    assert result.returncode == 1
    manifest = _manifest(out, result)
    assert manifest.loc[SEEDS[0], "error"] == "sniff/transient: cannot open the file: Permission denied; its rows " \
                                              "are kept"
    assert manifest.loc[SEEDS[0], "seconds"] < 1  # failed at once, not retried with waits
    for name in SEEDS[1:]:
        assert manifest.loc[f"sub/{name}", "error"] == "sniff/transient: cannot be looked at: Permission denied; " \
                                                        "its rows are kept"
    assert rows_by_file(out) == held and "removed" not in result.stdout
    assert main_cli(capsys, "run", inbox, "--out", out).returncode == 0  # read again, being failed last
    assert rows_by_file(out) == held


def test_an_input_that_is_gone_removes_nothing(inbox: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The command line refuses an input that is not there; a scheduled flow (which calls `run` with the
    paths it was deployed with) reports it and keeps every row read from it."""
    out = tmp_path / "out"
    assert main_cli(capsys, "run", inbox, "--out", out).returncode == 0  # readable: no need to drop privileges
    held = rows_by_file(out)
    moved = tmp_path / "unmounted"
    shutil.move(inbox, moved)
    result = main_cli(capsys, "run", inbox, "--out", out)
    assert result.returncode == 2 and "no such input" in result.stderr
    summary = run([inbox], out)
    assert summary.exit_code == 1 and not summary.removed
    assert summary.failures == [("./ (a folder; 3 files OUT holds under it keep their rows)",
                                 (f"sniff/transient: the input {inbox} is gone; the rows of the files read from it "
                                 "are kept until a run finds it again"))]
    assert rows_by_file(out) == held
    shutil.move(moved, inbox)
    assert run([inbox], out).statuses == {"skipped_unchanged": 3}
    assert os.path.isdir(inbox)


def test_an_input_folder_found_empty_removes_nothing_unless_allowed(inbox: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """An unmounted share is an empty mount point: its files' rows stay, the run says why and exits 1. A
    folder emptied on purpose is cleared with --allow-empty-input; one that never held files is no failure."""
    out = tmp_path / "out"
    assert main_cli(capsys, "run", inbox, "--out", out).returncode == 0
    held = rows_by_file(out)
    mounted = tmp_path / "share"
    shutil.move(inbox, mounted)
    inbox.mkdir()  # the mount point, with nothing mounted on it
    result = main_cli(capsys, "run", inbox, "--out", out)
    assert result.returncode == 1 and "removed" not in result.stdout
    manifest = _manifest(out, result)
    assert manifest.loc["./", "error"] == (
        f"sniff/transient: the input folder {inbox} is empty (an unmounted share?); the rows of the files read "
        "from it are kept until it holds files again, or a run with --allow-empty-input")
    kept = manifest.drop(index="./")
    assert set(kept.index) == set(held) and set(kept["status"]) == {"failed"}
    assert set(kept["error"]) == {"sniff/transient: not looked at: the input folder is empty; its rows are kept"}
    assert rows_by_file(out) == held
    assert "./" in main_cli(capsys, "status", "--out", out).stdout
    inbox.rmdir()
    shutil.move(mounted, inbox)  # mounted again: nothing to read again
    assert run([inbox], out).statuses == {"skipped_unchanged": 3}
    for entry in list(inbox.iterdir()):
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    summary = run([inbox], out, allow_empty_input=True)
    assert summary.exit_code == 0 and sorted(summary.removed) == sorted(held)
    assert rows_by_file(out) == {}
    fresh = tmp_path / "new"
    fresh.mkdir()
    assert run([fresh], tmp_path / "out2").exit_code == 0

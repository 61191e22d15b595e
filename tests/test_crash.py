"""kill -9 of `jixiao run` at random moments: OUT stays readable and consistent, and the next run
completes the work to exactly the datasets of a run that was never interrupted."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from jixiao.pipeline.cli import main
from jixiao.pipeline.state import load_state

KILLS = 20
SEEDS_NAMES = ("002_9da3ca00a275ab0a.txt", "003_a583d9a954743c2a.txt", "004_ad2826ca3708fa31.txt")


def _cli(inbox: Path, out: Path) -> list[str]:
    # A commit after every file, so kills land in reading, staging, committing and switching alike.
    return [sys.executable, "-m", "jixiao.pipeline.cli", "run", str(inbox), "--out", str(out), "--quiet",
            "--batch-size", "1", "--commit-interval", "0"]


def _yesterday(shared: Path, inbox: Path) -> None:
    inbox.mkdir()
    for name in SEEDS_NAMES:
        shutil.copy(shared / "seeds" / name, inbox / name)
    shutil.copy(shared / "corpus" / "docx" / "a_docx_02.docx", inbox / "a.docx")
    shutil.copy(shared / "corpus" / "html" / "a_html_03.html", inbox / "gone.html")


def _today(shared: Path, inbox: Path) -> None:
    """One file changed, one gone, two new, one broken."""
    text = (shared / "seeds" / SEEDS_NAMES[2]).read_text(encoding="utf-8")
    (inbox / SEEDS_NAMES[2]).write_text(text.replace("2024", "2023"), encoding="utf-8")
    (inbox / "gone.html").unlink()
    shutil.copy(shared / "corpus" / "xlsx" / "a_xlsx_04.xlsx", inbox / "b.xlsx")
    shutil.copy(shared / "corpus" / "pdf" / "a_pdf_05.pdf", inbox / "c.pdf")
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<")


def _datasets(out: Path) -> dict[str, pd.DataFrame]:
    projects = pd.read_parquet(out / "projects")
    indicators = pd.read_parquet(out / "indicators")
    return {"projects": projects.sort_values(["source_path", "table_index"]).reset_index(drop=True),
            "indicators": indicators.sort_values(["project_id", "seq"]).reset_index(drop=True)}


def _last_status(out: Path) -> dict[str, tuple[str, str | None, int]]:
    return {key: (s.status, s.error, s.forms) for key, s in load_state(out).items()}


def _assert_consistent(out: Path) -> None:
    """What a reader sees mid-run: every dataset readable, each file's rows whole and of one content,
    and the state agreeing with the rows it describes."""
    data = _datasets(out)
    projects, indicators = data["projects"], data["indicators"]
    files = pd.read_parquet(out / "files")
    assert set(files["status"]) <= {"ok", "failed", "no_forms", "skipped_unchanged"}
    assert projects.groupby("source_path")["source_sha256"].nunique().le(1).all()
    assert set(indicators["project_id"]) <= set(projects["project_id"])
    counts = indicators.groupby("project_id").size()
    assert (projects.set_index("project_id")["indicator_count"] == counts.reindex(projects["project_id"])
            .fillna(0).astype(int).values).all()
    state = load_state(out)
    for source_path, rows in projects.groupby("source_path"):
        assert state[source_path].parts_sha256 == rows["source_sha256"].iloc[0]
        assert state[source_path].forms == len(rows)
    assert not list((out / ".jixiao" / "gens").glob("*/projects/.*"))  # no half-written part


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_nothing(shared: Path, tmp_path: Path) -> None:
    new = tmp_path / "in"
    _yesterday(shared, new)
    base = tmp_path / "base"
    assert main(_cli(new, base)[3:-4]) == 0  # yesterday's run, all plain
    _today(shared, new)
    reference = tmp_path / "reference"
    shutil.copytree(base, reference, symlinks=True)
    started = time.monotonic()
    assert subprocess.run(_cli(new, reference), check=False).returncode == 1  # broken.pdf
    full_run_s = time.monotonic() - started
    expected, expected_status = _datasets(reference), _last_status(reference)
    assert set(expected["projects"]["source_path"]) == {*SEEDS_NAMES, "a.docx", "b.xlsx", "c.pdf"}

    base_run = next(iter(load_state(base).values())).run_id
    committed: list[int] = []  # files each killed run had committed: where in the run the kill landed
    rng = random.Random(20261202)
    for kill in range(KILLS):
        out = tmp_path / f"out{kill}"
        # Spread over the whole run: one kill in each twentieth of it, at a random point there.
        delay = 0.95 * full_run_s * (kill + rng.random()) / KILLS
        while True:
            shutil.copytree(base, out, symlinks=True)
            run = subprocess.Popen(_cli(new, out), start_new_session=True)
            time.sleep(delay)
            if run.poll() is None:
                break
            # This run was quicker than the first (a machine less busy): try earlier.
            shutil.rmtree(out)
            delay *= 0.8
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        committed.append(sum(1 for s in load_state(out).values() if s.run_id != base_run))
        _assert_consistent(out)
        # The next run, in this process: it is the killed one that must be a process of its own.
        assert main(_cli(new, out)[3:]) == 1, f"kill {kill}"
        got = _datasets(out)
        for name in ("projects", "indicators"):
            pd.testing.assert_frame_equal(got[name], expected[name], obj=f"{name} after kill {kill}")
        assert _last_status(out) == expected_status
        assert not any((out / ".jixiao" / "staging").glob("*/*/*"))
        shutil.rmtree(out)
    assert len(set(committed)) >= 3, (committed, full_run_s)  # early, middle and late kills


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_no_worker_outlives_a_killed_run(shared: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for scan in sorted((shared / "corpus" / "pdf_scanned").iterdir())[:4]:
        shutil.copy(scan, inbox / scan.name)
    run = subprocess.Popen([sys.executable, "-m", "jixiao.pipeline.cli", "run", str(inbox), "--out",
                            str(tmp_path / "out"), "--quiet", "--workers", "2"], start_new_session=True)
    deadline = time.monotonic() + 120
    helpers: set[int] = set()
    # Worker processes, and the reading process each of them starts (in sessions of their own).
    while len(helpers) < 4 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
        helpers = _descendants(run.pid)
    assert len(helpers) >= 4, helpers
    run.kill()  # SIGKILL to the run alone, not its process group
    run.wait()
    time.sleep(3)
    assert not [pid for pid in helpers if _alive(pid)]


def test_sigterm_commits_what_was_read_and_the_next_run_reads_the_rest(shared: Path, tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    for name in SEEDS_NAMES:
        shutil.copy(shared / "seeds" / name, inbox / name)
    for scan in sorted((shared / "corpus" / "pdf_scanned").iterdir())[:3]:
        shutil.copy(scan, inbox / scan.name)  # seconds each: the signal lands while one is read
    run = subprocess.Popen([sys.executable, "-m", "jixiao.pipeline.cli", "run", str(inbox), "--out", str(out),
                            "--quiet", "--batch-size", "1", "--commit-interval", "0", "--ocr-engine", "fast"],
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(_files_read(out)) < len(SEEDS_NAMES):
        time.sleep(0.1)
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 128 + signal.SIGTERM
    assert "interrupted; the files read before are committed" in stderr and "Traceback" not in stderr
    read_before = _files_read(out)
    assert set(SEEDS_NAMES) <= read_before and len(read_before) < 6
    _assert_consistent(out)
    # The fastest engine: what is read from the scans does not matter here, only that they are read.
    follow_up = subprocess.run([sys.executable, "-m", "jixiao.pipeline.cli", "run", str(inbox), "--out", str(out),
                                "--quiet", "--ocr-engine", "fast"], check=False)
    assert follow_up.returncode == 0
    files = pd.read_parquet(out / "files")
    last = files[files["run_id"] == files["run_id"].max()].set_index("source_path")["status"]
    assert (last[sorted(read_before)] == "skipped_unchanged").all() and len(_files_read(out)) == 6


def _files_read(out: Path) -> set[str]:
    return {key for key, state in load_state(out).items() if state.status == "ok"} if out.exists() else set()

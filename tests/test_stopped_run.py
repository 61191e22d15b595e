"""Time limits count the reading process's running time, not the time the run was stopped: a run stopped
(SIGSTOP, as a frozen job or a suspended machine) for longer than --time-limit, then continued, reads
its file as if it had never been stopped."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
from opskit import SEEDS, command, seeds

from jixiao.pipeline.state import load_state

LIMIT_S, STOPPED_S = 10, 12
REPEATS = 40  # a text export of 160 forms: a second or more of reading


def _reading_child(run_pid: int) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == run_pid and b"jixiao.pipeline.sandbox" in cmdline:
            return int(entry.name)
    raise AssertionError("the run has no reading process")


def test_a_run_stopped_longer_than_the_time_limit_reads_on(shared: Path, tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    seeds(shared, inbox, SEEDS[1:2])
    (inbox / "z_big.txt").write_bytes((shared / "seeds" / SEEDS[1]).read_bytes() * REPEATS)
    run = subprocess.Popen(command("run", inbox, "--out", out, "--quiet", "--time-limit", str(LIMIT_S),
                                   "--batch-size", "1", "--commit-interval", "0"),
                           start_new_session=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    try:
        deadline = time.monotonic() + 300
        while SEEDS[1] not in _committed(out):  # the small file is read and committed: the big one is next
            assert time.monotonic() < deadline and run.poll() is None
            time.sleep(0.01)
        time.sleep(0.2)
        child = _reading_child(run.pid)
        os.kill(child, signal.SIGSTOP)  # the reading process (in a session of its own) in the big file
        os.kill(run.pid, signal.SIGSTOP)  # and the run: the whole run is stopped
        time.sleep(STOPPED_S)
        os.kill(run.pid, signal.SIGCONT)
        os.kill(child, signal.SIGCONT)
        assert run.wait(timeout=300) == 0
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    files = pd.read_parquet(out / "files").set_index("source_path")
    assert files.loc["z_big.txt", "status"] == "ok" and files.loc["z_big.txt", "forms"] == 4 * REPEATS


def _committed(out: Path) -> set[str]:
    try:
        return set(load_state(out))
    except Exception:  # noqa: BLE001 - OUT is being made: nothing committed yet
        return set()

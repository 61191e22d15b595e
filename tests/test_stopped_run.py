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

LIMIT_S, STOPPED_S = 12, 15


def _reading_child(run_pid: int, deadline: float) -> int:
    while time.monotonic() < deadline:
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
        time.sleep(0.005)
    raise AssertionError("the run started no reading process")


def test_a_run_stopped_longer_than_the_time_limit_reads_on(shared: Path, tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    seeds(shared, inbox, SEEDS[1:2])
    run = subprocess.Popen(command("run", inbox, "--out", out, "--quiet", "--time-limit", str(LIMIT_S)),
                           start_new_session=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    try:
        child = _reading_child(run.pid, time.monotonic() + 120)
        os.kill(child, signal.SIGSTOP)  # the reading process, as soon as it exists (in a session of its own)
        time.sleep(0.5)
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
    assert files.loc[SEEDS[1], "status"] == "ok" and files.loc[SEEDS[1], "forms"] == 4

"""`--prefect` without a Prefect server: the run starts a temporary server of its own, which dies with the run
(kill -9 included), and which, when it cannot start (a full TMPDIR or PREFECT_HOME), is one line and exit 4.
"""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from prefect_server import prefect_env, wait_until

pytestmark = pytest.mark.slow
JUNK = bytes(range(256)) * 40


def _servers_of(pid: int) -> list[psutil.Process]:
    """The temporary servers that the run `pid` started, wherever they are now."""
    from jixiao.flows.server import PARENT_ENV

    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.environ().get(PARENT_ENV) == str(pid):
                found.append(process)
    return found


def test_a_prefect_run_without_a_server_starts_one_of_its_own_and_it_dies_with_the_run(
        shared: Path, tmp_path: Path) -> None:
    env = prefect_env(tmp_path / "prefect-home", None)  # no PREFECT_API_URL
    few, many = tmp_path / "few", tmp_path / "many"
    few.mkdir()
    many.mkdir()
    for seed in sorted((shared / "seeds").iterdir()):
        shutil.copy(seed, few / seed.name)
        for copy in range(40):
            shutil.copy(seed, many / f"{copy:02d}-{seed.name}")
    (few / "junk.txt").write_bytes(JUNK)
    cli = [sys.executable, "-m", "jixiao.pipeline.cli", "run", "--prefect"]

    # 1. A run to the end: a file failed (exit 1, the flow Failed); its server is stopped; no stray lines.
    done = subprocess.Popen([*cli, str(few), "--out", str(tmp_path / "out1")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    stdout, stderr = done.communicate(timeout=600)
    assert done.returncode == 1, stderr[-3000:]
    assert "failed: junk.txt: extract/" in stdout
    assert "Finished in state Failed('1 of 4 files failed (junk.txt); the other 3 are in" in stderr
    assert "NoneType: None" not in stderr and "Traceback" not in stderr
    assert _servers_of(done.pid) == []

    # 2. kill -9 while the flow runs: the temporary server (and every other process of the run) goes too.
    log = tmp_path / "killed.log"
    with open(log, "wb") as output:
        run = subprocess.Popen([*cli, str(many), "--out", str(tmp_path / "out2"), "--batch-size", "1"], env=env,
                               stdout=output, stderr=subprocess.STDOUT)
    left: list[psutil.Process] = []
    try:
        wait_until("the flow begins", lambda: run.poll() is None and "Beginning flow run" in log.read_text(), 300,
                   log)
        left = psutil.Process(run.pid).children(recursive=True)
        servers = [p for p in left if "jixiao.flows.server:create_app" in " ".join(p.cmdline())]
        assert len(servers) == 1 and servers[0].memory_info().rss > 100 * 2**20
        run.kill()
        run.wait()
        _, alive = psutil.wait_procs(left, timeout=30)
        assert alive == []
        assert _servers_of(run.pid) == []
    finally:
        run.kill()
        for process in left:
            with contextlib.suppress(psutil.Error):
                process.kill()


FULL_TMPDIR_SCRIPT = r"""
set -u
mount -t tmpfs -o size=64k tmpfs "$FULL"
dd if=/dev/zero of="$FULL/fill" bs=4k 2>/dev/null || true
mount -t tmpfs -o size=2m tmpfs "$SMALL"
TMPDIR="$FULL" "$PY" -m jixiao.pipeline.cli run "$IN" --out "$RES/out1" --prefect >/dev/null 2>"$RES/tmpdir.err"
echo "tmpdir=$?" >> "$RES/codes"
PREFECT_HOME="$SMALL" "$PY" -m jixiao.pipeline.cli run "$IN" --out "$RES/out2" --prefect >/dev/null 2>"$RES/home.err"
echo "home=$?" >> "$RES/codes"
"""


def test_a_temporary_server_that_cannot_start_is_one_line_and_exit_4(shared: Path, tmp_path: Path) -> None:
    if shutil.which("unshare") is None or not _can_mount():
        pytest.fail("this test mounts small tmpfs folders in a private mount namespace: it needs util-linux's "
                    "unshare and user namespaces (or root)")
    full, small, res = tmp_path / "full", tmp_path / "small", tmp_path / "res"
    for folder in (full, small, res):
        folder.mkdir()
    env = prefect_env(tmp_path / "prefect-home", None, FULL=str(full), SMALL=str(small), RES=str(res),
                      PY=sys.executable, IN=str(shared / "seeds"))
    subprocess.run(["unshare", "--mount", "--map-root-user", "bash", "-c", FULL_TMPDIR_SCRIPT], env=env,
                   check=True, timeout=600)

    assert dict(line.split("=") for line in (res / "codes").read_text().split()) == {"tmpdir": "4", "home": "4"}
    # A full TMPDIR is found before the server is started.
    assert (res / "tmpdir.err").read_text().splitlines() == [
        (f"jixiao: the temporary Prefect server cannot start: TMPDIR {full} cannot be written (No space left on "
         "device); free space there, set TMPDIR to another folder, or set PREFECT_API_URL to a running Prefect "
         "server")]
    # Room for that check but not for the server's database: the server's own error, in one line.
    home = (res / "home.err").read_text().splitlines()
    assert len(home) == 1 and home[0].startswith("jixiao: the temporary Prefect server did not start: ")
    assert "database or disk is full" in home[0] and f"PREFECT_HOME {small}" in home[0]
    assert not (res / "out1" / "projects").exists() and not (res / "out2" / "projects").exists()


def _can_mount() -> bool:
    probe = subprocess.run(["unshare", "--mount", "--map-root-user", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
                           capture_output=True, check=False)
    return probe.returncode == 0

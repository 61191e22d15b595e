"""The real command line as ops run it, for the tests of OUT's safety: a subprocess, without the
privileges that would let it read a folder made unreadable, and snapshots of an input tree.

Tests run as root here and in CI, and root reads a folder whatever its mode. `jixiao` is therefore
run without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (util-linux `setpriv`): a root process then
meets file modes as their owner does, so `chmod 000` really makes a folder unreadable to it.
`require_unreadable` checks that it does, so a test never passes without exercising the case.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from jixiao.pipeline.cli import main

_REPO = str(Path(__file__).resolve().parents[1])  # this checkout's jixiao, whatever the working folder
SEEDS = ("002_9da3ca00a275ab0a.txt", "003_a583d9a954743c2a.txt", "004_ad2826ca3708fa31.txt")


def unprivileged() -> list[str]:
    """The prefix that runs a command without the capabilities that override file modes."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.fail("running as root, these tests need util-linux's setpriv to drop CAP_DAC_OVERRIDE")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"]


def require_unreadable(folder: Path) -> None:
    """Fail unless the commands of these tests really cannot list `folder`."""
    probe = subprocess.run([*unprivileged(), sys.executable, "-c", "import os, sys; os.listdir(sys.argv[1])",
                            str(folder)], capture_output=True, check=False)
    if probe.returncode == 0:
        pytest.fail(f"{folder} is still readable to the commands under test: the unreadable case is not exercised")


def command(*args: str | Path) -> list[str]:
    return [*unprivileged(), sys.executable, "-m", "jixiao.pipeline.cli", *map(str, args)]


def cli(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`jixiao ARGS` as a separate, unprivileged process; its exit code, stdout and stderr."""
    return subprocess.run(command(*args), capture_output=True, text=True, check=False, timeout=timeout, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": _REPO, **(env or {})})


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def main_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Result:
    """`jixiao ARGS` through the command line's entry point in this process (privileged: for what
    needs no unreadable folder); its exit code and what it printed."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    printed = capsys.readouterr()
    return Result(code, printed.out, printed.err)


def snapshot(root: Path) -> dict[bytes, tuple[int, int, str]]:
    """Every entry under root (as bytes, any name), with its mode, mtime and content hash: the inputs
    are compared before and after a run to show that jixiao touched none of them."""
    found: dict[bytes, tuple[int, int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(os.fsencode(root)):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = ""
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            found[path] = (st.st_mode, st.st_mtime_ns, digest)
    return found


def seeds(shared: Path, folder: Path, names: tuple[str, ...] = SEEDS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(shared / "seeds" / name, folder / name)


def rows_by_file(out: Path) -> dict[str, tuple[str, int]]:
    """source_path → (source_sha256, projects rows) as pandas reads OUT, checked against DuckDB."""
    projects = pd.read_parquet(out / "projects")
    for dataset in ("projects", "indicators", "cells", "files"):
        counted = duckdb.sql(f"SELECT count(*) FROM '{out}/{dataset}/*.parquet'").fetchall()[0][0]
        assert counted == len(pd.read_parquet(out / dataset)), dataset
    by_file = projects.groupby("source_path")
    assert by_file["source_sha256"].nunique().le(1).all()
    return {str(path): (str(group["source_sha256"].iloc[0]), len(group)) for path, group in by_file}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

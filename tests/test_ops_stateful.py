"""A stateful property test of nightly operations through the real command line (hypothesis
RuleBasedStateMachine): files and folders added, changed, removed and renamed, folders made unreadable
and readable again, runs, rerun-failed and runs killed with SIGKILL at a random moment, interleaved.
After every step: no input file touched, OUT readable by pandas and DuckDB, every readable file's rows
those of its current content, nothing else's rows lost.

Derandomized and bounded for CI (five sequences of up to 8 steps after a first run). A longer search
by hand:

    JIXIAO_STATEFUL_EXAMPLES=50 JIXIAO_STATEFUL_STEPS=30 JIXIAO_STATEFUL_RANDOM=1 \\
        python -m pytest tests/test_ops_stateful.py
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from opskit import cli, command, rows_by_file, snapshot

from jixiao.pipeline.names import shown

pytestmark = pytest.mark.slow

SEEDS = {"s3": "003_a583d9a954743c2a.txt", "s4": "004_ad2826ca3708fa31.txt"}
FORMS = {"s3": 4, "s4": 9, "empty": 0}
NO_FORM = "会议纪要\n今天讨论了预算。\n".encode()
JUNK = bytes(range(256)) * 40  # fails: extract/unsupported
NAMES = ("a.txt", "绩效.txt", os.fsdecode(b"b\xff.txt"))  # an invalid UTF-8 name among them
FOLDERS = ("d1", "报告")
# The first is what hypothesis's simplest example repeats: cheap, and jixiao is not run after it.
CHANGES = ("change a file", "add a file", "remove a file", "rename a file", "make a folder unreadable",
           "make a folder readable", "rename a folder", "remove a folder")
Rows = tuple[str, int] | None  # a file's rows in OUT: (source_sha256, projects rows), or none


class Contents:
    """What a file can hold, and the rows a reading of it gives."""

    def __init__(self, shared: Path) -> None:
        self.data = {key: (shared / "seeds" / name).read_bytes() for key, name in SEEDS.items()}
        self.data |= {"empty": NO_FORM, "junk": JUNK}

    def rows(self, key: str) -> Rows:
        return (hashlib.sha256(self.data[key]).hexdigest(), FORMS[key]) if FORMS[key] else None


class Operations(RuleBasedStateMachine):
    contents: Contents

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="jixiao-stateful-"))
        self.inbox, self.out = self.tmp / "in", self.tmp / "out"
        self.inbox.mkdir()
        self.files: dict[str, str] = {}  # relative path (as the OS gives it) → content key
        self.folders: set[str] = set()
        self.unreadable: set[str] = set()
        # What OUT may hold per source_path: a set, since a killed run may or may not have committed a file.
        self.rows: dict[str, set[Rows]] = {}
        self.failed: dict[str, bool] = {}  # source_path whose last status is failed → surely (or maybe)

    # The inputs ----------------------------------------------------------------------------------

    def _write(self, rel: str, content: str) -> None:
        (self.inbox / rel).write_bytes(self.contents.data[content])
        self.files[rel] = content

    def _folder(self, folder: str) -> None:
        if folder and folder not in self.folders:
            (self.inbox / folder).mkdir()
            self.folders.add(folder)

    @initialize()
    def yesterday(self) -> None:
        """A folder already read once: files at the top and in each folder."""
        for k, (folder, content) in enumerate((("", "s3"), ("d1", "s4"), ("d1", "empty"), ("报告", "s3"))):
            self._folder(folder)
            name = NAMES[k % len(NAMES)]
            self._write(f"{folder}/{name}" if folder else name, content)
        self.jixiao("run", 0.0)

    @rule(change=st.sampled_from(CHANGES), then=st.sampled_from(("nothing", "run", "rerun-failed", "kill")),
          data=st.data())
    def step(self, change: str, then: str, data: st.DataObject) -> None:
        """One change to the inputs, then (or not) jixiao."""
        pick = data.draw
        files, folders = sorted(self.files), sorted(self.folders)
        content = st.sampled_from(("s3", "s4", "empty", "junk"))
        if change == "change a file" and files:
            self._write(pick(st.sampled_from(files)), pick(content))
        elif change == "add a file":
            folder, name = pick(st.sampled_from(("", *FOLDERS))), pick(st.sampled_from(NAMES))
            self._folder(folder)
            rel = f"{folder}/{name}" if folder else name
            if rel not in self.files:
                self._write(rel, pick(content))
        elif change == "remove a file" and files:
            rel = pick(st.sampled_from(files))
            (self.inbox / rel).unlink()
            del self.files[rel]
        elif change == "rename a file" and files:
            rel, folder, name = pick(st.sampled_from(files)), pick(st.sampled_from(("", *folders))), \
                pick(st.sampled_from(NAMES))
            new = f"{folder}/{name}" if folder else name
            if new not in self.files:
                os.rename(self.inbox / rel, self.inbox / new)
                self.files[new] = self.files.pop(rel)
        elif change == "make a folder unreadable" and set(folders) - self.unreadable:
            folder = pick(st.sampled_from(sorted(set(folders) - self.unreadable)))
            (self.inbox / folder).chmod(0)
            self.unreadable.add(folder)
        elif change == "make a folder readable" and self.unreadable:
            folder = pick(st.sampled_from(sorted(self.unreadable)))
            (self.inbox / folder).chmod(0o755)
            self.unreadable.discard(folder)
        elif change == "rename a folder" and folders:
            folder, new = pick(st.sampled_from(folders)), pick(st.sampled_from(FOLDERS))
            if new not in self.folders:
                os.rename(self.inbox / folder, self.inbox / new)
                self.folders = (self.folders - {folder}) | {new}
                if folder in self.unreadable:
                    self.unreadable = (self.unreadable - {folder}) | {new}
                self.files = {(new + rel[len(folder):] if rel.startswith(folder + "/") else rel): c
                              for rel, c in self.files.items()}
        elif change == "remove a folder" and folders:
            folder = pick(st.sampled_from(folders))
            shutil.rmtree(self.inbox / folder)  # this test has the privilege to, unreadable or not
            self.folders.discard(folder)
            self.unreadable.discard(folder)
            self.files = {rel: c for rel, c in self.files.items() if not rel.startswith(folder + "/")}
        if then != "nothing":
            self.jixiao(then, pick(st.floats(0.0, 4.0)) if then == "kill" else 0.0)

    # jixiao ---------------------------------------------------------------------------------------

    def _empty(self) -> bool:
        """The input folder holds nothing at all."""
        return not self.files and not self.folders

    def _hidden(self, key: str) -> bool:
        """Under a folder the run cannot list (folder names need no escaping: the key spells them)."""
        return "/" in key and key.split("/", 1)[0] in self.unreadable

    def _completed(self, allow_empty: bool = False) -> tuple[dict[str, set[Rows]], dict[str, bool]]:
        """What OUT holds after a run that completes."""
        present = {shown(rel): content for rel, content in self.files.items()}
        rows: dict[str, set[Rows]] = {}
        failed: dict[str, bool] = {}
        if self._empty() and not allow_empty:
            return dict(self.rows), dict(self.failed)  # an empty mount point, perhaps: every row is kept
        for key in set(self.rows) | set(present):
            old = self.rows.get(key, {None})
            if self._hidden(key):
                rows[key] = old  # kept, and its state untouched
                if key in self.failed:
                    failed[key] = self.failed[key]
            elif key in present and present[key] == "junk":
                rows[key], failed[key] = old, True  # a failed file keeps its rows
            elif key in present:
                rows[key] = {self.contents.rows(present[key])}
            else:
                rows[key] = {None}  # removed
        return rows, failed

    def _cli(self, *args: str | Path) -> int:
        before = snapshot(self.inbox)
        result = cli(*args)
        assert snapshot(self.inbox) == before, "an input file was touched"
        assert "Traceback" not in result.stderr, result.stderr
        return result.returncode

    def jixiao(self, action: str, delay: float) -> None:
        if action == "run":
            self._run()
        elif action == "rerun-failed":
            self._rerun_failed()
        else:
            self._kill(delay)

    def _run(self, allow_empty: bool = False) -> None:
        code = self._cli("run", self.inbox, "--out", self.out, "--quiet", *(["--allow-empty-input"] * allow_empty))
        expected_failures = self.unreadable or any(c == "junk" for rel, c in self.files.items()
                                                   if not self._hidden(shown(rel)))
        # Found empty, the input's rows are kept and the run fails, if OUT held any (a killed run leaves that open).
        assert code in (0, 1) if self._empty() and not allow_empty else code == (1 if expected_failures else 0)
        self.rows, self.failed = self._completed(allow_empty)

    def _rerun_failed(self) -> None:
        assert self._cli("rerun-failed", "--out", self.out, "--quiet") in (0, 1)
        present = {shown(rel): content for rel, content in self.files.items()}
        for key, surely in list(self.failed.items()):
            if key not in present or self._hidden(key) or present[key] == "junk":
                continue  # failed again (or not seen): its rows stay
            new = {self.contents.rows(present[key])}
            self.rows[key] = new if surely else self.rows.get(key, {None}) | new
            del self.failed[key]

    def _kill(self, delay: float) -> None:
        """A run killed with SIGKILL `delay` seconds after it started (a run done by then is a run)."""
        before = snapshot(self.inbox)
        run = subprocess.Popen(command("run", self.inbox, "--out", self.out, "--quiet", "--batch-size", "1",
                                       "--commit-interval", "0"), start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        finished = run.poll() is not None
        if not finished:
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        assert snapshot(self.inbox) == before, "an input file was touched"
        after_rows, after_failed = self._completed()
        if finished:
            self.rows, self.failed = after_rows, after_failed
            return
        for key, rows in after_rows.items():
            self.rows[key] = self.rows.get(key, {None}) | rows
        self.failed = {key: self.failed.get(key, False) and after_failed.get(key, False)
                       for key in set(self.failed) | set(after_failed)}

    # What holds after every step ------------------------------------------------------------------

    @invariant()
    def out_holds_the_rows_it_should(self) -> None:
        if not (self.out / "projects").exists():
            assert all(rows == {None} for rows in self.rows.values())
            return
        held = rows_by_file(self.out)  # pandas and DuckDB agree on every dataset
        projects = pd.read_parquet(self.out / "projects")
        assert set(pd.read_parquet(self.out / "indicators")["project_id"]) <= set(projects["project_id"])
        for key in set(held) | set(self.rows):
            assert held.get(key) in self.rows.get(key, {None}), (key, held.get(key), self.rows.get(key))

    def teardown(self) -> None:
        try:
            for folder in self.unreadable:
                (self.inbox / folder).chmod(0o755)
            self.unreadable.clear()
            if self.rows or self.files:
                # Everything readable: every file's rows are exactly those of its content (none, the input emptied).
                self._run(allow_empty=True)
                self.out_holds_the_rows_it_should()
                assert all(len(rows) == 1 for rows in self.rows.values())
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def test_nightly_operations_keep_every_row(shared: Path) -> None:
    Operations.contents = Contents(shared)
    run_state_machine_as_test(Operations, settings=settings(
        max_examples=int(os.environ.get("JIXIAO_STATEFUL_EXAMPLES", "5")),
        stateful_step_count=int(os.environ.get("JIXIAO_STATEFUL_STEPS", "8")),
        derandomize=not os.environ.get("JIXIAO_STATEFUL_RANDOM"), database=None, deadline=None,
        suppress_health_check=list(HealthCheck)))

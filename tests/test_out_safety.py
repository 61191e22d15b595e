"""OUT under stress: a full disk stops a run without touching what earlier runs wrote, and readers
reading during a run always see complete, consistent datasets."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from jixiao.pipeline.state import read_state
from jixiao.pipeline.store import STATE_FILE, Store

FULL_DISK_SCRIPT = r"""
set -u
mount -t tmpfs -o size=48m tmpfs "$MNT"
run() { "$PY" -m jixiao.pipeline.cli run "$1" --out "$MNT/out" --quiet --no-progress; }
keep() { mkdir -p "$RES/$1"; for d in projects indicators files; do cp -rL "$MNT/out/$d" "$RES/$1/$d"; done; }
run "$IN1"; echo "first=$?" >> "$RES/codes"
keep before
dd if=/dev/zero of="$MNT/fill" bs=64k 2>/dev/null
run "$IN2" 2> "$RES/stderr"; echo "full=$?" >> "$RES/codes"
keep after
rm "$MNT/fill"
run "$IN2"; echo "again=$?" >> "$RES/codes"
keep final
"""


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(folder / name).sort_values(keys).reset_index(drop=True)
            for name, keys in (("projects", ["source_path", "table_index"]), ("indicators", ["project_id", "seq"]),
                               ("files", ["run_id", "source_path"]))}


def _can_mount() -> bool:
    probe = subprocess.run(["unshare", "--mount", "--map-root-user", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
                           capture_output=True, check=False)
    return probe.returncode == 0


def test_a_full_disk_stops_the_run_and_keeps_the_datasets(shared: Path, tmp_path: Path) -> None:
    if shutil.which("unshare") is None or not _can_mount():
        pytest.fail("this test mounts a small tmpfs in a private mount namespace: it needs util-linux's "
                    "unshare and user namespaces (or root)")
    in1, in2 = tmp_path / "in1", tmp_path / "in2"
    in1.mkdir()
    for seed in sorted((shared / "seeds").iterdir()):
        shutil.copy(seed, in1 / seed.name)
    shutil.copytree(in1, in2)
    shutil.copy(shared / "corpus" / "docx" / "a_docx_02.docx", in2 / "new.docx")
    mnt, res = tmp_path / "mnt", tmp_path / "res"
    mnt.mkdir()
    res.mkdir()
    env = {"MNT": str(mnt), "RES": str(res), "PY": sys.executable, "IN1": str(in1), "IN2": str(in2),
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["unshare", "--mount", "--map-root-user", "bash", "-c", FULL_DISK_SCRIPT], env=env, check=True,
                   timeout=600)

    codes = dict(line.split("=") for line in (res / "codes").read_text().split())
    assert codes == {"first": "0", "full": "4", "again": "0"}
    message = (res / "stderr").read_text()
    assert "No space left on device" in message and "datasets as last committed are intact" in message
    assert "Traceback" not in message
    before, after = _tables(res / "before"), _tables(res / "after")
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)

    final = _tables(res / "final")
    assert set(final["projects"]["source_path"]) == {*(p.name for p in in1.iterdir()), "new.docx"}
    assert (final["projects"]["source_path"] == "new.docx").sum() == 2


def _check_snapshot(generation: Path) -> int:
    """A generation as one consistent whole: datasets and the state that describes them."""
    projects = pd.read_parquet(generation / "projects")
    indicators = pd.read_parquet(generation / "indicators")
    assert set(indicators["project_id"]) <= set(projects["project_id"])
    per_project = indicators.groupby("project_id").size().reindex(projects["project_id"]).fillna(0)
    assert (per_project.to_numpy() == projects["indicator_count"].to_numpy()).all()
    states = read_state(generation / STATE_FILE)
    for source_path, rows in projects.groupby("source_path"):
        assert states[str(source_path)].parts_sha256 == rows["source_sha256"].iloc[0]
        assert states[str(source_path)].forms == len(rows)
    return len(projects)


def test_readers_see_consistent_datasets_while_a_run_writes(shared: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    forms = 0
    for folder in ("docx", "xlsx", "html"):
        for doc in sorted((shared / "corpus" / folder).iterdir())[:4]:
            shutil.copy(doc, inbox / doc.name)
            gold = json.loads((shared / "corpus" / "gold" / f"{doc.stem}.json").read_text(encoding="utf-8"))
            forms += len(gold["forms"])
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "jixiao.pipeline.cli", "run", str(inbox), "--out", str(out),
                            "--quiet", "--batch-size", "1", "--commit-interval", "0"])
    generations: set[str] = set()
    reads = 0
    try:
        while run.poll() is None:
            if not (out / "projects").exists():
                time.sleep(0.01)
                continue
            # pandas and DuckDB on the published folders: whole parts, each file's rows once.
            projects = pd.read_parquet(out / "projects")
            assert not projects.duplicated(["source_path", "table_index"]).any()
            # One generation, resolved once, as a whole; DuckDB's glob reads it as pandas does.
            current = Store(out).current()
            assert current is not None
            generations.add(current.name)
            _check_snapshot(current)
            counted = duckdb.sql(f"SELECT count(*) FROM '{current}/indicators/*.parquet'").fetchall()
            assert counted == [(len(pd.read_parquet(current / "indicators")),)]
            reads += 1
    finally:
        run.wait(timeout=300)
    assert run.returncode == 0
    assert reads >= 5 and len(generations) >= 3, (reads, generations)
    final = Store(out).current()
    assert final is not None and _check_snapshot(final) == len(pd.read_parquet(out / "projects")) == forms

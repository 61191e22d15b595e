"""Every kind of broken or hostile file beside good ones, through the real command line: no crash, each bad
file `failed` with the right stage and category, every good file written, exit code 1."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
from hostile import KINDS, MAX_FILE_MB, MAX_PAGES, MAX_UNPACKED_MB, Kind

from jixiao.extractors import ExtractOptions
from jixiao.extractors.errors import CATEGORIES
from jixiao.pipeline.ingest import Job, RetryPolicy, ingest_file
from jixiao.pipeline.writer import StagingWriter

GOOD = {  # name in the input: (corpus file, forms its gold holds)
    "seed.txt": ("seeds/002_9da3ca00a275ab0a.txt", None),
    "good.docx": ("corpus/docx/a_docx_02.docx", 2),
    "good.xlsx": ("corpus/xlsx/a_xlsx_04.xlsx", 2),
    "good.html": ("corpus/html/a_html_03.html", 2),
    "good.pdf": ("corpus/pdf/a_pdf_07.pdf", 3),
}


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jixiao.pipeline.cli", *args], check=False, capture_output=True,
                          text=True,
                          env={**os.environ, **(env or {})}, timeout=900)


def _kind_of(source_path: str) -> Kind | None:
    for kind in KINDS:
        if source_path == kind.name or source_path.startswith(kind.name + "."):
            return kind
    return None


def _parse(error: str) -> tuple[str, str, str]:
    where, _, message = error.partition(": ")
    stage, _, category = where.partition("/")
    return stage, category, message


def _keep_changing(path: Path, stop: threading.Event) -> None:
    with path.open("a", encoding="utf-8") as handle:
        while not stop.is_set():
            handle.write("项目名称 still arriving\n")
            handle.flush()
            time.sleep(0.05)


def test_hostile_files_fail_cleanly_and_good_files_land(shared: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name, (source, _) in GOOD.items():
        shutil.copy(shared / source, inbox / name)
    for kind in KINDS:
        kind.make(shared, inbox / kind.name)
    growing = inbox / "growing.txt"
    growing.write_text("项目支出绩效自评表\n", encoding="utf-8")
    stop = threading.Event()
    writer = threading.Thread(target=_keep_changing, args=(growing, stop))
    writer.start()
    out = tmp_path / "out"
    try:
        result = _cli("run", str(inbox), "--out", str(out), "--quiet", "--max-pages", str(MAX_PAGES),
                      "--max-file-mb", str(MAX_FILE_MB), env={"JIXIAO_MAX_UNPACKED_MB": str(MAX_UNPACKED_MB)})
    finally:
        stop.set()
        writer.join()
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    files = pd.read_parquet(out / "files").set_index("source_path")

    seen_kinds = set()
    for source_path, row in files.iterrows():
        kind = _kind_of(str(source_path))
        if kind is None:
            continue
        seen_kinds.add(kind.name)
        if kind.stage is None:
            assert row["status"] == "no_forms", (source_path, row["status"], row["error"])
            continue
        assert row["status"] == "failed", (source_path, row["status"])
        stage, category, message = _parse(row["error"])
        assert (stage, category) in {(kind.stage, c) for c in kind.categories}, (source_path, row["error"])
        assert message and "\n" not in row["error"]
    assert seen_kinds == {kind.name for kind in KINDS}
    assert sum(kind.stage is not None for kind in KINDS) >= 25

    stage, category, message = _parse(files.loc["growing.txt", "error"])
    assert (stage, category) == ("sniff", "transient") and "still being written" in message

    assert set(files["status"]) == {"ok", "failed", "no_forms"}
    failures = files.loc[files["status"] == "failed", "error"]
    assert all(_parse(e)[1] in CATEGORIES and _parse(e)[1] != "internal" for e in failures)
    assert not (out / "logs").exists()  # no extractor crashed
    projects = pd.read_parquet(out / "projects")
    forms = projects.groupby("source_path").size().to_dict()
    for name, (_, count) in GOOD.items():
        assert files.loc[name, "status"] == "ok"
        if count is not None:
            assert forms[name] == count, name
    assert set(projects["source_path"]) == set(GOOD)
    assert "root:" not in projects.to_string()  # the XXE target never leaked into a cell


def test_time_and_memory_limits_fail_one_file_each(shared: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(shared / "corpus" / "pdf_scanned" / "a_scan_01.pdf", inbox / "slow_scan.pdf")
    shutil.copy(shared / "seeds" / "002_9da3ca00a275ab0a.txt", inbox / "seed.txt")
    timed = _cli("run", str(inbox), "--out", str(tmp_path / "timed"), "--quiet", "--time-limit", "1")
    assert timed.returncode == 1, timed.stderr
    files = pd.read_parquet(tmp_path / "timed" / "files").set_index("source_path")
    assert files.loc["slow_scan.pdf", "error"] == "extract/limit: took longer than the time limit of 1 s"
    assert files.loc["seed.txt", "status"] == "ok"  # read by a fresh reading process after the kill

    capped = _cli("run", str(inbox), "--out", str(tmp_path / "capped"), "--quiet", "--memory-limit", "300")
    assert capped.returncode == 1, capped.stderr
    files = pd.read_parquet(tmp_path / "capped" / "files").set_index("source_path")
    stage, category, message = _parse(files.loc["slow_scan.pdf", "error"])
    assert (stage, category) == ("extract", "limit") and "memory" in message
    assert files.loc["seed.txt", "status"] == "ok"


def test_a_file_that_vanishes_before_it_is_read_fails_as_transient(tmp_path: Path) -> None:
    gone = tmp_path / "gone.txt"
    gone.write_text("项目支出绩效自评表", encoding="utf-8")
    job = Job(str(gone), "gone.txt", gone.stat().st_size, gone.stat().st_mtime_ns)
    gone.unlink()
    outcome = ingest_file(job, StagingWriter(tmp_path / "stage"), ExtractOptions(),
                          RetryPolicy(attempts=2, first_delay_s=0.01))
    assert outcome.status == "failed" and outcome.attempts == 2
    assert outcome.error == "sniff/transient: the file vanished before it could be read"



def test_rerun_failed_refuses_what_run_refused(shared: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "outside.txt").symlink_to(shared / "seeds" / "004_ad2826ca3708fa31.txt")
    os.mkfifo(inbox / "pipe.txt")
    (inbox / "dangling.pdf").symlink_to("nowhere.pdf")
    out = tmp_path / "out"
    first = _cli("run", str(inbox), "--out", str(out), "--quiet")
    again = _cli("rerun-failed", "--out", str(out), "--quiet")  # would hang for ever opening the FIFO
    assert first.returncode == again.returncode == 1
    assert first.stderr == again.stderr
    assert "outside.txt: sniff/bad_input: a link to a path outside the input folder" in again.stderr
    assert "pipe.txt: sniff/unsupported: not a regular file but a FIFO" in again.stderr
    assert "dangling.pdf: sniff/bad_input: a broken link" in again.stderr
    assert len(pd.read_parquet(out / "projects")) == 0

"""Incremental runs without Prefect: unchanged files skipped, changed ones replaced, removed ones dropped,
failed ones re-run, retries, the lock, worker processes, and `jixiao status`."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pytest
from corpus import CorpusFile, copy_corpus
from dying_worker import ingest_or_die

from jixiao.extractors import STREAM_EXTRACTORS, ExtractError, ExtractOptions
from jixiao.extractors.errors import TRANSIENT
from jixiao.grid import Grid, GridStream
from jixiao.pipeline import ingest as ingest_module
from jixiao.pipeline.cli import EXIT_LOCKED, main
from jixiao.pipeline.ingest import RetryPolicy
from jixiao.pipeline.lock import LockHeld, OutLock, lock_path
from jixiao.pipeline.parallel import WORKER_DIED, BatchPool
from jixiao.pipeline.plan import make_batches, plan_run
from jixiao.pipeline.process import process_file
from jixiao.pipeline.run import rerun_failed, run
from jixiao.pipeline.state import load_state
from jixiao.pipeline.writer import part_name

NO_WAIT = RetryPolicy(attempts=3, first_delay_s=0.0)
JUNK = bytes(range(256)) * 40
HOLD_LOCK = ("import sys, time; from pathlib import Path; from jixiao.pipeline.lock import OutLock; "
             "lock = OutLock(Path(sys.argv[1])); lock.acquire(); print('held', flush=True); time.sleep(60)")


@pytest.fixture()
def corpus(shared: Path, tmp_path: Path) -> tuple[Path, dict[str, CorpusFile]]:
    inbox = tmp_path / "in"
    return inbox, copy_corpus(shared, inbox)


def seed_names(files: dict[str, CorpusFile]) -> list[str]:
    return [name for name in files if name.endswith(".txt")]


def manifest(out: Path, run_id: str) -> pd.DataFrame:
    return pd.read_parquet(out / "files" / f"{run_id}.parquet").set_index("source_path")


def parts(out: Path) -> dict[str, tuple[int, bytes]]:
    return {f"{d}/{p.name}": (p.stat().st_mtime_ns, p.read_bytes())
            for d in ("projects", "indicators") for p in (out / d).glob("*.parquet")}


def rows(out: Path, dataset: str) -> pd.DataFrame:
    keys = ["source_path", "table_index"] if dataset == "projects" else ["project_id", "seq"]
    return pd.read_parquet(out / dataset).sort_values(keys).reset_index(drop=True)


def test_first_run_reads_every_file_with_the_gold_counts(corpus: tuple[Path, dict[str, CorpusFile]],
                                                         tmp_path: Path) -> None:
    inbox, files = corpus
    summary = run([inbox], tmp_path / "out")
    files_out = manifest(tmp_path / "out", summary.run_id)
    assert set(files_out["status"]) == {"ok"}
    for name, doc in files.items():
        assert files_out.loc[name, "forms"] == doc.forms
    assert summary.indicators == sum(doc.indicators for doc in files.values())


def test_an_unchanged_rerun_reads_no_file(corpus: tuple[Path, dict[str, CorpusFile]], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, files = corpus
    out = tmp_path / "out"
    run([inbox], out)
    before = parts(out)
    monkeypatch.setattr(ingest_module, "read_isolated", lambda *a, **k: pytest.fail("a file was read again"))
    summary = run([inbox], out)
    assert summary.statuses == {"skipped_unchanged": len(files)}
    second = manifest(out, summary.run_id)
    assert second["forms"].to_dict() == {name: doc.forms for name, doc in files.items()}
    assert second["source_sha256"].notna().all() and second["source_format"].eq("txt").sum() == len(seed_names(files))
    assert parts(out) == before  # not one part rewritten


def test_a_changed_file_replaces_only_its_rows(corpus: tuple[Path, dict[str, CorpusFile]], tmp_path: Path) -> None:
    inbox, files = corpus
    out = tmp_path / "out"
    run([inbox], out)
    before_parts, before_projects = parts(out), rows(out, "projects")
    changed = seed_names(files)[1]
    text = (inbox / changed).read_text(encoding="utf-8")
    (inbox / changed).write_text(text.replace("年度", "年度 ", 1), encoding="utf-8")  # same forms, new bytes
    summary = run([inbox], out)
    statuses = manifest(out, summary.run_id)["status"]
    assert statuses[changed] == "ok" and (statuses.drop(changed) == "skipped_unchanged").all()
    after_parts, after_projects = parts(out), rows(out, "projects")
    changed_parts = {k for k in after_parts if after_parts[k] != before_parts[k]}
    assert changed_parts == {f"projects/{part_name(changed)}", f"indicators/{part_name(changed)}"}
    mine = after_projects.source_path == changed
    assert mine.sum() == files[changed].forms
    assert not after_projects[mine].project_id.isin(before_projects.project_id).any()  # new content, new ids
    pd.testing.assert_frame_equal(after_projects[~mine].reset_index(drop=True),
                                  before_projects[before_projects.source_path != changed].reset_index(drop=True))


def test_removed_files_lose_their_rows_unless_kept(corpus: tuple[Path, dict[str, CorpusFile]],
                                                   tmp_path: Path) -> None:
    inbox, files = corpus
    first, second = seed_names(files)[:2]
    out = tmp_path / "out"
    run([inbox], out)
    (inbox / first).unlink()
    kept = run([inbox], out, keep_removed=True)
    assert kept.kept_removed == [first] and first in set(rows(out, "projects").source_path)
    assert first in load_state(out)
    (inbox / second).unlink()
    dropped = run([inbox], out)
    assert len(dropped.removed) == 2 and first in dropped.removed
    assert not {first, second} & set(rows(out, "projects").source_path)
    assert not (out / "projects" / part_name(first)).exists()
    assert set(load_state(out)) == set(files) - {first, second}
    assert first not in manifest(out, dropped.run_id).index  # the manifest lists files of the input only


def test_a_file_outside_this_runs_inputs_is_not_removed(corpus: tuple[Path, dict[str, CorpusFile]],
                                                        tmp_path: Path) -> None:
    inbox, files = corpus
    first, *others = seed_names(files)
    out = tmp_path / "out"
    run([inbox / first], out)
    summary = run([inbox / name for name in others], out)
    assert summary.removed == [] and set(rows(out, "projects").source_path) == {first, *others}


def test_rerun_failed_reads_only_the_failed_files(corpus: tuple[Path, dict[str, CorpusFile]], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    inbox, files = corpus
    broken = seed_names(files)[2]
    good = (inbox / broken).read_bytes()
    (inbox / broken).write_bytes(JUNK)
    out = tmp_path / "out"
    assert main(["run", str(inbox), "--out", str(out), "--quiet"]) == 1
    capsys.readouterr()
    assert main(["status", "--out", str(out)]) == 1
    listed = capsys.readouterr().out
    assert "failed by stage/category: extract/unsupported 1" in listed
    assert f"failed (1):\n  {broken}: extract/unsupported: not text" in listed and f"ok {len(files) - 1}" in listed

    (inbox / broken).write_bytes(good)
    summary = rerun_failed(out)
    assert summary.rerun_failed and summary.statuses == {"ok": 1}
    assert list(manifest(out, summary.run_id).index) == [broken]
    assert (rows(out, "projects").source_path == broken).sum() == files[broken].forms
    assert main(["status", "--out", str(out), "--status", "ok"]) == 0
    assert f"  {broken}" in capsys.readouterr().out
    assert rerun_failed(out).files == 0  # nothing failed any more


def test_a_failed_file_put_back_as_it_was_is_read_again(corpus: tuple[Path, dict[str, CorpusFile]],
                                                       tmp_path: Path) -> None:
    inbox, files = corpus
    name = next(n for n in files if n.endswith(".docx"))
    good = (inbox / name).read_bytes()
    out = tmp_path / "out"
    run([inbox], out)
    (inbox / name).write_bytes(good[:3000])  # a bad copy over it: it fails, its rows stay
    assert run([inbox], out).statuses["failed"] == 1
    (inbox / name).write_bytes(good)  # put back: the content its parts hold, yet it failed last
    summary = run([inbox], out)
    assert summary.statuses == {"ok": 1, "skipped_unchanged": len(files) - 1}
    assert load_state(out)[name].status == "ok"


def test_a_file_still_being_written_is_read_once_it_settles(corpus: tuple[Path, dict[str, CorpusFile]],
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, files = corpus
    growing = seed_names(files)[0]
    real_look = ingest_module.look
    sizes = iter([1000, 2000])  # the first two looks at it see a copy in progress

    def look(path: str) -> tuple[int, int] | None:
        seen = real_look(path)
        if path.endswith(growing) and seen is not None:
            size = next(sizes, None)
            return seen if size is None else (size, seen[1])
        return seen

    monkeypatch.setattr(ingest_module, "look", look)
    summary = run([inbox], tmp_path / "out", policy=NO_WAIT)
    assert summary.statuses == {"ok": len(files)}
    assert manifest(tmp_path / "out", summary.run_id).loc[growing, "forms"] == files[growing].forms


def test_a_file_that_never_settles_fails_without_rows(corpus: tuple[Path, dict[str, CorpusFile]], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, files = corpus
    growing = seed_names(files)[0]
    real_look = ingest_module.look
    grown = iter(range(1, 100))
    monkeypatch.setattr(ingest_module, "look", lambda path: (next(grown), 0) if path.endswith(growing)
                        else real_look(path))
    summary = run([inbox], tmp_path / "out", policy=NO_WAIT)
    assert summary.failures == [(growing, "sniff/transient: still being written: it changed between looks 3 times")]
    assert growing not in set(rows(tmp_path / "out", "projects").source_path)


def test_transient_extractor_failures_are_retried_bad_files_are_not(corpus: tuple[Path, dict[str, CorpusFile]],
                                                                     tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, files = corpus
    (inbox / "junk.bin").write_bytes(JUNK)
    real = STREAM_EXTRACTORS["txt"]
    calls: list[bool] = []

    def flaky(handle: BinaryIO, options: ExtractOptions) -> Grid | GridStream:
        calls.append(handle.read() == JUNK)
        if len(calls) == 1:
            raise ExtractError("OCR worker killed", TRANSIENT)
        return real(handle, options)

    monkeypatch.setitem(STREAM_EXTRACTORS, "txt", flaky)
    # Read in this process, where the flaky extractor is patched in, not in the reading child.
    monkeypatch.setattr(ingest_module, "read_isolated", process_file)
    summary = run([inbox], tmp_path / "out", policy=NO_WAIT)
    assert summary.statuses == {"ok": len(files), "failed": 1}
    assert calls.count(True) == 1  # the junk file: read once, no retry
    assert len(calls) == sum(name.endswith(".txt") for name in files) + 2  # text files, the junk, one retry


def test_workers_give_the_same_datasets_as_one_process(corpus: tuple[Path, dict[str, CorpusFile]],
                                                       tmp_path: Path) -> None:
    inbox, files = corpus
    (inbox / "junk.bin").write_bytes(JUNK)
    serial = run([inbox], tmp_path / "serial")
    parallel = run([inbox], tmp_path / "parallel", workers=2, batch_size=1)
    assert serial.statuses == parallel.statuses == {"ok": len(files), "failed": 1}
    for dataset in ("projects", "indicators"):
        pd.testing.assert_frame_equal(rows(tmp_path / "serial", dataset), rows(tmp_path / "parallel", dataset))
    assert list(manifest(tmp_path / "parallel", parallel.run_id).index) == \
        list(manifest(tmp_path / "serial", serial.run_id).index)


def test_a_file_that_kills_its_worker_fails_alone(corpus: tuple[Path, dict[str, CorpusFile]],
                                                  tmp_path: Path) -> None:
    inbox, files = corpus
    (inbox / "die.txt").write_text("x", encoding="utf-8")
    plan = plan_run([inbox], tmp_path / "out")
    with BatchPool(2, str(tmp_path / "out"), None, NO_WAIT, work=ingest_or_die) as pool:
        outcomes = pool.run(plan.jobs)  # one batch: the pool breaks, then each file is tried alone
    by_path = {o.source_path: o for o in outcomes}
    assert by_path["die.txt"].status == "failed" and by_path["die.txt"].error == WORKER_DIED
    assert {name: by_path[name].forms for name in files} == {name: doc.forms for name, doc in files.items()}
    assert all(by_path[name].status == "ok" for name in files)


def test_batches_are_bounded_by_count_and_bytes(corpus: tuple[Path, dict[str, CorpusFile]], tmp_path: Path) -> None:
    inbox, _ = corpus
    for k in range(40):
        (inbox / f"copy_{k:02d}.txt").write_bytes(b"x" * 100)
    jobs = plan_run([inbox], tmp_path / "out").jobs
    per_batch = math.ceil(len(jobs) / 8)  # 4 batches per worker
    sizes = [len(b) for b in make_batches(jobs, workers=2)]
    assert sizes[:-1] == [per_batch] * (len(sizes) - 1) and 0 < sizes[-1] <= per_batch and len(sizes) <= 8
    assert [job for batch in make_batches(jobs, workers=2) for job in batch] == jobs
    assert [len(b) for b in make_batches(jobs, batch_size=1)] == [1] * len(jobs)
    big = [j.__class__(j.path, j.source_path, 5 << 20, 0) for j in jobs[:3]]
    assert [len(b) for b in make_batches(big, batch_size=64)] == [1, 1, 1]


def test_a_live_run_holds_out_and_a_dead_ones_lock_is_taken_over(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        (tmp_path / "in").mkdir()
        assert main(["run", str(tmp_path / "in"), "--out", str(out)]) == EXIT_LOCKED
        message = capsys.readouterr().err
        assert f"pid {holder.pid}" in message and "being written by another jixiao run" in message
        with pytest.raises(LockHeld):
            OutLock(out).acquire()
    finally:
        holder.kill()
        holder.wait()
    assert json.loads(lock_path(out).read_text())["pid"] == holder.pid  # left behind by the killed run
    with OutLock(out):
        assert json.loads(lock_path(out).read_text())["pid"] == os.getpid()
    assert not lock_path(out).exists()


def test_the_plain_run_never_imports_prefect(shared: Path, tmp_path: Path) -> None:
    code = ("import sys; from jixiao.pipeline.cli import main; "
            "code = main(['run', sys.argv[1], '--out', sys.argv[2], '--quiet', '--workers', '2']); "
            "assert code == 0, code; assert 'prefect' not in sys.modules, 'prefect imported'")
    subprocess.run([sys.executable, "-c", code, str(shared / "seeds"), str(tmp_path / "out")], check=True)

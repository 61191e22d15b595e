"""The Prefect flow for real, under Prefect's test harness (one temporary server for this module), on real
documents: incremental re-runs, a corrupt file, rerun-failed, and a local Dask cluster of two processes.

Everything else about runs is tested on the plain functions (test_incremental.py): the flow calls them.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from corpus import CorpusFile, copy_corpus

from jixiao.pipeline.cli import main
from jixiao.pipeline.writer import part_name

JUNK = bytes(range(256)) * 40


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """jixiao.flows, with a throwaway PREFECT_HOME and a temporary Prefect server."""
    saved = os.environ.get("PREFECT_HOME")
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    from prefect.testing.utilities import prefect_test_harness

    import jixiao.flows

    try:
        with prefect_test_harness(server_startup_timeout=120):
            yield jixiao.flows
    finally:
        if saved is None:
            os.environ.pop("PREFECT_HOME", None)
        else:
            os.environ["PREFECT_HOME"] = saved


@pytest.fixture()
def corpus(shared: Path, tmp_path: Path) -> tuple[Path, dict[str, CorpusFile]]:
    inbox = tmp_path / "in"
    return inbox, copy_corpus(shared, inbox)


def statuses(out: Path, run_id: str) -> dict[str, str]:
    return pd.read_parquet(out / "files" / f"{run_id}.parquet").set_index("source_path")["status"].to_dict()


def rows(out: Path, dataset: str) -> pd.DataFrame:
    keys = ["source_path", "table_index"] if dataset == "projects" else ["project_id", "seq"]
    return pd.read_parquet(out / dataset).sort_values(keys).reset_index(drop=True)


def task_states(flow_run_id: Any) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {run.name: run.state_type.value for run in runs}


def failed_files_artifacts() -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["jixiao-failed-files"])))


def test_the_nightly_cycle_under_prefect(flows: Any, corpus: tuple[Path, dict[str, CorpusFile]]) -> None:
    inbox, files = corpus
    seeds = [name for name in files if name.endswith(".txt")]
    out = inbox.parent / "out"
    corrupt, changed = seeds[2], seeds[1]
    good_bytes = (inbox / corrupt).read_bytes()
    (inbox / corrupt).write_bytes(JUNK)

    # 1. A corrupt file fails its own task; the rest land; the flow completes.
    state = flows.ingest(inputs=[str(inbox)], out=str(out), batch_size=1, return_state=True)
    assert state.is_completed()
    first = state.result()
    assert statuses(out, first.run_id) == {name: "failed" if name == corrupt else "ok" for name in files}
    by_task = task_states(state.state_details.flow_run_id)
    position = sorted(files).index(corrupt) + 1  # batches in input order
    assert by_task[f"ingest {position}/{len(files)}: {corrupt}"] == "FAILED"
    assert list(by_task.values()).count("FAILED") == 1
    assert [v for k, v in by_task.items() if k.startswith("finish")] == ["COMPLETED"]
    landed = rows(out, "projects")
    assert landed.groupby("source_path").size().to_dict() == {n: d.forms for n, d in files.items() if n != corrupt}

    # 2. Unchanged input: no file is read again (the corrupt one, unchanged, is tried again); from the CLI,
    # with the review of the files read, which the failed-files artifact links to.
    review = inbox.parent / "review"
    assert main(["run", str(inbox), "--out", str(out), "--prefect", "--quiet", "--review", str(review)]) == 1
    second = max((out / "files").glob("*.parquet")).stem
    assert statuses(out, second) == {name: "failed" if name == corrupt else "skipped_unchanged" for name in files}
    pd.testing.assert_frame_equal(rows(out, "projects"), landed)
    index = (review / "index.html").read_text(encoding="utf-8")
    assert corrupt in index and 'data-status="failed"' in index and index.count("<tr data-status") == 1
    assert any((review / "index.html").resolve().as_uri() in (a.description or "") for a in failed_files_artifacts())

    # 3. A modified file is read again and only its rows change.
    before = {p.name: p.read_bytes() for p in (out / "indicators").glob("*.parquet")}
    text = (inbox / changed).read_text(encoding="utf-8")
    (inbox / changed).write_text(text.replace("年度", "年度 ", 1), encoding="utf-8")
    seen: list[int] = []
    third = flows.run_flow([inbox], out, on_start=seen.append)
    assert seen == [len(files)]
    assert statuses(out, third.run_id)[changed] == "ok" and third.statuses["skipped_unchanged"] == len(files) - 2
    after = {p.name: p.read_bytes() for p in (out / "indicators").glob("*.parquet")}
    assert {name for name in after if after[name] != before[name]} == {part_name(changed)}

    # 4. The corrupt file replaced: rerun-failed reads only it.
    (inbox / corrupt).write_bytes(good_bytes)
    fourth = flows.ingest(inputs=[], out=str(out), rerun_failed=True)
    assert statuses(out, fourth.run_id) == {corrupt: "ok"}
    assert rows(out, "projects").groupby("source_path").size().to_dict() == {n: d.forms for n, d in files.items()}


@pytest.mark.slow
def test_a_local_dask_cluster_and_worker_processes_give_the_same_datasets_as_a_serial_run(
        flows: Any, corpus: tuple[Path, dict[str, CorpusFile]]) -> None:
    from distributed import Client, LocalCluster

    inbox, files = corpus
    (inbox / "junk.bin").write_bytes(JUNK)  # a failed task's outcomes come back from Dask too
    work = inbox.parent
    serial = flows.run_flow([inbox], work / "serial")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = flows.run_flow([inbox], work / "dask", dask_address=cluster.scheduler_address, batch_size=1)
        with Client(cluster) as client:
            executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    in_pool = flows.run_flow([inbox], work / "pool", workers=2, batch_size=1)
    assert serial.statuses == on_dask.statuses == in_pool.statuses == {"ok": len(files), "failed": 1}
    assert on_dask.failures == serial.failures and [path for path, _ in on_dask.failures] == ["junk.bin"]
    assert len(executed) == 2 and all(executed.values())  # both Dask workers took batches
    for dataset in ("projects", "indicators"):
        pd.testing.assert_frame_equal(rows(work / "serial", dataset), rows(work / "dask", dataset))
        pd.testing.assert_frame_equal(rows(work / "serial", dataset), rows(work / "pool", dataset))


def test_prefect_stays_local_and_gets_a_writable_home(tmp_path: Path) -> None:
    from jixiao.flows.env import configure_prefect_env

    # A HOME where nothing can be created, even by root: a plain file.
    unusable = tmp_path / "home"
    unusable.write_text("")
    env = {"HOME": str(unusable), "DO_NOT_TRACK": "0"}
    configure_prefect_env(env)
    assert env["DO_NOT_TRACK"] == "0"  # what the user set wins
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    home = Path(env["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    assert os.access(home, os.W_OK)

    writable = {"HOME": str(tmp_path)}
    configure_prefect_env(writable)
    assert "PREFECT_HOME" not in writable and writable["DO_NOT_TRACK"] == "1"
    chosen = {"HOME": str(unusable), "PREFECT_HOME": str(tmp_path / "custom")}
    configure_prefect_env(chosen)
    assert chosen["PREFECT_HOME"] == str(tmp_path / "custom")


@pytest.mark.parametrize("command", [["serve", "--cron", "0 2 * * *"], ["run", "--dask-address", "tcp://127.0.0.1:9"]])
def test_schedules_and_dask_need_a_prefect_server(command: list[str], shared: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    done = subprocess.run([sys.executable, "-m", "jixiao.pipeline.cli", *command, str(shared / "seeds"),
                           "--out", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "needs a Prefect server" in done.stderr and "PREFECT_API_URL" in done.stderr
    assert not (tmp_path / "out").exists()

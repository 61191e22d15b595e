"""The Prefect flow for real, on one real `prefect server start` for this module, on real documents: incremental
re-runs, a corrupt file, rerun-failed, a local Dask cluster of two processes; and its deployments as ops run them:
`jixiao serve`, and the repository's prefect.yaml deployed to a process work pool served by `prefect worker start`.
Deployment runs are triggered through the API (as the schedule or the UI would) and waited for; the rows land in
OUT, a run with failed files ends Failed, and the alert of examples/alert-failed-runs.yaml fires for it.

Everything else about runs is tested on the plain functions (test_incremental.py): the flow calls them.
`--prefect` without a server: test_prefect_temporary_server.py.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from corpus import CorpusFile, copy_corpus, corpus_files
from prefect_server import REPO, PrefectServer, pointed_at, process_group, started_server, wait_until

from jixiao.pipeline.cli import main
from jixiao.pipeline.writer import part_name

JUNK = bytes(range(256)) * 40


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """One real `prefect server start` for the module (start-up takes 15-35 s), stopped at its end."""
    with started_server(tmp_path_factory.mktemp("prefect-server")) as server:
        yield server


@pytest.fixture(scope="module")
def flows(prefect_server: PrefectServer) -> Iterator[Any]:
    """jixiao.flows, talking to the module's Prefect server."""
    with pointed_at(prefect_server) as flows:
        yield flows


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
    return {run.name: run.state_type.value for run in runs if run.state_type}


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

    # 1. A corrupt file fails its own task; the rest land; the flow ends Failed, saying which file failed.
    state = flows.ingest(inputs=[str(inbox)], out=str(out), batch_size=1, return_state=True)
    assert state.is_failed() and state.name == "Failed"
    assert state.message.startswith(f"1 of {len(files)} files failed ({corrupt}); the other {len(files) - 1} are in")
    first = state.result(raise_on_failure=False).summary
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

    # 4. The corrupt file replaced: rerun-failed reads only it, and the flow completes.
    (inbox / corrupt).write_bytes(good_bytes)
    junk = inbox.parent / "junk"
    junk.mkdir()
    (junk / "junk.bin").write_bytes(JUNK)
    with pytest.raises(flows.FilesFailed) as failed:  # called plainly, a flow whose files failed raises
        flows.ingest(inputs=[str(junk)], out=str(junk.parent / "junk-out"))
    assert [path for path, _ in failed.value.summary.failures] == ["junk.bin"]
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


def test_a_copy_of_the_flow_pickled_by_value_validates_its_parameters() -> None:
    """What `ingest.serve()` and Prefect's subprocess runs do: the function travels by value, without its
    module's globals; its parameter types must travel with it (they did not: every served run failed)."""
    import cloudpickle

    from jixiao.extractors import ExtractOptions
    from jixiao.flows import ingest

    copy = cloudpickle.loads(cloudpickle.dumps(ingest))
    assert copy.fn is not ingest.fn
    checked = copy.validate_parameters({"inputs": ["/in"], "out": "/out", "options": {"ocr_engine": "fast"}})
    assert checked["options"] == ExtractOptions(ocr_engine="fast")




@pytest.fixture(scope="module")
def alerts(flows: Any, prefect_server: PrefectServer) -> Iterator[Any]:
    """The automation of examples/alert-failed-runs.yaml, its notification replaced by nothing."""
    from prefect.client.orchestration import get_client
    from prefect.events.schemas.automations import AutomationCore

    spec = yaml.safe_load((REPO / "examples" / "alert-failed-runs.yaml").read_text(encoding="utf-8"))
    spec["actions"] = [{"type": "do-nothing"}]
    with get_client(sync_client=True) as client:
        automation_id = client.create_automation(AutomationCore.model_validate(spec))
    yield automation_id
    with get_client(sync_client=True) as client:
        client.delete_automation(automation_id)


def fired(automation_id: Any) -> int:
    """How often the automation has triggered."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        response = client.request("POST", "/events/filter", json={
            "filter": {"event": {"name": ["prefect.automation.triggered"]},
                       "resource": {"id": [f"prefect.automation.{automation_id}"]}},
            "limit": 50})
    return int(response.json()["total"])


def seeds(shared: Path, inbox: Path) -> dict[str, int]:
    """The seed exports copied into `inbox`; forms expected per file."""
    inbox.mkdir(parents=True)
    expected = {}
    for name, doc in corpus_files(shared).items():
        if name.endswith(".txt"):
            shutil.copy(doc.path, inbox / name)
            expected[name] = doc.forms
    return expected


def forms_in(out: Path) -> dict[str, int]:
    return pd.read_parquet(out / "projects").groupby("source_path").size().to_dict()


def last_statuses(out: Path) -> dict[str, str]:
    manifest = max((out / "files").glob("*.parquet"))
    return pd.read_parquet(manifest).set_index("source_path")["status"].to_dict()


def run(deployment: str, **parameters: Any) -> Any:
    """A run of the deployment, created through the API and waited for until it ends."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    flow_run = run_deployment(deployment, parameters=parameters, timeout=300, poll_interval=1)
    assert isinstance(flow_run, FlowRun) and flow_run.state is not None and flow_run.state.is_final(), flow_run
    return flow_run.state


def deployment_named(name: str) -> Any:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            return client.read_deployment_by_name(name)
        except ObjectNotFound:
            return None


def work_pool_named(name: str) -> Any:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            return client.read_work_pool(name)
        except ObjectNotFound:
            return None


@pytest.mark.slow
def test_jixiao_serve_runs_its_deployment(flows: Any, alerts: Any, prefect_server: PrefectServer,
                                          shared: Path, tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    expected = seeds(shared, inbox)
    # Started outside the repository, as a service would be: runs import jixiao by module, not by file.
    command = [sys.executable, "-m", "jixiao.pipeline.cli", "serve", str(inbox), "--out", str(out),
               "--cron", "0 2 * * *", "--timezone", "Asia/Shanghai", "--name", "served"]
    log = tmp_path / "serve.log"
    with process_group(command, prefect_server.env(PREFECT_RUNNER_POLL_FREQUENCY="1"), log, cwd=tmp_path):
        served = wait_until("the deployment is served", lambda: deployment_named("jixiao-ingest/served"), 120, log)
        assert served.entrypoint == "jixiao.flows.ingest.ingest"
        assert [s.schedule.cron for s in served.schedules] == ["0 2 * * *"]

        state = run("jixiao-ingest/served")
        assert state.is_completed(), state
        assert forms_in(out) == expected

        (inbox / "junk.txt").write_bytes(JUNK)
        before = fired(alerts)
        state = run("jixiao-ingest/served")
        assert state.is_failed() and state.name == "Failed"
        assert state.message.startswith(f"1 of {len(expected) + 1} files failed (junk.txt); "
                                        f"the other {len(expected)} are in {out}")
        assert last_statuses(out) == {"junk.txt": "failed", **{name: "skipped_unchanged" for name in expected}}
        wait_until("the alert fires", lambda: fired(alerts) == before + 1, 60)

        shutil.copy(inbox / next(iter(expected)), inbox / "junk.txt")
        state = run("jixiao-ingest/served", rerun_failed=True)
        assert state.is_completed(), state
        assert last_statuses(out) == {"junk.txt": "ok"}
        assert forms_in(out) == {**expected, "junk.txt": next(iter(expected.values()))}
        output = log.read_text(errors="replace")
        assert "NoneType: None" not in output and "Traceback" not in output
        assert output.count("failed junk.txt: extract/") == 1


@pytest.mark.slow
def test_the_repository_prefect_yaml_runs_on_a_process_worker(flows: Any, prefect_server: PrefectServer,
                                                              shared: Path, tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    expected = seeds(shared, inbox)
    (inbox / "junk.txt").write_bytes(JUNK)
    env = prefect_server.env(PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="5")
    worker_log = tmp_path / "worker.log"
    worker = [sys.executable, "-m", "prefect", "worker", "start", "--pool", "jixiao", "--type", "process"]
    with process_group(worker, env, worker_log, cwd=tmp_path):
        wait_until("the worker creates its work pool", lambda: work_pool_named("jixiao"), 180, worker_log)
        # The repository's file as it is; only the paths are given, as ops would with --params.
        deploy = subprocess.run(
            [sys.executable, "-m", "prefect", "deploy", "--prefect-file", str(REPO / "prefect.yaml"), "--name",
             "nightly", "--params", json.dumps({"inputs": [str(inbox)], "out": str(out)})],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        deployed = deployment_named("jixiao-ingest/nightly")
        assert deployed.entrypoint == "jixiao.flows.ingest.ingest" and deployed.work_pool_name == "jixiao"
        assert deployed.parameters == {"inputs": [str(inbox)], "out": str(out), "workers": 2, "keep_removed": False}
        assert [(s.schedule.cron, s.schedule.timezone) for s in deployed.schedules] == [("0 2 * * *", "Asia/Shanghai")]

        state = run("jixiao-ingest/nightly")
        assert state.is_failed() and "(junk.txt)" in state.message
        assert forms_in(out) == expected

        shutil.copy(inbox / next(iter(expected)), inbox / "junk.txt")
        state = run("jixiao-ingest/nightly", rerun_failed=True, workers=1)  # one file: no worker processes
        assert state.is_completed(), state
        assert last_statuses(out) == {"junk.txt": "ok"}
        assert forms_in(out) == {**expected, "junk.txt": next(iter(expected.values()))}
        output = worker_log.read_text(errors="replace")
        assert "NoneType: None" not in output and "Traceback" not in output

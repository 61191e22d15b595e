"""The ingestion flow: discover → one task per batch of files → a final task for manifest, state and summary.

Every step is a function of jixiao.pipeline that `jixiao run` calls as well; this
module only decides where batches run (this process, worker processes, a Dask
cluster), logs per file, and shows the run in Prefect. Import it through
`jixiao.flows`, which configures Prefect's environment first.

No `from __future__ import annotations` here: Prefect validates a run's parameters against
the flow function's annotations, and where it runs a copy of the function (pickled by
value, as a served flow is) string annotations name types the copy no longer holds.
"""
import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.logging.handlers import PrefectConsoleHandler
from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, get_current_settings
from prefect.states import Failed, State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote
from rich.console import Console

from jixiao.extractors import ExtractOptions
from jixiao.extractors.errors import EXTRACT, INTERNAL
from jixiao.flows.server import use_temporary_server
from jixiao.pipeline.errors import OutputError
from jixiao.pipeline.finish import COMMIT_INTERVAL_S, RunCommit, RunSummary
from jixiao.pipeline.ingest import Job, Outcome, RetryPolicy, ingest_batch
from jixiao.pipeline.lock import OutLock
from jixiao.pipeline.parallel import BatchPool
from jixiao.pipeline.plan import Plan, make_batches, plan_rerun_failed, plan_run
from jixiao.pipeline.process import failure_line
from jixiao.pipeline.store import Store
from jixiao.pipeline.territory import check_inputs

Hooks = tuple[Callable[[int], None] | None, Callable[[Outcome], None] | None]
# Progress callbacks of the CLI that called the flow in this process; not flow
# parameters, because a deployment's parameters must be plain data.
_hooks: Hooks = (None, None)


class NoServer(Exception):
    """A schedule or a Dask cluster needs a Prefect server: a temporary local one fires no
    schedule and cannot be reached from Dask workers."""


DASK_NEEDS_SERVER = ("a Dask cluster needs a Prefect server that its workers reach (each would otherwise start "
                     "a temporary one of its own): start one (`prefect server start`) and set PREFECT_API_URL "
                     "for this run and the workers")
SCHEDULE_NEEDS_SERVER = ("a schedule needs a Prefect server: start one (`prefect server start`) and set "
                         "PREFECT_API_URL=http://127.0.0.1:4200/api, or use cron/systemd with `jixiao run`")


def require_server(why: str) -> None:
    if not PREFECT_API_URL.value():
        raise NoServer(why)


class FilesFailed(Exception):
    """How a run in which files failed ends: Failed, with this as its result. Every other file's rows
    are committed; the summary says which files failed and why."""

    def __init__(self, summary: RunSummary) -> None:
        shown = ", ".join(path for path, _ in summary.failures[:5])
        more = f" and {len(summary.failures) - 5} more" if len(summary.failures) > 5 else ""
        landed = summary.files - len(summary.failures)
        others = f"; the other {landed} are in {summary.out}" if landed else ""
        super().__init__(f"{len(summary.failures)} of {summary.files} files failed ({shown}{more}){others}; "
                         "rerun_failed=true (jixiao rerun-failed) reads the failed ones again")
        self.summary = summary

    def __reduce__(self) -> tuple[type["FilesFailed"], tuple[RunSummary]]:
        return FilesFailed, (self.summary,)


class _PlainFailures(logging.Filter):
    """Prefect's log lines about failed runs, without tracebacks that say nothing.

    A task that returns a Failed state (a batch with a bad file) is logged with exc_info=True while
    no exception is being handled: a stray `NoneType: None` line. A flow run that ends FilesFailed
    is logged by `python -m prefect.engine` (served and worker runs) as "Engine execution exited with
    unexpected exception" with Prefect's traceback, after its final state has said what failed.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info is not None and record.exc_info[0] is None:
            record.exc_info = None
        return record.exc_info is None or not isinstance(record.exc_info[1], FilesFailed)


for _name in ("prefect.task_runs", "prefect.flow_runs"):
    logging.getLogger(_name).addFilter(_PlainFailures())


# Results stay in memory: nothing is cached or persisted under PREFECT_HOME; the
# datasets under OUT are the results.
_TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}


@task(name="discover", **_TASK_OPTIONS)
def discover_files(inputs: list[str], out: str, rerun_failed: bool, force: bool, reread_older: str,
                   allow_empty_input: bool = False) -> Plan:
    """The files to read and those unchanged since OUT last saw them (which cost only their hash)."""
    if rerun_failed:
        plan = plan_rerun_failed(Path(out))
    else:
        plan = plan_run([Path(p) for p in inputs], Path(out), force=force, reread_older=reread_older,
                        allow_empty_input=allow_empty_input)
    get_run_logger().info("run %s: %d files, %d to read, %d settled without reading, %d no longer in the input",
                          plan.run_id, plan.files, len(plan.jobs), len(plan.settled), len(plan.removed))
    return plan


def _log_line(outcome: Outcome) -> str:
    tries = f" after {outcome.attempts} tries" if outcome.attempts > 1 else ""
    if outcome.status == "ok":
        return (f"ok {outcome.source_path}: {outcome.forms} forms, {outcome.indicators} indicators "
                f"({outcome.seconds:.2f} s{tries})")
    return f"{outcome.status} {outcome.source_path}: {outcome.error}{tries}"


class BatchOutcomes(list[Outcome]):
    """A batch's outcomes, shown in Prefect's state messages by counts rather than in full."""

    def __repr__(self) -> str:
        failed = sum(o.status == "failed" for o in self)
        return f"<{len(self)} files, {failed} failed>"


@task(name="ingest-batch", task_run_name="ingest {label}", **_TASK_OPTIONS)
def ingest_files(batch: list[Job], stage: str, options: ExtractOptions | None, policy: RetryPolicy,
                 pool: BatchPool | None, label: str) -> list[Outcome] | State:
    """Read, normalise and stage the parts of each file of the batch; a bad file fails this task, not the flow."""
    outcomes = BatchOutcomes(pool.run(batch) if pool is not None else ingest_batch(batch, stage, options, policy))
    logger = get_run_logger()
    for outcome in outcomes:
        (logger.error if outcome.status == "failed" else logger.info)(_log_line(outcome))
    failed = [o.source_path for o in outcomes if o.status == "failed"]
    if failed:
        # Failed, yet carrying every file's outcome: the flow still records the others.
        return Failed(message=f"{len(failed)} of {len(outcomes)} files failed: {', '.join(failed[:5])}",
                      data=outcomes)
    return outcomes


@task(name="finish", **_TASK_OPTIONS)
def finish(plan: Plan, commit: RunCommit, review: str | None = None, workers: int = 1) -> RunSummary:
    """The run's last commit: manifest rows, parts, OUT's state, removed files' rows dropped; sum up; and the
    review report of the files read, when asked for."""
    summary = commit.finish()
    logger = get_run_logger()
    for line in summary.lines():
        logger.info(line)
    index = _review(plan, summary, review, workers) if review else None
    if summary.failures:
        link = f" Review them: [{index}]({index.as_uri()})." if index else ""
        create_table_artifact(
            [{"source_path": path, "error": reason} for path, reason in summary.failures],
            key="jixiao-failed-files",
            description=f"Files that failed in run {summary.run_id}; `jixiao rerun-failed --out {plan.out}` "
            f"reads just these again.{link}")
    return summary


def _review(plan: Plan, summary: RunSummary, review: str, workers: int) -> Path | None:
    """The review of the run's files; a review that cannot be written is logged, and the run stands."""
    from jixiao.review import NotAReviewFolder, write_review

    try:
        written = write_review(plan.out, Path(review), only=set(summary.read), workers=workers)
    except (NotAReviewFolder, OSError) as exc:
        get_run_logger().error("the review could not be written: %s", exc)
        return None
    get_run_logger().info("review: %d files, %d pages: %s", written.files, written.pages, written.index.as_uri())
    return written.index.resolve()


@contextlib.contextmanager
def _batch_runner(workers: int, dask_address: str | None, stage: str, options: ExtractOptions | None,
                  policy: RetryPolicy) -> Iterator[tuple[TaskRunner[Any], BatchPool | None, int]]:
    """Where batch tasks run, and how many run at once."""
    if dask_address:
        require_server(DASK_NEEDS_SERVER)
        from prefect_dask import DaskTaskRunner

        with DaskTaskRunner(address=dask_address) as runner:
            yield runner, None, max(1, sum(runner.client.nthreads().values()))
        return
    # Tasks run in threads of this process, so the run talks to one Prefect server;
    # with workers > 1 each thread hands its batch to a pool of worker processes.
    threads: ThreadPoolTaskRunner[Any]
    with ThreadPoolTaskRunner(max_workers=workers) as threads:
        if workers == 1:
            yield threads, None, 1
        else:
            with BatchPool(workers, stage, options, policy) as pool:
                yield threads, pool, workers


def _outcomes(future: PrefectFuture[Any], batch: list[Job]) -> list[Outcome]:
    result = future.result(raise_on_failure=False)
    if isinstance(result, list):
        return result
    if isinstance(result, OutputError):
        raise result  # OUT cannot be written: the run stops, the last commit stays
    # The task itself crashed (e.g. a Dask worker lost for good): its files failed.
    reason = failure_line(EXTRACT, INTERNAL, f"its task crashed: {result}")
    return [Outcome(job.source_path, job.path, "failed", reason, None, None, 0.0) for job in batch]


@flow(name="jixiao-ingest", persist_result=False)
def ingest(inputs: list[str], out: str, rerun_failed: bool = False, keep_removed: bool = False,
           force: bool = False, reread_older: str = "all", workers: int = 1, dask_address: str | None = None,
           batch_size: int | None = None, options: ExtractOptions | None = None,
           commit_interval_s: float = COMMIT_INTERVAL_S, review: str | None = None,
           allow_empty_input: bool = False) -> RunSummary | State:
    """Read every new or changed file under `inputs` (or, with `rerun_failed`, only the files whose last
    status is failed) into the datasets under `out`; with `review`, write the review report of the files
    read into that folder.

    A run in which files failed ends Failed (what ops alert on) with FilesFailed, which carries the
    summary: every other file's rows are committed all the same."""
    on_start, on_file = _hooks
    policy = RetryPolicy()
    check_inputs([Path(p) for p in inputs], Path(out))
    with OutLock(Path(out)):
        store = Store(Path(out))
        prepared = store.prepare()
        plan = discover_files(inputs, out, rerun_failed, force, reread_older, allow_empty_input)
        plan.prepared = prepared
        if on_start:
            on_start(plan.files)
        if on_file:
            for outcome in plan.settled:
                on_file(outcome)
        stage = str(store.staging(plan.run_id))
        with RunCommit(plan, keep_removed=keep_removed, interval_s=commit_interval_s) as commit:
            with _batch_runner(workers, dask_address, stage, options, policy) as (runner, pool, parallel):
                batches = make_batches(plan.jobs, parallel, batch_size)
                futures = {
                    runner.submit(ingest_files, {"batch": batch, "stage": stage, "options": options,
                                                 "policy": policy, "pool": pool,
                                                 "label": _label(k, len(batches), batch)}): batch
                    for k, batch in enumerate(batches)
                }
                for future in as_completed(list(futures)):
                    done = _outcomes(future, futures[future])
                    commit.add(done)
                    if on_file:
                        for outcome in done:
                            on_file(outcome)
            # quote(): Prefect would otherwise walk every object of these large collections.
            # quote(): Prefect would otherwise walk every object of these large collections.
            summary: RunSummary = finish(quote(plan), quote(commit), review, workers)  # type: ignore[call-overload]
    if summary.failures:
        failed = FilesFailed(summary)
        return Failed(message=str(failed), data=failed)
    return summary


def _label(index: int, total: int, batch: list[Job]) -> str:
    more = f" +{len(batch) - 1}" if len(batch) > 1 else ""
    return f"{index + 1}/{total}: {batch[0].source_path[-60:]}{more}"


def run_flow(inputs: list[Path], out: Path, *, rerun_failed: bool = False, keep_removed: bool = False,
             force: bool = False, reread_older: str = "all", allow_empty_input: bool = False, workers: int = 1,
             dask_address: str | None = None, batch_size: int | None = None,
             options: ExtractOptions | None = None, commit_interval_s: float = COMMIT_INTERVAL_S,
             review: Path | None = None, on_start: Callable[[int], None] | None = None,
             on_file: Callable[[Outcome], None] | None = None) -> RunSummary:
    """Run the flow in this process, against PREFECT_API_URL or else a temporary server of this process.

    Raises ServerUnavailable when that server cannot start."""
    global _hooks
    if not PREFECT_API_URL.value():
        use_temporary_server(get_current_settings().home, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    _hooks = (on_start, on_file)
    try:
        state = ingest(inputs=[os.path.abspath(p) for p in inputs], out=os.path.abspath(out),
                       rerun_failed=rerun_failed, keep_removed=keep_removed, force=force,
                       reread_older=reread_older, allow_empty_input=allow_empty_input, workers=workers,
                       dask_address=dask_address, batch_size=batch_size, options=options,
                       commit_interval_s=commit_interval_s, review=os.path.abspath(review) if review else None,
                       return_state=True)
    finally:
        _hooks = (None, None)
    result = state.result(raise_on_failure=False)
    if isinstance(result, FilesFailed):
        return result.summary  # the CLI tells it by its exit code
    if isinstance(result, RunSummary):
        return result
    if isinstance(result, BaseException):
        raise result
    raise RuntimeError(f"the flow ended {state.name}: {state.message}")


def show_logs_on(console: Console, level: int) -> None:
    """Print Prefect's terminal log lines through `console` (so above a progress bar), from `level` up.

    Only the terminal changes: Prefect's server still receives every log line.
    """
    loggers = [logging.getLogger(), *(logger for logger in logging.Logger.manager.loggerDict.values()
                                      if isinstance(logger, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler):
                handler.console = console
                handler.setLevel(level)


def serve(inputs: list[Path], out: Path, *, cron: str, timezone: str | None = None, name: str = "nightly",
          keep_removed: bool = False, workers: int = 1, dask_address: str | None = None,
          review: Path | None = None) -> None:
    """Serve a scheduled deployment of the flow until stopped (Ctrl-C).

    Each run imports this module by name in a fresh `python -m prefect.engine`, as a worker does with
    prefect.yaml's entrypoint; `ingest.serve()` would instead run a pickled copy of the flow function."""
    require_server(SCHEDULE_NEEDS_SERVER)
    from prefect import serve as serve_deployments
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    deployment = ingest.to_deployment(
        name=name, schedules=[Cron(cron, timezone=timezone)], entrypoint_type=EntrypointType.MODULE_PATH,
        parameters={"inputs": [os.path.abspath(p) for p in inputs], "out": os.path.abspath(out),
                    "keep_removed": keep_removed, "workers": workers, "dask_address": dask_address,
                    "review": os.path.abspath(review) if review else None})
    assert isinstance(deployment, RunnerDeployment)  # called outside an event loop: not a coroutine
    serve_deployments(deployment)

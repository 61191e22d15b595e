"""`jixiao run` without any orchestrator: plan, ingest the batches here or in worker processes, commit.

The Prefect flow (jixiao/flows) runs the very same steps: `plan_run`/`plan_rerun_failed`,
`ingest_batch` per batch, `RunCommit`; only where batches execute differs.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from jixiao.extractors import ExtractOptions
from jixiao.pipeline.finish import COMMIT_INTERVAL_S, STATUSES, RunCommit, RunSummary
from jixiao.pipeline.ingest import Outcome, RetryPolicy, ingest_batch
from jixiao.pipeline.lock import OutLock
from jixiao.pipeline.parallel import BatchPool
from jixiao.pipeline.plan import Plan, make_batches, plan_rerun_failed, plan_run
from jixiao.pipeline.sandbox import prestart
from jixiao.pipeline.store import Store
from jixiao.pipeline.territory import check_inputs

__all__ = ["STATUSES", "RunSummary", "execute", "rerun_failed", "run"]


def execute(plan: Plan, *, options: ExtractOptions | None = None, workers: int = 1, batch_size: int | None = None,
            policy: RetryPolicy | None = None) -> Iterator[list[Outcome]]:
    """Each batch's outcomes as it finishes, in this process (workers=1) or in `workers` processes."""
    policy = policy or RetryPolicy()
    batches = make_batches(plan.jobs, workers, batch_size)
    stage = str(Store(plan.out).staging(plan.run_id))
    if workers <= 1:
        for batch in batches:
            yield ingest_batch(batch, stage, options, policy)
        return
    with BatchPool(workers, stage, options, policy) as pool:
        threads = ThreadPoolExecutor(workers)
        try:
            futures = [threads.submit(pool.run, batch) for batch in batches]
            for future in as_completed(futures):
                yield future.result()
        except BaseException:
            pool.stop()  # the threads waiting on its workers then end at once
            raise
        finally:
            threads.shutdown(wait=True, cancel_futures=True)


def _run(plan_of: Callable[[], Plan], out: Path, *, options: ExtractOptions | None, workers: int,
         batch_size: int | None, keep_removed: bool, policy: RetryPolicy | None, commit_interval_s: float,
         on_start: Callable[[int], None] | None, on_file: Callable[[Outcome], None] | None) -> RunSummary:
    with OutLock(out):
        if workers <= 1:
            prestart(options or ExtractOptions.from_env())
        prepared = Store(out).prepare()
        plan = plan_of()
        plan.prepared = prepared
        if on_start:
            on_start(plan.files)
        if on_file:
            for outcome in plan.settled:
                on_file(outcome)
        with RunCommit(plan, keep_removed=keep_removed, interval_s=commit_interval_s) as commit:
            for batch in execute(plan, options=options, workers=workers, batch_size=batch_size, policy=policy):
                commit.add(batch)
                if on_file:
                    for outcome in batch:
                        on_file(outcome)
            return commit.finish()


def run(inputs: list[Path], out: Path, *, options: ExtractOptions | None = None, workers: int = 1,
        batch_size: int | None = None, keep_removed: bool = False, force: bool = False, reread_older: str = "all",
        allow_empty_input: bool = False, policy: RetryPolicy | None = None,
        commit_interval_s: float = COMMIT_INTERVAL_S, on_start: Callable[[int], None] | None = None,
        on_file: Callable[[Outcome], None] | None = None) -> RunSummary:
    """Read every file under the inputs that OUT does not already hold as it is now (nor from an older
    reading, with reread_older "all")."""
    check_inputs(inputs, out)  # before OUT is touched at all
    return _run(lambda: plan_run(inputs, out, force=force, reread_older=reread_older,
                                 allow_empty_input=allow_empty_input),
                out, options=options, workers=workers, batch_size=batch_size, keep_removed=keep_removed, policy=policy,
                commit_interval_s=commit_interval_s, on_start=on_start, on_file=on_file)


def rerun_failed(out: Path, *, options: ExtractOptions | None = None, workers: int = 1,
                 batch_size: int | None = None, policy: RetryPolicy | None = None,
                 commit_interval_s: float = COMMIT_INTERVAL_S, on_start: Callable[[int], None] | None = None,
                 on_file: Callable[[Outcome], None] | None = None) -> RunSummary:
    """Read again only the files whose last status is `failed`."""
    return _run(lambda: plan_rerun_failed(out), out, options=options, workers=workers, batch_size=batch_size,
                keep_removed=True, policy=policy, commit_interval_s=commit_interval_s, on_start=on_start,
                on_file=on_file)

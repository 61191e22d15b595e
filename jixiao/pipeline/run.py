"""`jixiao run` without any orchestrator: plan, ingest the batches here or in worker processes, finish.

The Prefect flow (jixiao/flows) runs the very same steps: `plan_run`/`plan_rerun_failed`,
`ingest_batch` per batch, `finish_run`; only where batches execute differs.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from jixiao.extractors import ExtractOptions
from jixiao.pipeline.finish import STATUSES, RunSummary, finish_run
from jixiao.pipeline.ingest import Outcome, RetryPolicy, ingest_batch
from jixiao.pipeline.lock import OutLock
from jixiao.pipeline.parallel import BatchPool
from jixiao.pipeline.plan import Plan, make_batches, plan_rerun_failed, plan_run

__all__ = ["STATUSES", "RunSummary", "execute", "rerun_failed", "run"]


def execute(plan: Plan, *, options: ExtractOptions | None = None, workers: int = 1, batch_size: int | None = None,
            policy: RetryPolicy | None = None) -> Iterator[list[Outcome]]:
    """Each batch's outcomes as it finishes, in this process (workers=1) or in `workers` processes."""
    policy = policy or RetryPolicy()
    batches = make_batches(plan.jobs, workers, batch_size)
    out = str(plan.out)
    if workers <= 1:
        for batch in batches:
            yield ingest_batch(batch, out, options, policy)
        return
    with BatchPool(workers, out, options, policy) as pool, ThreadPoolExecutor(workers) as threads:
        futures = [threads.submit(pool.run, batch) for batch in batches]
        for future in as_completed(futures):
            yield future.result()


def _run(plan_of: Callable[[], Plan], out: Path, *, options: ExtractOptions | None, workers: int,
         batch_size: int | None, keep_removed: bool, policy: RetryPolicy | None,
         on_start: Callable[[int], None] | None, on_file: Callable[[Outcome], None] | None) -> RunSummary:
    with OutLock(out):
        plan = plan_of()
        if on_start:
            on_start(plan.files)
        if on_file:
            for outcome in plan.settled:
                on_file(outcome)
        outcomes: list[Outcome] = []
        for batch in execute(plan, options=options, workers=workers, batch_size=batch_size, policy=policy):
            outcomes += batch
            if on_file:
                for outcome in batch:
                    on_file(outcome)
        return finish_run(plan, outcomes, keep_removed=keep_removed)


def run(inputs: list[Path], out: Path, *, options: ExtractOptions | None = None, workers: int = 1,
        batch_size: int | None = None, keep_removed: bool = False, force: bool = False,
        policy: RetryPolicy | None = None, on_start: Callable[[int], None] | None = None,
        on_file: Callable[[Outcome], None] | None = None) -> RunSummary:
    """Read every file under the inputs that OUT does not already hold as it is now."""
    return _run(lambda: plan_run(inputs, out, force=force), out, options=options, workers=workers,
                batch_size=batch_size, keep_removed=keep_removed, policy=policy, on_start=on_start, on_file=on_file)


def rerun_failed(out: Path, *, options: ExtractOptions | None = None, workers: int = 1,
                 batch_size: int | None = None, policy: RetryPolicy | None = None,
                 on_start: Callable[[int], None] | None = None,
                 on_file: Callable[[Outcome], None] | None = None) -> RunSummary:
    """Read again only the files whose last status is `failed`."""
    return _run(lambda: plan_rerun_failed(out), out, options=options, workers=workers, batch_size=batch_size,
                keep_removed=True, policy=policy, on_start=on_start, on_file=on_file)

"""Batches in worker processes on this machine (`--workers N`), surviving a worker that dies.

A worker killed mid-file (out of memory on a huge scan, an OCR engine crashing
the interpreter) breaks the whole pool: every batch in flight is then retried
file by file in a fresh pool, so the file that kills its worker every time fails
alone with that reason, and the others land.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Self

from jixiao.extractors import ExtractOptions
from jixiao.extractors.errors import EXTRACT, INTERNAL
from jixiao.pipeline.ingest import Job, Outcome, RetryPolicy, ingest_batch
from jixiao.pipeline.process import failure_line
from jixiao.pipeline.sandbox import die_with_parent

WORKER_DIED = failure_line(EXTRACT, INTERNAL, "the worker process reading it died (killed, or out of memory)")

class PoolStopped(Exception):
    """The pool was stopped (the run is interrupted): no more batches."""


# What a worker does with a batch: `ingest_batch`, or any module-level function of its signature.
BatchWork = Callable[[list[Job], str, ExtractOptions | None, RetryPolicy], list[Outcome]]


class BatchPool:
    """`run(batch)` may be called from several threads at once, one batch per worker."""

    def __init__(self, workers: int, stage: str, options: ExtractOptions | None, policy: RetryPolicy,
                 work: BatchWork = ingest_batch) -> None:
        self.workers, self.stage, self.options, self.policy, self.work = workers, stage, options, policy, work
        # spawn: the parent may run threads (a progress bar, Prefect's clients) that fork would copy
        # mid-lock; and a spawned worker's parent is this process, so it can die with it.
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._generation = 0
        self._stopped = False

    def _current(self) -> tuple[ProcessPoolExecutor, int]:
        with self._lock:
            if self._stopped:
                raise PoolStopped
            if self._executor is None:
                self._executor = ProcessPoolExecutor(self.workers, mp_context=self._context,
                                                     initializer=die_with_parent, initargs=(os.getpid(),))
            return self._executor, self._generation

    def _discard(self, generation: int) -> None:
        with self._lock:
            if self._executor is not None and self._generation == generation:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
                self._generation += 1

    def _try(self, batch: list[Job]) -> list[Outcome] | None:
        executor, generation = self._current()
        try:
            return executor.submit(self.work, batch, self.stage, self.options, self.policy).result()
        except BrokenProcessPool:
            self._discard(generation)
            return None

    def run(self, batch: list[Job]) -> list[Outcome]:
        outcomes = self._try(batch)
        if outcomes is not None:
            return outcomes
        outcomes = []
        for job in batch:
            for _ in range(max(1, self.policy.attempts)):
                single = self._try([job])
                if single is not None:
                    outcomes += single
                    break
            else:
                outcomes.append(Outcome(job.source_path, job.path, "failed", WORKER_DIED, None, None, 0.0))
        return outcomes

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    def stop(self) -> None:
        """The run is interrupted: kill the workers now, start none again, let waiting threads go."""
        with self._lock:
            self._stopped = True
            executor, self._executor = self._executor, None
        if executor is not None:
            # ProcessPoolExecutor has no public way to kill its workers before Python 3.14.
            for process in list(executor._processes.values()):
                process.kill()
            executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if exc_type is not None:
            self.stop()
        else:
            self.close()

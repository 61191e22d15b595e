"""A batch function for worker-process tests: the worker dies (as if killed) on a file named die*."""
from __future__ import annotations

import os

from jixiao.extractors import ExtractOptions
from jixiao.pipeline.ingest import Job, Outcome, RetryPolicy, ingest_batch


def ingest_or_die(jobs: list[Job], out: str, options: ExtractOptions | None, policy: RetryPolicy) -> list[Outcome]:
    if any(job.source_path.startswith("die") for job in jobs):
        os._exit(137)
    return ingest_batch(jobs, out, options, policy)

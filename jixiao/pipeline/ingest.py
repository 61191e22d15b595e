"""The unit of work of every run, plain or under Prefect: a batch of files, each read and written.

`ingest_batch` runs wherever the run sends it (this process, a process-pool
worker, a Dask worker): it processes each file, tries again a file that was
still changing or failed in a way that may pass, writes its parts, and returns
small `Outcome`s; the forms themselves never travel back.
"""
from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.extractors import ExtractOptions
from jixiao.pipeline.process import FileResult, one_line, process_file
from jixiao.pipeline.writer import DatasetWriter

Look = tuple[int, int] | None  # (size, mtime_ns) of a file, None when it is gone


def look(path: str) -> Look:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


@dataclass(frozen=True, slots=True)
class Job:
    """A file the run will process: where it is, its key in OUT, and how it looked when planned."""

    path: str
    source_path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Tries for a file that was still being written or failed in a way that may pass."""

    attempts: int = 3
    first_delay_s: float = 2.0
    backoff: float = 3.0

    def delay(self, attempt: int) -> float:
        return self.first_delay_s * self.backoff ** (attempt - 1)


@dataclass(slots=True)
class Outcome:
    """What became of one file in a run: everything the manifest, state and summary need."""

    source_path: str
    path: str
    status: str
    error: str | None
    sha256: str | None
    source_format: str | None
    seconds: float
    forms: int = 0
    indicators: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    unmapped_headers: list[str] = field(default_factory=list)
    traceback: str | None = None
    parts_written: bool = False  # the parts now hold this content (sha256)
    attempts: int = 1


def _outcome(job: Job, result: FileResult, attempts: int) -> Outcome:
    flags: Counter[str] = Counter()
    for form in result.forms:
        flags.update(form.project.issues)
        for indicator in form.indicators:
            flags.update(indicator.issues)
    return Outcome(job.source_path, job.path, result.status, result.error, result.source_sha256,
                   result.source_format, result.seconds, len(result.forms),
                   sum(len(form.indicators) for form in result.forms), flags, list(result.unmapped_headers),
                   result.traceback, attempts=attempts)


def ingest_file(job: Job, writer: DatasetWriter, options: ExtractOptions | None, policy: RetryPolicy) -> Outcome:
    reference: Look = (job.size, job.mtime_ns)
    for attempt in range(1, policy.attempts + 1):
        before = look(job.path)
        result = process_file(Path(job.path), job.source_path, options)
        after = look(job.path)
        # A file still being copied changes size or time between two looks: what
        # was read may be a part of it, so it is read again once it has settled.
        changing = before is not None and (before != after or before != reference)
        if not (changing or result.retryable):
            break
        if attempt == policy.attempts:
            if changing:
                result = FileResult(job.source_path, result.source_sha256, None, "failed",
                                    f"still being written: it changed between looks {attempt} times", result.seconds)
            break
        reference = after
        time.sleep(policy.delay(attempt))
    outcome = _outcome(job, result, attempt)
    # A failed file keeps the rows an earlier run wrote for it (see finish_run).
    if result.status in ("ok", "no_forms"):
        try:
            writer.write_forms(job.source_path, result.forms)
            outcome.parts_written = True
        except OSError as exc:
            outcome.status, outcome.error = "failed", one_line(f"cannot write parts: {exc}")
            outcome.forms = outcome.indicators = 0
            outcome.flags, outcome.unmapped_headers = Counter(), []
    return outcome


def ingest_batch(jobs: list[Job], out: str, options: ExtractOptions | None = None,
                 policy: RetryPolicy | None = None) -> list[Outcome]:
    writer = DatasetWriter(Path(out))
    return [ingest_file(job, writer, options, policy or RetryPolicy()) for job in jobs]

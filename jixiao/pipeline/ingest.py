"""The unit of work of every run, plain or under Prefect: a batch of files, each read and written.

`ingest_batch` runs wherever the run sends it (this process, a process-pool
worker, a Dask worker): it reads each file in a child process within the
file limits (sandbox.py), writes its parts into the run's staging folder as the
child sends its forms (a few hundred at a time, so a file of 100,000 forms is
never held), tries again a file that was still changing or failed in a way that
may pass, and returns small `Outcome`s; the forms themselves never travel back.
A file that cannot be written because OUT cannot be (a full disk) stops the run.
"""
from __future__ import annotations

import datetime as dt
import os
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from jixiao.extractors import ExtractOptions
from jixiao.extractors.errors import INTERNAL, SNIFF, TRANSIENT, WRITE
from jixiao.pipeline.errors import output_error
from jixiao.pipeline.process import FileResult, failure_line
from jixiao.pipeline.sandbox import read_isolated
from jixiao.pipeline.writer import PartWriter, StagingWriter
from jixiao.version import READER_VERSION

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
    form_keys: list[str] = field(default_factory=list)  # of its forms, to count distinct forms
    traceback: str | None = None
    parts_written: bool = False  # the parts now hold this content (sha256)
    attempts: int = 1
    finished_at: dt.datetime | None = None  # None for files settled without reading: the commit's time
    reader_version: str | None = None  # the reading that read it; None for files not read in this run


def _outcome(job: Job, result: FileResult, attempts: int) -> Outcome:
    return Outcome(job.source_path, job.path, result.status, result.error, result.source_sha256,
                   result.source_format, result.seconds, result.form_count, result.indicator_count,
                   Counter(result.flags), list(result.unmapped_headers), sorted(result.form_keys), result.traceback,
                   attempts=attempts, reader_version=result.reader_version)


def _write_failed(job: Job, result: FileResult, exc: Exception) -> FileResult:
    """Rows the schema refuses are this file's failure, not the run's."""
    return FileResult(job.source_path, result.source_sha256, result.source_format, "failed",
                      failure_line(WRITE, INTERNAL, f"cannot write its rows: {type(exc).__name__}: {exc}"),
                      result.seconds, traceback=traceback.format_exc(), reader_version=result.reader_version)


def _read(job: Job, writer: StagingWriter, options: ExtractOptions) -> tuple[FileResult, PartWriter | None]:
    """One try: the file read, its parts written as its forms come (None when writing them failed)."""
    try:
        parts = writer.open(job.source_path)
    except OSError as exc:
        raise output_error(exc, f"writing the parts of {job.source_path}") from exc
    try:
        return read_isolated(Path(job.path), job.source_path, options, parts.add), parts
    except OSError as exc:
        parts.discard()
        raise output_error(exc, f"writing the parts of {job.source_path}") from exc
    except Exception as exc:  # noqa: BLE001 - rows the schema refuses are this file's failure, not the run's
        parts.discard()
        read = FileResult(job.source_path, None, None, "failed", None, 0.0, reader_version=READER_VERSION)
        return _write_failed(job, read, exc), None


def ingest_file(job: Job, writer: StagingWriter, options: ExtractOptions, policy: RetryPolicy) -> Outcome:
    return _read_settled(job, writer, options, policy)()


def _read_settled(job: Job, writer: StagingWriter, options: ExtractOptions,
                  policy: RetryPolicy) -> Callable[[], Outcome]:
    """The file read (again, while it changes or fails in a way that may pass); what it returns ends
    the file's parts and gives its outcome, so that can be done while the next file is read."""
    reference: Look = (job.size, job.mtime_ns)
    for attempt in range(1, policy.attempts + 1):
        before = look(job.path)
        result, parts = _read(job, writer, options)
        after = look(job.path)
        # A file still being copied changes size or time between two looks: what
        # was read may be a part of it, so it is read again once it has settled.
        changing = before is not None and (before != after or before != reference)
        if not (changing or result.retryable) or parts is None:
            break
        parts.discard()
        parts = None
        if attempt == policy.attempts:
            if changing:
                result = FileResult(job.source_path, result.source_sha256, None, "failed",
                                    failure_line(SNIFF, TRANSIENT,
                                                 f"still being written: it changed between looks {attempt} times"),
                                    result.seconds)
            break
        reference = after
        time.sleep(policy.delay(attempt))
    return partial(_finish, job, writer, result, parts, attempt)


def _finish(job: Job, writer: StagingWriter, result: FileResult, parts: PartWriter | None, attempt: int) -> Outcome:
    # A failed file keeps the rows an earlier run wrote for it (see RunCommit).
    if parts is not None and result.status in ("ok", "no_forms"):
        try:
            writer.commit(parts.close())
        except OSError as exc:
            parts.discard()
            raise output_error(exc, f"writing the parts of {job.source_path}") from exc
        except Exception as exc:  # noqa: BLE001 - rows the schema refuses are this file's failure, not the run's
            parts.discard()
            result, parts = _write_failed(job, result, exc), None
    elif parts is not None:
        parts.discard()
    outcome = _outcome(job, result, attempt)
    outcome.finished_at = dt.datetime.now(dt.UTC)
    outcome.parts_written = parts is not None and result.status in ("ok", "no_forms")
    return outcome


def ingest_batch(jobs: list[Job], stage: str, options: ExtractOptions | None = None,
                 policy: RetryPolicy | None = None) -> list[Outcome]:
    """Read and stage each file of the batch; `stage` is the run's staging folder under OUT."""
    writer = StagingWriter(Path(stage))
    options = options or ExtractOptions.from_env()
    policy = policy or RetryPolicy()
    outcomes: list[Outcome] = []
    # A file's parts are ended (the last rows encoded, compressed, written) in a thread while the
    # next file is read: the reading process and this one then work at the same time.
    with ThreadPoolExecutor(1, thread_name_prefix="jixiao-parts") as ending:
        ended: Future[Outcome] | None = None
        for job in jobs:
            finish = _read_settled(job, writer, options, policy)
            if ended is not None:
                outcomes.append(ended.result())
            ended = ending.submit(finish)
        if ended is not None:
            outcomes.append(ended.result())
    return outcomes

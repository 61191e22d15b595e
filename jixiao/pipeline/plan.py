"""What a run will do, decided before any file is read: discovery and the incremental decision.

A file whose sha256 is the one its parts were written from is `skipped_unchanged`
and costs only its hash; every other file becomes a `Job`. Files that OUT knows
but the input no longer holds are listed as removed. Jobs are grouped into
batches, so that per-task overhead (a Prefect task, a pool round trip) is paid
per batch, not per small file.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.extractors.errors import BAD_INPUT, SNIFF
from jixiao.pipeline.discover import Source, discover, look_again
from jixiao.pipeline.ingest import Job, Outcome
from jixiao.pipeline.process import failure_line
from jixiao.pipeline.state import SourceState, load_state

# A batch closes at this many files or bytes; a file bigger than that is a batch of its own.
MAX_BATCH_FILES = 64
MAX_BATCH_BYTES = 8 << 20
# Batches per worker, so that a slow batch does not leave the other workers idle at the end.
BATCHES_PER_WORKER = 4
_READ_WHOLE_BYTES = 4 << 20


@dataclass(slots=True)
class Plan:
    run_id: str
    out: Path
    rerun_failed: bool
    jobs: list[Job] = field(default_factory=list)
    # Rows settled without reading: skipped_unchanged files, and failures found while planning.
    settled: list[Outcome] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # source_paths OUT holds that the input no longer does
    position: dict[str, int] = field(default_factory=dict)  # manifest order, by absolute path
    conflicts: set[str] = field(default_factory=set)  # files whose relative path another input took first
    previous: dict[str, SourceState] = field(default_factory=dict)

    @property
    def files(self) -> int:
        return len(self.jobs) + len(self.settled)


def new_run_id() -> str:
    """Sortable by time, unique across machines."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def _hash(path: str, size: int) -> tuple[str | None, float]:
    started = time.perf_counter()
    try:
        with open(path, "rb") as handle:
            # Small files (most of them) in one read; large ones in chunks, not all in memory.
            if size <= _READ_WHOLE_BYTES:
                sha = hashlib.sha256(handle.read()).hexdigest()
            else:
                sha = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        sha = None  # processing will fail it with the reason
    return sha, time.perf_counter() - started


def _decide(plan: Plan, source: Source, force: bool) -> None:
    """Skip the file when OUT's parts already hold this content and it did not fail since, else queue it."""
    plan.position[source.path] = len(plan.position)
    if source.refused is not None:
        plan.settled.append(Outcome(source.source_path, source.path, "failed", source.refused, None, None, 0.0))
        return
    sha, seconds = _hash(source.path, source.size)
    before = plan.previous.get(source.source_path)
    # A file that failed is read again even when its content is that of its parts (put back after a
    # bad copy, or failed on a limit since raised).
    if not force and sha is not None and before is not None and before.parts_sha256 == sha \
            and before.status != "failed":
        plan.settled.append(Outcome(source.source_path, source.path, "skipped_unchanged", None, sha,
                                    before.source_format, seconds, forms=before.forms, parts_written=True))
    else:
        plan.jobs.append(Job(source.path, source.source_path, source.size, source.mtime_ns))


def _under(path: str, roots: list[str], files: set[str]) -> bool:
    return path in files or any(path.startswith(root) for root in roots)


def plan_run(inputs: list[Path], out: Path, *, force: bool = False) -> Plan:
    """A full run: every file under the inputs."""
    plan = Plan(new_run_id(), out, rerun_failed=False, previous=load_state(out))
    taken: set[str] = set()
    for source in discover(inputs):
        if source.source_path in taken:
            plan.position[source.path] = len(plan.position)
            plan.conflicts.add(source.path)
            plan.settled.append(Outcome(source.source_path, source.path, "failed",
                                        failure_line(SNIFF, BAD_INPUT,
                                                     f"another input holds a file at the same relative path; "
                                                     f"{source.path} is not read"),
                                        None, None, 0.0))
            continue
        taken.add(source.source_path)
        _decide(plan, source, force)
    roots = [os.path.join(os.path.abspath(p), "") for p in inputs if p.is_dir()]
    files = {os.path.abspath(p) for p in inputs if not p.is_dir()}
    plan.removed = sorted(key for key, state in plan.previous.items()
                          if key not in taken and _under(state.path, roots, files))
    return plan


def plan_rerun_failed(out: Path) -> Plan:
    """Only the files whose last status is `failed`, found where they were last seen."""
    plan = Plan(new_run_id(), out, rerun_failed=True, previous=load_state(out))
    for key, state in plan.previous.items():
        if state.status != "failed":
            continue
        source = look_again(state.path, key)
        if source is not None:
            _decide(plan, source, force=False)
        else:
            plan.position[state.path] = len(plan.position)
            plan.settled.append(Outcome(key, state.path, "failed",
                                        failure_line(SNIFF, BAD_INPUT, f"no longer at {state.path}"), None, None, 0.0))
    return plan


def make_batches(jobs: list[Job], workers: int = 1, batch_size: int | None = None) -> list[list[Job]]:
    if batch_size is None:
        batch_size = max(1, min(MAX_BATCH_FILES, math.ceil(len(jobs) / (BATCHES_PER_WORKER * max(1, workers)))))
    batches: list[list[Job]] = []
    current: list[Job] = []
    size = 0
    for job in jobs:
        if current and (len(current) >= batch_size or size + job.size > MAX_BATCH_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(job)
        size += job.size
    if current:
        batches.append(current)
    return batches

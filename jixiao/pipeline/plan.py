"""What a run will do, decided before any file is read: discovery and the incremental decision.

A file whose sha256 is the one its parts were written from, by this release's
reading, is `skipped_unchanged` and costs only its hash; every other file becomes
a `Job`. Files that OUT knows but the input no longer holds are listed as removed;
files under a folder that cannot be listed are not: they keep their rows. Jobs are grouped into
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

from jixiao.extractors.errors import BAD_INPUT, SNIFF, TRANSIENT
from jixiao.pipeline.discover import ROOT_KEY, Source, Unlisted, discover, look_again
from jixiao.pipeline.ingest import Job, Outcome
from jixiao.pipeline.names import shown
from jixiao.pipeline.process import failure_line
from jixiao.pipeline.state import SourceState, load_state
from jixiao.pipeline.store import Prepared, Store
from jixiao.version import is_older

# A batch closes at this many files or bytes; a file bigger than that is a batch of its own.
MAX_BATCH_FILES = 64
MAX_BATCH_BYTES = 8 << 20
# Batches per worker, so that a slow batch does not leave the other workers idle at the end.
BATCHES_PER_WORKER = 4
_READ_WHOLE_BYTES = 4 << 20


REREAD_OLDER = ("all", "none")


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
    # Files under a folder that cannot be listed: a failed manifest row each, their state and rows untouched.
    unseen: set[str] = field(default_factory=set)
    unlisted: dict[str, int] = field(default_factory=dict)  # folder key → files under it that keep their rows
    cleared: list[str] = field(default_factory=list)  # folder keys listed again: their entries go
    # source_path → what is wrong with its parts: read again, and the damaged parts dropped in any case.
    damaged: dict[str, str] = field(default_factory=dict)
    dropped: list[tuple[str, str, str]] = field(default_factory=list)  # other damaged files: (dataset, name, why)
    rereads: set[str] = field(default_factory=set)  # unchanged files read again for an older reading
    prepared: Prepared = field(default_factory=Prepared)  # what preparing OUT did: a recovery, a migration

    @property
    def files(self) -> int:
        return len(self.jobs) + len(self.settled)


def new_run_id() -> str:
    """Sortable by time, unique across machines."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def _hash(path: str, size: int) -> tuple[str | None, float, OSError | None]:
    started = time.perf_counter()
    try:
        with open(path, "rb") as handle:
            # Small files (most of them) in one read; large ones in chunks, not all in memory.
            if size <= _READ_WHOLE_BYTES:
                sha = hashlib.sha256(handle.read()).hexdigest()
            else:
                sha = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        return None, time.perf_counter() - started, exc  # processing fails it with the reason
    return sha, time.perf_counter() - started, None


def _settle_failed(plan: Plan, key: str, path: str, error: str, before: SourceState | None = None) -> None:
    plan.position.setdefault(path, len(plan.position))
    plan.settled.append(Outcome(key, path, "failed", error, None, before.source_format if before else None, 0.0))


def _decide(plan: Plan, source: Source, force: bool, reread_older: str, rereads: list[Job]) -> None:
    """Skip the file when OUT's parts already hold this content, read by this release's reading, and it
    did not fail since; else queue it."""
    plan.position[source.path] = len(plan.position)
    if source.refused is not None:
        plan.settled.append(Outcome(source.source_path, source.path, "failed", source.refused, None, None, 0.0))
        return
    sha, seconds, error = _hash(source.path, source.size)
    before = plan.previous.get(source.source_path)
    if isinstance(error, PermissionError):
        # Not worth the retries of a transient failure within this run; its rows stay.
        plan.settled.append(Outcome(source.source_path, source.path, "failed", failure_line(
            SNIFF, TRANSIENT, f"cannot open the file: {error.strerror}; its rows are kept"), None,
            before.source_format if before else None, seconds))
        return
    job = Job(source.path, source.source_path, source.size, source.mtime_ns)
    # A file that failed is read again even when its content is that of its parts (put back after a
    # bad copy, or failed on a limit since raised); so is one whose parts were damaged.
    if force or sha is None or before is None or before.parts_sha256 != sha or before.status == "failed" \
            or source.source_path in plan.damaged:
        plan.jobs.append(job)
    elif reread_older == "all" and is_older(before.reader_version):
        rereads.append(job)
    else:
        plan.settled.append(Outcome(source.source_path, source.path, "skipped_unchanged", None, sha,
                                    before.source_format, seconds, forms=before.forms, parts_written=True))


def _under(path: str, roots: list[str], files: set[str]) -> bool:
    return path in files or any(path.startswith(root) for root in roots)


def _new_plan(out: Path, rerun_failed: bool) -> Plan:
    store = Store(out)
    plan = Plan(new_run_id(), out, rerun_failed=rerun_failed, previous=load_state(out))
    plan.damaged = store.damaged_parts(plan.previous)
    plan.dropped = store.damaged_files()
    return plan


def plan_run(inputs: list[Path], out: Path, *, force: bool = False, reread_older: str = "all",
             allow_empty_input: bool = False) -> Plan:
    """A full run: every file under the inputs. Unchanged files whose rows an older reading produced
    are read again (reread_older "all"), after the new and changed ones, the most recently modified first.
    An input folder with nothing in it at all keeps the rows of the files read from it, as one that
    cannot be listed does (an unmounted share shows an empty mount point), unless `allow_empty_input`."""
    if reread_older not in REREAD_OLDER:
        raise ValueError(f"reread_older must be one of {', '.join(REREAD_OLDER)}")
    plan = _new_plan(out, rerun_failed=False)
    found = discover(inputs, out)
    taken: set[str] = set()
    rereads: list[Job] = []
    for source in found.sources:
        if source.source_path in taken:
            plan.position[source.path] = len(plan.position)
            plan.conflicts.add(source.path)
            plan.settled.append(Outcome(source.source_path, source.path, "failed",
                                        failure_line(SNIFF, BAD_INPUT,
                                                     f"another input holds a file at the same relative path; "
                                                     f"{shown(source.path)} is not read"),
                                        None, None, 0.0))
            continue
        taken.add(source.source_path)
        _decide(plan, source, force, reread_older, rereads)
    for folder in found.unlisted:
        _keep_unlisted(plan, folder, taken)
    if not allow_empty_input:
        for folder in _empty_folders(inputs):
            _keep_unlisted(plan, folder, taken, "the input folder is empty")
    rereads.sort(key=lambda job: job.mtime_ns, reverse=True)
    plan.jobs += rereads
    plan.rereads = {job.source_path for job in rereads}
    roots = [os.path.join(os.path.abspath(p), "") for p in inputs if p.is_dir()]
    files = {os.path.abspath(p) for p in inputs if not p.is_dir()}
    for key, state in plan.previous.items():
        if key in taken:
            continue
        if state.is_folder and _under(os.path.join(state.path, ""), roots, files):
            plan.cleared.append(key)
        elif not state.is_folder and _under(state.path, roots, files):
            plan.removed.append(key)
    plan.removed.sort()
    return plan


def _keep_unlisted(plan: Plan, folder: Unlisted, taken: set[str], empty: str | None = None) -> None:
    """A folder that cannot be listed: its row, and one for each file OUT holds under it, rows kept.
    `empty`: why a folder that was listed, empty, is taken as unlisted; nothing is said of it when OUT
    holds no file under it."""
    inside = os.path.join(folder.path, "")
    kept = sorted((key, state) for key, state in plan.previous.items()
                  if key not in taken and not state.is_folder and (state.path == folder.path
                                                                   or state.path.startswith(inside)))
    if empty is not None and not kept:
        return
    _settle_failed(plan, folder.source_path, folder.path, folder.reason)
    taken.add(folder.source_path)
    plan.unlisted[folder.source_path] = len(kept)
    why = empty or f"{folder.source_path} cannot be listed"
    for key, state in kept:
        _settle_failed(plan, key, state.path, failure_line(SNIFF, TRANSIENT, f"not looked at: {why}; its rows are kept"),
                       state)
        plan.unseen.add(key)
        taken.add(key)


def _empty_folders(inputs: list[Path]) -> list[Unlisted]:
    """The input folders with no entry at all, hidden ones included."""
    empty = []
    for given in inputs:
        path = os.path.abspath(given)
        try:
            with os.scandir(path) as entries:
                if next(entries, None) is not None:
                    continue
        except OSError:
            continue  # not a folder, or one discovery reported as unlisted
        empty.append(Unlisted(path, ROOT_KEY, failure_line(
            SNIFF, TRANSIENT, f"the input folder {shown(path)} is empty (an unmounted share?); the rows of the "
            "files read from it are kept until it holds files again, or a run with --allow-empty-input")))
    return empty


def plan_rerun_failed(out: Path) -> Plan:
    """Only the files whose last status is `failed`, found where they were last seen."""
    plan = _new_plan(out, rerun_failed=True)
    for key, state in plan.previous.items():
        if state.status != "failed":
            continue
        if state.is_folder:
            try:
                os.scandir(state.path).close()
            except OSError:
                _settle_failed(plan, key, state.path, state.error or "")
                inside = os.path.join(state.path, "")
                plan.unlisted[key] = sum(not s.is_folder and s.path.startswith(inside)
                                         for s in plan.previous.values())
            else:
                plan.cleared.append(key)  # listed again: the next run reads what is in it
            continue
        source = look_again(state.path, key)
        if source is not None:
            _decide(plan, source, force=False, reread_older="none", rereads=[])
        else:
            _settle_failed(plan, key, state.path, failure_line(SNIFF, BAD_INPUT, f"no longer at {shown(state.path)}"))
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

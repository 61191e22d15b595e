"""Commits of every run, plain or under Prefect: manifest rows, parts, state, removed files, summary."""
from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from jixiao.pipeline import schemas
from jixiao.pipeline.errors import output_error
from jixiao.pipeline.ingest import Outcome
from jixiao.pipeline.names import shown
from jixiao.pipeline.plan import Plan
from jixiao.pipeline.state import SourceState, state_table
from jixiao.pipeline.store import Store
from jixiao.pipeline.writer import part_name, records_table
from jixiao.records import FileRecord

STATUSES = ("ok", "failed", "no_forms", "skipped_unchanged")
# How often a long run makes what it has read so far visible (and safe from a crash).
COMMIT_INTERVAL_S = 60.0


@dataclass(slots=True)
class RunSummary:
    run_id: str
    out: Path
    rerun_failed: bool = False
    statuses: Counter[str] = field(default_factory=Counter)
    forms: int = 0  # read this run; skipped files are not re-read
    indicators: int = 0
    kept_forms: int = 0  # held by the files skipped unchanged
    reread: int = 0  # unchanged files read again because an older reading produced their rows
    form_keys: set[str] = field(default_factory=set)  # the same form printed twice counts once
    flags: Counter[str] = field(default_factory=Counter)
    unmapped_headers: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    unlisted: dict[str, int] = field(default_factory=dict)  # folders not listed → files OUT holds under them
    removed: list[str] = field(default_factory=list)  # source_paths whose rows were deleted
    read: list[str] = field(default_factory=list)  # source_paths read in this run (not skipped unchanged)
    kept_removed: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # damage to OUT found and dealt with, one line each
    notes: list[str] = field(default_factory=list)  # what preparing OUT did besides recovering: a migration
    manifest: Path | None = None
    log: Path | None = None

    @property
    def files(self) -> int:
        return sum(self.statuses.values())

    @property
    def exit_code(self) -> int:
        return 1 if self.statuses["failed"] or self.failures or self.damaged else 0

    def add(self, outcome: Outcome, listed: bool = True) -> None:
        """One file's outcome (or a folder's that could not be listed); `listed`: whether its failure gets
        a line of its own."""
        if outcome.source_path.endswith("/"):
            count = self.unlisted.get(outcome.source_path, 0)
            held = f"; {_files(count)} OUT holds under it keep their rows" if count else ""
            self.failures.append((f"{outcome.source_path} (a folder{held})", outcome.error or ""))
            return
        self.statuses[outcome.status] += 1
        if outcome.status == "failed" and listed:
            self.failures.append((outcome.source_path, outcome.error or ""))
        if outcome.status == "skipped_unchanged":
            self.kept_forms += outcome.forms
            return
        self.read.append(outcome.source_path)
        self.forms += outcome.forms
        self.indicators += outcome.indicators
        self.form_keys.update(outcome.form_keys)
        if outcome.flags:
            self.flags.update(outcome.flags)
        if outcome.unmapped_headers:
            self.unmapped_headers.update(outcome.unmapped_headers)

    def lines(self) -> list[str]:
        """The summary a person reads at the end of a run (the CLI prints it, the flow logs it)."""
        counts = ", ".join(f"{s} {self.statuses[s]}" for s in STATUSES if self.statuses[s])
        kind = " (rerun-failed)" if self.rerun_failed else ""
        read = self.statuses["ok"] + self.statuses["no_forms"]
        unchanged = self.statuses["skipped_unchanged"]
        folders = f", {len(self.unlisted)} folder{'' if len(self.unlisted) == 1 else 's'} not listed" \
            if self.unlisted else ""
        lines = [f"run {self.run_id}{kind}: {_files(self.files)} ({counts or 'none'}){folders}"]
        if read or not unchanged:
            again = f"; {self.reread} of them unchanged, read again: their rows came from an older reading" \
                if self.reread else ""
            lines.append(f"read: {_files(read)}, {self.forms} forms ({len(self.form_keys)} distinct), "
                         f"{self.indicators} indicators{again}")
        if unchanged:
            lines.append(f"unchanged: {_files(unchanged)}, {self.kept_forms} forms kept")
        if read:
            lines += [
                "flags: " + (", ".join(f"{k} {v}" for k, v in sorted(self.flags.items())) or "none"),
                "unmapped headers: "
                + (", ".join(f"{k!r} ×{v}" for k, v in self.unmapped_headers.most_common()) or "none"),
            ]
        if self.removed:
            lines.append(f"removed: {_files(len(self.removed))} no longer in the input, their rows deleted")
            lines += [f"removed: {path}" for path in self.removed]
        if self.kept_removed:
            lines.append(f"kept: {_files(len(self.kept_removed))} no longer in the input keep their rows "
                         "(--keep-removed)")
        lines += [f"damaged: {line}" for line in self.damaged]
        lines += [f"failed: {path}: {reason}" for path, reason in self.failures]
        lines.append(f"output: {shown(self.out)} (projects/, indicators/, cells/, manifest "
                     f"{self.manifest.name if self.manifest else '-'})")
        if self.log:
            lines.append(f"tracebacks: {shown(self.log)}")
        return lines


def _files(count: int) -> str:
    return f"{count} file" + ("" if count == 1 else "s")


class RunCommit:
    """Commits a run into OUT: every `interval_s` while it goes, so that a run killed late loses
    little, and once at its end, when files no longer in the input are also dropped."""

    def __init__(self, plan: Plan, *, keep_removed: bool = False, interval_s: float = COMMIT_INTERVAL_S) -> None:
        self.plan, self.keep_removed, self.interval_s = plan, keep_removed, interval_s
        self.store = Store(plan.out)
        self.outcomes: list[Outcome] = []
        self._staged: list[str] = []
        self._last = time.monotonic()

    def add(self, outcomes: list[Outcome]) -> None:
        self.outcomes += outcomes
        self._staged += [part_name(o.source_path) for o in outcomes
                         if o.parts_written and o.path not in self.plan.conflicts]
        if time.monotonic() - self._last >= self.interval_s:
            self._commit(final=False)

    def finish(self) -> RunSummary:
        return self._commit(final=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        """A run that stops early: on Ctrl-C or SIGTERM what it has read is committed (removed files
        are not dropped) and the next run reads the rest; on any other error nothing more is."""
        if exc_type is None:
            return
        try:
            if issubclass(exc_type, KeyboardInterrupt):
                self._commit(final=False)
        finally:
            self.store.discard_staging(self.plan.run_id)

    def _commit(self, *, final: bool) -> RunSummary:
        plan = self.plan
        everything = sorted([*plan.settled, *self.outcomes], key=lambda o: plan.position[o.path])
        summary = RunSummary(plan.run_id, plan.out, plan.rerun_failed, notes=list(plan.prepared.notes),
                             unlisted=dict(plan.unlisted), damaged=list(plan.prepared.damaged))
        committed_at = dt.datetime.now(dt.UTC)
        records: list[FileRecord] = []
        states = dict(plan.previous)
        tracebacks: list[str] = []
        written: set[str] = set()
        for outcome in everything:
            summary.add(outcome, listed=outcome.source_path not in plan.unseen)
            if outcome.source_path in plan.rereads and outcome.status != "failed":
                summary.reread += 1
            records.append(FileRecord(outcome.source_path, outcome.sha256, outcome.source_format, outcome.status,
                                      outcome.error, outcome.forms, outcome.seconds, plan.run_id,
                                      outcome.finished_at or committed_at, outcome.reader_version))
            if outcome.traceback:
                tracebacks.append(f"{outcome.source_path}\n{outcome.traceback}")
            if outcome.path in plan.conflicts or outcome.source_path in plan.unseen:
                continue  # the first file at this relative path owns its state; an unseen file keeps its own
            before = states.get(outcome.source_path)
            if outcome.parts_written and outcome.status != "skipped_unchanged":
                written.add(outcome.source_path)
                parts_sha, forms, fmt, version = (outcome.sha256, outcome.forms, outcome.source_format,
                                                  outcome.reader_version)
            elif before is not None:
                parts_sha, forms, fmt, version = (before.parts_sha256, before.forms, before.source_format,
                                                  before.reader_version)
            else:
                parts_sha, forms, fmt, version = None, 0, outcome.source_format, None
            # An unchanged file keeps the status and reason of the run that last read it.
            status, error = ((before.status, before.error) if outcome.status == "skipped_unchanged" and before
                             else (outcome.status, outcome.error))
            states[outcome.source_path] = SourceState(
                outcome.source_path, outcome.path, parts_sha, fmt, forms, status, error, plan.run_id,
                outcome.finished_at or committed_at, version)
        removed = self._damaged_parts(states, written, summary)
        dropped = [(dataset, name) for dataset, name, _ in plan.dropped]
        summary.damaged += [f"{dataset}/{name} is {why}: left out of OUT" for dataset, name, why in plan.dropped]
        if final and self.keep_removed:
            summary.kept_removed = list(plan.removed)
        elif final:
            removed += [part_name(key) for key in plan.removed]
            for key in plan.removed:
                del states[key]
            summary.removed = list(plan.removed)
        if final:
            for key in plan.cleared:
                states.pop(key, None)
        if tracebacks:
            summary.log = plan.out / "logs" / f"{plan.run_id}.log"
            try:
                summary.log.parent.mkdir(exist_ok=True)
                summary.log.write_text("\n\n".join(tracebacks), encoding="utf-8", errors="backslashreplace")
            except OSError as exc:
                raise output_error(exc, "writing the run's log") from exc
        generation = self.store.commit(plan.run_id, sorted(set(self._staged)), removed,
                                       records_table(records, schemas.FILES), state_table(states), dropped)
        summary.manifest = generation / "files" / f"{plan.run_id}.parquet"
        self._staged, self._last = [], time.monotonic()
        if final:
            self.store.discard_staging(plan.run_id)
        return summary

    def _damaged_parts(self, states: dict[str, SourceState], written: set[str], summary: RunSummary) -> list[str]:
        """Files whose parts were damaged: read again in this run, or else their damaged parts are left
        out and their state says they have none, so that the next run over them reads them."""
        removed = []
        for key, why in sorted(self.plan.damaged.items()):
            if key in written:
                summary.damaged.append(f"{key}: {why}; read again")
                continue
            removed.append(part_name(key))
            if key in states:
                states[key] = dataclasses.replace(states[key], parts_sha256=None, forms=0, reader_version=None)
            summary.damaged.append(f"{key}: {why}; its rows are left out until it is read again")
        return removed

"""The end of every run, plain or under Prefect: manifest rows, state, removed files, summary."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.pipeline.ingest import Outcome
from jixiao.pipeline.plan import Plan
from jixiao.pipeline.records import FileRecord
from jixiao.pipeline.state import SourceState, save_state
from jixiao.pipeline.writer import DatasetWriter

STATUSES = ("ok", "failed", "no_forms", "skipped_unchanged")


@dataclass(slots=True)
class RunSummary:
    run_id: str
    out: Path
    rerun_failed: bool = False
    statuses: Counter[str] = field(default_factory=Counter)
    forms: int = 0  # read this run; skipped files are not re-read
    indicators: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    unmapped_headers: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    removed: int = 0
    kept_removed: int = 0
    manifest: Path | None = None
    log: Path | None = None

    @property
    def files(self) -> int:
        return sum(self.statuses.values())

    @property
    def exit_code(self) -> int:
        return 1 if self.statuses["failed"] else 0

    def add(self, outcome: Outcome) -> None:
        self.statuses[outcome.status] += 1
        if outcome.status == "failed":
            self.failures.append((outcome.source_path, outcome.error or ""))
        if outcome.status != "skipped_unchanged":
            self.forms += outcome.forms
            self.indicators += outcome.indicators
        if outcome.flags:
            self.flags.update(outcome.flags)
        if outcome.unmapped_headers:
            self.unmapped_headers.update(outcome.unmapped_headers)

    def lines(self) -> list[str]:
        """The summary a person reads at the end of a run (the CLI prints it, the flow logs it)."""
        counts = ", ".join(f"{s} {self.statuses[s]}" for s in STATUSES if self.statuses[s])
        kind = " (rerun-failed)" if self.rerun_failed else ""
        lines = [
            f"run {self.run_id}{kind}: {self.files} files ({counts or 'none'})",
            f"forms {self.forms}, indicators {self.indicators}",
            "flags: " + (", ".join(f"{k} {v}" for k, v in sorted(self.flags.items())) or "none"),
            "unmapped headers: "
            + (", ".join(f"{k!r} ×{v}" for k, v in self.unmapped_headers.most_common()) or "none"),
        ]
        if self.removed:
            lines.append(f"removed: {self.removed} files no longer in the input, their rows deleted")
        if self.kept_removed:
            lines.append(f"kept: {self.kept_removed} files no longer in the input keep their rows (--keep-removed)")
        lines += [f"failed: {path}: {reason}" for path, reason in self.failures]
        lines.append(f"output: {self.out} (projects/, indicators/, manifest "
                     f"{self.manifest.name if self.manifest else '-'})")
        if self.log:
            lines.append(f"tracebacks: {self.log}")
        return lines


def finish_run(plan: Plan, outcomes: list[Outcome], *, keep_removed: bool = False) -> RunSummary:
    """Write the run's manifest, drop (or keep) removed files' rows, update the state, sum up."""
    writer = DatasetWriter(plan.out)
    everything = sorted([*plan.settled, *outcomes], key=lambda o: plan.position[o.path])
    summary = RunSummary(plan.run_id, plan.out, plan.rerun_failed)
    finished_at = dt.datetime.now(dt.UTC)
    records: list[FileRecord] = []
    states = dict(plan.previous)
    tracebacks: list[str] = []
    for outcome in everything:
        summary.add(outcome)
        records.append(FileRecord(outcome.source_path, outcome.sha256, outcome.source_format, outcome.status,
                                  outcome.error, outcome.forms, outcome.seconds, plan.run_id, finished_at))
        if outcome.traceback:
            tracebacks.append(f"{outcome.source_path}\n{outcome.traceback}")
        if outcome.path in plan.conflicts:
            continue  # the file that holds this relative path first owns its state and parts
        if outcome.status == "failed" and not writer.has_part(outcome.source_path):
            # A failed file keeps the rows an earlier run wrote for it; one never seen
            # before gets empty parts, so the datasets are readable even when all fail.
            writer.write_forms(outcome.source_path, [])
        before = states.get(outcome.source_path)
        parts_sha = outcome.sha256 if outcome.parts_written else (before.parts_sha256 if before else None)
        forms = outcome.forms if outcome.parts_written else (before.forms if before else 0)
        states[outcome.source_path] = SourceState(
            outcome.source_path, outcome.path, parts_sha,
            outcome.source_format if outcome.parts_written or before is None else before.source_format,
            forms, outcome.status, outcome.error, plan.run_id, finished_at)
    if keep_removed:
        summary.kept_removed = len(plan.removed)
    else:
        for key in plan.removed:
            writer.remove_parts(key)
            del states[key]
        summary.removed = len(plan.removed)
    summary.manifest = writer.write_manifest(plan.run_id, records)
    save_state(plan.out, states)
    if tracebacks:
        summary.log = plan.out / "logs" / f"{plan.run_id}.log"
        summary.log.parent.mkdir(exist_ok=True)
        summary.log.write_text("\n\n".join(tracebacks), encoding="utf-8")
    return summary

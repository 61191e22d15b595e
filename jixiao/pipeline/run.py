"""`jixiao run` without any orchestrator: discover, process each file, write its parts, write the manifest."""
from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.extractors import ExtractOptions
from jixiao.pipeline.discover import Source, discover
from jixiao.pipeline.process import FileResult, one_line, process_file
from jixiao.pipeline.records import FileRecord
from jixiao.pipeline.writer import DatasetWriter

STATUSES = ("ok", "failed", "no_forms", "skipped_unchanged")


@dataclass(slots=True)
class RunSummary:
    run_id: str
    out: Path
    statuses: Counter[str] = field(default_factory=Counter)
    forms: int = 0
    indicators: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    unmapped_headers: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    manifest: Path | None = None
    log: Path | None = None

    @property
    def files(self) -> int:
        return sum(self.statuses.values())

    @property
    def exit_code(self) -> int:
        return 1 if self.statuses["failed"] else 0

    def add(self, result: FileResult) -> None:
        self.statuses[result.status] += 1
        if result.status == "failed":
            self.failures.append((result.source_path, result.error or ""))
        self.forms += len(result.forms)
        for form in result.forms:
            self.indicators += len(form.indicators)
            self.flags.update(form.project.issues)
            for indicator in form.indicators:
                self.flags.update(indicator.issues)
        self.unmapped_headers.update(result.unmapped_headers)


def new_run_id() -> str:
    """Sortable by time, unique across machines."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def run(
    inputs: list[Path],
    out: Path,
    on_start: Callable[[int], None] | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    options: ExtractOptions | None = None,
) -> RunSummary:
    sources = discover(inputs)
    writer = DatasetWriter(out)
    summary = RunSummary(run_id=new_run_id(), out=out)
    if on_start:
        on_start(len(sources))
    records: list[FileRecord] = []
    tracebacks: list[str] = []
    taken: set[str] = set()
    for source in sources:
        result = _process(source, taken, writer, options)
        if result.traceback:
            tracebacks.append(f"{result.source_path}\n{result.traceback}")
        summary.add(result)
        records.append(
            FileRecord(
                source_path=result.source_path,
                source_sha256=result.source_sha256,
                source_format=result.source_format,
                status=result.status,
                error=result.error,
                forms=len(result.forms),
                seconds=result.seconds,
                run_id=summary.run_id,
                finished_at=dt.datetime.now(dt.UTC),
            )
        )
        if on_file:
            on_file(result)
    summary.manifest = writer.write_manifest(summary.run_id, records)
    if tracebacks:
        summary.log = out / "logs" / f"{summary.run_id}.log"
        summary.log.parent.mkdir(exist_ok=True)
        summary.log.write_text("\n\n".join(tracebacks), encoding="utf-8")
    return summary


def _process(source: Source, taken: set[str], writer: DatasetWriter, options: ExtractOptions | None) -> FileResult:
    if source.source_path in taken:
        return FileResult(source.source_path, None, None, "failed",
                          "another input holds a file at the same relative path", 0.0)
    taken.add(source.source_path)
    result = process_file(source.path, source.source_path, options)
    # A failed file keeps the rows an earlier run wrote for it; one never seen
    # before gets empty parts, so the datasets are readable even when all fail.
    if result.status in ("ok", "no_forms") or not writer.has_part(result.source_path):
        try:
            writer.write_forms(result.source_path, result.forms)
        except OSError as exc:
            result.status, result.error, result.forms = "failed", one_line(f"cannot write parts: {exc}"), []
    return result

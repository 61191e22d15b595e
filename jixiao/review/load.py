"""What a review reads from OUT: the files' last states and, one file at a time, its forms and cells.

Everything is read from one generation of OUT (the one current when the review starts), so a
run committing meanwhile never mixes two states into one report.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from jixiao.pipeline.state import SourceState, read_state
from jixiao.pipeline.store import STATE_FILE, Store
from jixiao.pipeline.writer import part_name
from jixiao.records import CellRecord, Form, Indicator, Project


class NoOutput(Exception):
    """OUT holds no committed run."""


def generation(out: Path) -> Path:
    """The folder of the generation readers see now."""
    current = Store(out).current()
    if current is None or not (current / STATE_FILE).exists():
        raise NoOutput(f"no run has committed anything to {out} yet")
    return current


def file_states(folder: Path) -> dict[str, SourceState]:
    return read_state(folder / STATE_FILE)


def _records(folder: Path, dataset: str, source_path: str, kind: type[Any]) -> list[Any]:
    part = folder / dataset / part_name(source_path)
    if not part.exists():
        return []
    # A part written by an older reading may lack newer columns; they keep their defaults.
    known = {f.name for f in fields(kind)}
    columns = [name for name in pq.read_schema(part).names if name in known]
    return [kind(**row) for row in pq.read_table(part, columns=columns).to_pylist()]


@dataclass(slots=True)
class FileForms:
    """One source file's forms as OUT holds them, each with its cells."""

    forms: list[Form] = field(default_factory=list)

    @property
    def sha256(self) -> str | None:
        return self.forms[0].project.source_sha256 if self.forms else None


def read_forms(folder: Path, source_path: str) -> FileForms:
    projects: list[Project] = sorted(_records(folder, "projects", source_path, Project),
                                     key=lambda p: p.table_index)
    forms = {p.project_id: Form(p) for p in projects}
    for indicator in sorted(_records(folder, "indicators", source_path, Indicator), key=lambda i: i.seq):
        if indicator.project_id in forms:
            forms[indicator.project_id].indicators.append(indicator)
    for cell in _records(folder, "cells", source_path, CellRecord):
        if cell.project_id in forms:
            forms[cell.project_id].cells.append(cell)
    return FileForms(list(forms.values()))

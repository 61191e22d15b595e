"""Parquet parts under OUT, each written to a temporary name and renamed into place.

projects/ and indicators/ hold one part per source file, named by a hash of its
source_path, so a re-run replaces that file's rows and nothing else; files/
holds one part per run (the manifest). Temporary names start with "." and do
not end in .parquet, so pandas, polars and DuckDB never read half a part.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from jixiao.pipeline import schemas
from jixiao.pipeline.records import FileRecord, Form

DATASETS = ("projects", "indicators", "files")


def part_name(source_path: str) -> str:
    return hashlib.sha256(source_path.encode()).hexdigest()[:16] + ".parquet"


def _table(objects: Sequence[Any], schema: pa.Schema) -> pa.Table:
    """The records' attributes named by the schema, column by column."""
    return pa.Table.from_pydict({name: [getattr(obj, name) for obj in objects] for name in schema.names}, schema)


def write_atomic(table: pa.Table, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


class DatasetWriter:
    def __init__(self, out: Path) -> None:
        self.out = out
        for name in DATASETS:
            (out / name).mkdir(parents=True, exist_ok=True)

    def has_part(self, source_path: str) -> bool:
        return (self.out / "projects" / part_name(source_path)).exists()

    def write_forms(self, source_path: str, forms: list[Form]) -> None:
        """Replace the rows of one source file (zero rows when it holds no form)."""
        name = part_name(source_path)
        indicators = [i for form in forms for i in form.indicators]
        projects = [form.project for form in forms]
        write_atomic(_table(indicators, schemas.INDICATORS), self.out / "indicators" / name)
        write_atomic(_table(projects, schemas.PROJECTS), self.out / "projects" / name)

    def remove_parts(self, source_path: str) -> None:
        """Drop the rows of a source file that is no longer in the input."""
        name = part_name(source_path)
        for dataset in ("projects", "indicators"):
            (self.out / dataset / name).unlink(missing_ok=True)

    def write_manifest(self, run_id: str, records: list[FileRecord]) -> Path:
        target = self.out / "files" / f"{run_id}.parquet"
        write_atomic(_table(records, schemas.FILES), target)
        return target

"""Parquet parts, each written to a temporary name and renamed into place.

projects/, indicators/ and cells/ hold one part per source file, named by a hash of its
source_path, so a re-run replaces that file's rows and nothing else; files/
holds one part per run (the manifest). A run writes its new parts into its
staging folder; a commit (store.py) makes them visible. Temporary names start
with "." and do not end in .parquet, so no reader ever picks up half a part.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from jixiao.pipeline import schemas
from jixiao.records import Form

PART_DATASETS = ("projects", "indicators", "cells")  # one part per source file; files/ holds one per run


def part_name(source_path: str) -> str:
    return hashlib.sha256(source_path.encode()).hexdigest()[:16] + ".parquet"


def records_table(objects: Sequence[Any], schema: pa.Schema) -> pa.Table:
    """The records' attributes named by the schema (of several columns), column by column."""
    if not objects:
        return schema.empty_table()
    # One C-level pass over the records (a file can hold thousands of cell records), then their columns.
    columns = zip(*map(attrgetter(*schema.names), objects), strict=True)
    return pa.Table.from_pydict(dict(zip(schema.names, map(list, columns), strict=True)), schema)


def write_atomic(table: pa.Table, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


class StagingWriter:
    """Writes the parts of source files into a run's staging folder."""

    def __init__(self, stage: Path) -> None:
        self.stage = stage

    def write_forms(self, source_path: str, forms: list[Form]) -> str:
        """The parts holding one source file's rows (none when it holds no form); returns their name."""
        name = part_name(source_path)
        tables = {"projects": records_table([form.project for form in forms], schemas.PROJECTS),
                  "indicators": records_table([i for form in forms for i in form.indicators], schemas.INDICATORS),
                  "cells": records_table([c for form in forms for c in form.cells], schemas.CELLS)}
        for dataset in PART_DATASETS:
            (self.stage / dataset).mkdir(parents=True, exist_ok=True)
            write_atomic(tables[dataset], self.stage / dataset / name)
        return name

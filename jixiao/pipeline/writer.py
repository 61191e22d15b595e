"""Parquet parts, each written to a temporary name and renamed into place.

projects/, indicators/ and cells/ hold one part per source file, named by a hash of its
source_path, so a re-run replaces that file's rows and nothing else; files/
holds one part per run (the manifest). A run writes its new parts into its
staging folder; a commit (store.py) makes them visible. Temporary names start
with "." and do not end in .parquet, so no reader ever picks up half a part.

A file's parts are written as its forms are read (`PartWriter`), a row group
every few thousand rows, under temporary names; they are renamed into place once
the file is known to be read whole (`StagingWriter.commit`).
"""
from __future__ import annotations

import hashlib
import itertools
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
_SCHEMAS = {"projects": schemas.PROJECTS, "indicators": schemas.INDICATORS, "cells": schemas.CELLS}
# Rows of a dataset buffered before they are written as a row group.
ROW_GROUP_ROWS = 10_000
_COMPRESSION = "zstd"
_tmp_numbers = itertools.count()


def part_name(source_path: str) -> str:
    return hashlib.sha256(source_path.encode()).hexdigest()[:16] + ".parquet"


def records_table(objects: Sequence[Any], schema: pa.Schema) -> pa.Table:
    """The records' attributes named by the schema (of several columns), column by column."""
    if not objects:
        return schema.empty_table()
    # One C-level pass over the records (a file can hold thousands of cell records), then their columns.
    columns = zip(*map(attrgetter(*schema.names), objects), strict=True)
    return pa.Table.from_pydict(dict(zip(schema.names, map(list, columns), strict=True)), schema)


def _tmp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{next(_tmp_numbers)}.tmp")


def write_atomic(table: pa.Table, target: Path) -> None:
    tmp = _tmp_name(target)
    try:
        pq.write_table(table, tmp, compression=_COMPRESSION)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


class PartWriter:
    """The parts of one source file, written form by form under temporary names in the staging
    folder; `close()` ends them, `discard()` removes them. Errors writing (OSError: OUT cannot be
    written; pyarrow's: rows the schema refuses) propagate."""

    def __init__(self, stage: Path, source_path: str) -> None:
        self.stage = stage
        self.name = part_name(source_path)
        self._rows: dict[str, list[Any]] = {dataset: [] for dataset in PART_DATASETS}
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._tmp: dict[str, Path] = {}
        for dataset in PART_DATASETS:
            (stage / dataset).mkdir(parents=True, exist_ok=True)
            self._tmp[dataset] = _tmp_name(stage / dataset / self.name)

    def add(self, form: Form) -> None:
        self._rows["projects"].append(form.project)
        self._rows["indicators"].extend(form.indicators)
        self._rows["cells"].extend(form.cells)
        if any(len(rows) >= ROW_GROUP_ROWS for rows in self._rows.values()):
            self._flush()

    def _flush(self) -> None:
        for dataset, rows in self._rows.items():
            writer = self._writers.get(dataset)
            if writer is None:
                # Opened at the first rows, or at the end: a file without forms has empty parts.
                writer = self._writers[dataset] = pq.ParquetWriter(self._tmp[dataset], _SCHEMAS[dataset],
                                                                   compression=_COMPRESSION)
            if rows:
                writer.write_table(records_table(rows, _SCHEMAS[dataset]))
                rows.clear()

    def close(self) -> PartWriter:
        self._flush()
        for writer in self._writers.values():
            writer.close()
        return self

    def discard(self) -> None:
        for writer in self._writers.values():
            try:
                writer.close()
            except (OSError, pa.ArrowException):
                pass
        for path in self._tmp.values():
            path.unlink(missing_ok=True)

    def put_in_place(self) -> None:
        try:
            for dataset in PART_DATASETS:
                os.replace(self._tmp[dataset], self.stage / dataset / self.name)
        finally:
            for path in self._tmp.values():
                path.unlink(missing_ok=True)


class StagingWriter:
    """Writes the parts of source files into a run's staging folder."""

    def __init__(self, stage: Path) -> None:
        self.stage = stage

    def open(self, source_path: str) -> PartWriter:
        """The parts of one source file, to be written form by form and then committed or discarded."""
        return PartWriter(self.stage, source_path)

    def commit(self, parts: PartWriter) -> str:
        """Put the parts of a file written whole in place; returns their name."""
        parts.put_in_place()
        return parts.name

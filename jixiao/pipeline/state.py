"""What OUT holds, per source file: state.parquet inside each generation of OUT.

The incremental decision needs, for each source_path, the sha256 its parts were
written from; reading that from the parts themselves would open every part, so
each generation keeps this small index beside its datasets. It also remembers
where each file was found and its last status and reason, for `jixiao status`
and `jixiao rerun-failed`. It is not a dataset: readers of OUT never see it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from jixiao.pipeline.lock import STATE_DIR
from jixiao.pipeline.store import STATE_FILE, Store
from jixiao.pipeline.writer import records_table

_SCHEMA = pa.schema(
    [
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("parts_sha256", pa.string()),
        pa.field("source_format", pa.string()),
        pa.field("forms", pa.int32(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("error", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("finished_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


@dataclass(slots=True)
class SourceState:
    source_path: str
    path: str  # absolute path where the file was last found
    parts_sha256: str | None  # the content its parts were written from; None: no parts or empty ones
    source_format: str | None
    forms: int  # forms its parts hold
    status: str  # its status in the last run that saw it
    error: str | None
    run_id: str
    finished_at: dt.datetime


def load_state(out: Path) -> dict[str, SourceState]:
    path = Store(out).state_file()
    if path is None:
        path = out / STATE_DIR / STATE_FILE  # OUT written before generations; adopted at the next run
    return read_state(path)


def read_state(path: Path) -> dict[str, SourceState]:
    """One state file (of a generation); empty when there is none."""
    if not path.exists():
        return {}
    columns = pq.read_table(path, schema=_SCHEMA).to_pydict()
    return {state.source_path: state
            for state in (SourceState(*values) for values in zip(*(columns[n] for n in _SCHEMA.names), strict=True))}


def state_table(states: dict[str, SourceState]) -> pa.Table:
    return records_table([states[key] for key in sorted(states)], _SCHEMA)

"""What OUT already holds, per source file: OUT/.jixiao/state.parquet.

The incremental decision needs, for each source_path, the sha256 its parts were
written from; reading that from the parts themselves would open every part, so a
run keeps this small index beside the datasets and rewrites it at its end. It
also remembers where each file was found and its last status and reason, for
`jixiao status` and `jixiao rerun-failed`. It is not a dataset: its folder starts
with "." so readers of OUT never pick it up.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from jixiao.pipeline.lock import STATE_DIR
from jixiao.pipeline.writer import write_atomic

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


def state_path(out: Path) -> Path:
    return out / STATE_DIR / "state.parquet"


def load_state(out: Path) -> dict[str, SourceState]:
    path = state_path(out)
    if not path.exists():
        return {}
    columns = pq.read_table(path, schema=_SCHEMA).to_pydict()
    return {state.source_path: state
            for state in (SourceState(*values) for values in zip(*(columns[n] for n in _SCHEMA.names), strict=True))}


def save_state(out: Path, states: dict[str, SourceState]) -> None:
    path = state_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = [states[key] for key in sorted(states)]
    columns = {name: [getattr(state, name) for state in ordered] for name in _SCHEMA.names}
    write_atomic(pa.Table.from_pydict(columns, _SCHEMA), path)

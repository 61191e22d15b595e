"""What OUT holds, per source file: state.parquet inside each generation of OUT.

The incremental decision needs, for each source_path, the sha256 its parts were
written from and the reading that wrote them; reading that from the parts themselves
would open every part, so each generation keeps this small index beside its datasets.
It also remembers where each file was found and its last status and reason, for
`jixiao status` and `jixiao rerun-failed`. It is not a dataset: readers of OUT never see it.

A folder that could not be listed has an entry too, keyed by its relative path and a
trailing "/" (`./` for an input folder itself), so that `status` shows it until a run
lists it again.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

STATE_FILE = "state.parquet"
# The state's own version, in the file's metadata. 1 (none written): the release before reader
# versions, with `path` as text; 2: `path` as the name's bytes, and `reader_version`.
_VERSION_KEY = b"jixiao.state"
VERSION = 2

_SCHEMA = pa.schema(
    [
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("path", pa.binary(), nullable=False),  # bytes: any name, whatever the locale
        pa.field("parts_sha256", pa.string()),
        pa.field("source_format", pa.string()),
        pa.field("forms", pa.int32(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("error", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("finished_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("reader_version", pa.string()),
    ],
    metadata={_VERSION_KEY: str(VERSION).encode()},
)


class StateUnreadable(Exception):
    """A state file that cannot be read as jixiao's (truncated, overwritten, another format)."""


@dataclass(slots=True)
class SourceState:
    source_path: str
    path: str  # absolute path where the file was last found, as the OS gives it
    parts_sha256: str | None  # the content its parts were written from; None: no parts
    source_format: str | None
    forms: int  # forms its parts hold
    status: str  # its status in the last run that saw it
    error: str | None
    run_id: str
    finished_at: dt.datetime
    reader_version: str | None = None  # the reading its parts came from; None: no parts

    @property
    def is_folder(self) -> bool:
        return self.source_path.endswith("/")


def load_state(out: Path) -> dict[str, SourceState]:
    """The state of the generation readers see now (after the recovery a run would make, see
    Store.health); empty before the first run. Raises StateUnreadable when no intact state is left."""
    from jixiao.pipeline.store import Store  # the store keeps states in its generations

    health = Store(out).health()
    if health.fatal:
        raise StateUnreadable(health.fatal)
    return health.states


def state_version(path: Path) -> int:
    """The version a state file was written in (1: before versions were recorded)."""
    try:
        return int((pq.read_schema(path).metadata or {}).get(_VERSION_KEY, b"1"))
    except Exception as exc:
        raise StateUnreadable(f"{path} cannot be read: {' '.join(str(exc).split())[:200]}") from exc


def read_state(path: Path) -> dict[str, SourceState]:
    """One state file (of a generation); empty when there is none."""
    if not path.exists():
        return {}
    try:
        table = pq.read_table(path)
        version = int((table.schema.metadata or {}).get(_VERSION_KEY, b"1"))
        if version == 1:  # written before reader versions: text paths, no reader_version
            table = table.append_column("reader_version", pa.nulls(len(table), pa.string()))
            table = table.set_column(table.schema.get_field_index("path"), "path",
                                     pa.array([p.encode("utf-8") for p in table["path"].to_pylist()], pa.binary()))
        columns = table.select(_SCHEMA.names).cast(_SCHEMA).to_pydict()
    except Exception as exc:
        raise StateUnreadable(f"{path} cannot be read: {' '.join(str(exc).split())[:200]}") from exc
    columns["path"] = [os.fsdecode(p) for p in columns["path"]]
    return {state.source_path: state
            for state in (SourceState(*values) for values in zip(*(columns[n] for n in _SCHEMA.names), strict=True))}


def state_table(states: dict[str, SourceState]) -> pa.Table:
    rows = [states[key] for key in sorted(states)]
    columns = {name: [getattr(state, name) for state in rows] for name in _SCHEMA.names}
    columns["path"] = [os.fsencode(path) for path in columns["path"]]
    return pa.Table.from_pydict(columns, _SCHEMA)

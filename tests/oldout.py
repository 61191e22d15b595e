"""An OUT as the previous release of jixiao wrote it, made at test time from one this release wrote.

The previous release (before reader versions): project_id = sha256(source_sha256:table_index)[:16],
projects without form_key, self_rating and reader_version (project_name nullable), indicators without
target_met, no cells dataset, manifests without reader_version, fields without descriptions, and the
state without reader_version, paths as text, no version in its metadata. Its layout was generations
(`gens`), or, before them, plain dataset folders with the state at OUT/.jixiao/state.parquet (`flat`).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from jixiao.pipeline import schemas

_DROPPED = {"projects": {"form_key", "self_rating", "reader_version"}, "indicators": {"target_met"},
            "files": {"reader_version"}}
OLD_STATE = pa.schema([
    pa.field("source_path", pa.string(), nullable=False), pa.field("path", pa.string(), nullable=False),
    pa.field("parts_sha256", pa.string()), pa.field("source_format", pa.string()),
    pa.field("forms", pa.int32(), nullable=False), pa.field("status", pa.string(), nullable=False),
    pa.field("error", pa.string()), pa.field("run_id", pa.string(), nullable=False),
    pa.field("finished_at", pa.timestamp("us", tz="UTC"), nullable=False)])


def old_schema(dataset: str) -> pa.Schema:
    return pa.schema([pa.field(f.name, f.type, nullable=True if f.name == "project_name" else f.nullable)
                      for f in schemas.DATASETS[dataset] if f.name not in _DROPPED[dataset]])


def old_project_id(source_sha256: str, table_index: int) -> str:
    return hashlib.sha256(f"{source_sha256}:{table_index}".encode()).hexdigest()[:16]


def _old_part(path: Path, dataset: str, ids: dict[str, str]) -> pa.Table:
    table = pq.read_table(path)
    rows = table.to_pylist()
    for row in rows:
        if dataset == "projects":
            ids[row["project_id"]] = old_project_id(row["source_sha256"], row["table_index"])
        if "project_id" in row:
            row["project_id"] = ids[row["project_id"]]
    return pa.Table.from_pylist(rows, schema=old_schema(dataset))


def make_old_out(new_out: Path, old_out: Path, layout: str = "gens") -> None:
    """`old_out`: the datasets and state of `new_out` as the previous release wrote them."""
    generation = Path(os.path.realpath(new_out / ".jixiao" / "current"))
    if layout == "gens":
        target = old_out / ".jixiao" / "gens" / "00000001"
    else:
        target = old_out
    for dataset in ("projects", "indicators", "files"):
        (target / dataset).mkdir(parents=True)
    ids: dict[str, str] = {}
    for part in sorted((generation / "projects").glob("*.parquet")):
        if part.name == "00-schema.parquet":
            if layout == "gens":
                for dataset in ("projects", "indicators", "files"):
                    pq.write_table(old_schema(dataset).empty_table(), target / dataset / part.name)
            continue
        pq.write_table(_old_part(part, "projects", ids), target / "projects" / part.name)
        pq.write_table(_old_part(generation / "indicators" / part.name, "indicators", ids),
                       target / "indicators" / part.name)
    for manifest in (generation / "files").glob("2*.parquet"):
        pq.write_table(_old_part(manifest, "files", ids), target / "files" / manifest.name)
    state = pq.read_table(generation / "state.parquet").to_pylist()
    for row in state:
        row["path"] = os.fsdecode(row["path"])
    old_state = pa.Table.from_pylist(state, schema=OLD_STATE)
    if layout == "gens":
        pq.write_table(old_state, target / "state.parquet")
        (old_out / ".jixiao" / "current").symlink_to("gens/00000001")
        for dataset in ("projects", "indicators", "files"):
            (old_out / dataset).symlink_to(Path(".jixiao") / "current" / dataset)
    else:
        (old_out / ".jixiao").mkdir()
        pq.write_table(old_state, old_out / ".jixiao" / "state.parquet")

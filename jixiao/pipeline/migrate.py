"""OUT written by an earlier release, brought to this release's datasets without reading any file again.

Before reader versions were recorded, `project_id` was sha256(source_sha256:table_index) (identical
files at two paths shared ids), projects had no form_key, self_rating or reader_version, indicators
no target_met, there was no cells dataset, manifests had no reader_version and the state kept paths
as text. The first run of this release rewrites each such part in the current contract, all in one
new generation, so that readers see the old parts or the new ones, never a mix:

- project_id from the row's source_path, source_sha256 and table_index, the file's indicators
  following it; form_key from year, department and project_name; target_met from the indicator's
  values (all three are what a reading now computes from the same values);
- self_rating null (the old reading did not keep it) and reader_version LEGACY_READER_VERSION, so a
  run reads these files again unless `--reread-older none` keeps them as they are;
- an empty cells part per file, a null reader_version in old manifests.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from jixiao.normalizers.flags import target_met
from jixiao.normalizers.keys import form_key_of
from jixiao.pipeline import schemas
from jixiao.pipeline.process import project_id
from jixiao.pipeline.state import STATE_FILE, VERSION, read_state, state_table, state_version
from jixiao.pipeline.store import SCHEMA_PART, Store, is_ours
from jixiao.pipeline.writer import PART_DATASETS, part_name, write_atomic
from jixiao.records import Indicator
from jixiao.version import LEGACY_READER_VERSION

_INDICATOR_FIELDS = [f.name for f in dataclasses.fields(Indicator)]


def _current(table: pa.Table, dataset: str) -> bool:
    return table.schema.equals(schemas.DATASETS[dataset])


def _projects(table: pa.Table) -> tuple[pa.Table, dict[str, str]]:
    rows = table.to_pylist()
    ids: dict[str, str] = {}
    for row in rows:
        new_id = project_id(row["source_path"], row["source_sha256"], row["table_index"])
        ids[row["project_id"]] = row["project_id"] = new_id
        row["project_name"] = row.get("project_name") or ""
        row["form_key"] = row.get("form_key") or form_key_of(row.get("year"), row.get("department"),
                                                             row["project_name"])
        row["reader_version"] = row.get("reader_version") or LEGACY_READER_VERSION
    return pa.Table.from_pylist(rows, schema=schemas.PROJECTS), ids


def _indicators(table: pa.Table, ids: dict[str, str]) -> pa.Table:
    rows = table.to_pylist()
    for row in rows:
        row["project_id"] = ids.get(row["project_id"], row["project_id"])
        if row.get("target_met") is None:
            row["target_met"] = target_met(Indicator(**{k: row.get(k) for k in _INDICATOR_FIELDS if k in row}))
    return pa.Table.from_pylist(rows, schema=schemas.INDICATORS)


def _rows_version(projects: pa.Table) -> str:
    if "reader_version" in projects.column_names and len(projects):
        return str(projects["reader_version"][0].as_py() or LEGACY_READER_VERSION)
    return LEGACY_READER_VERSION


def migrate(store: Store) -> list[str]:
    """Rewrite the current generation's parts of an earlier release; what to tell the user."""
    gen = store.current()
    if gen is None or not (gen / STATE_FILE).exists() or state_version(gen / STATE_FILE) >= VERSION:
        return []
    states = read_state(gen / STATE_FILE)
    run_id = f"migrate-{os.getpid()}"
    stage = store.staging(run_id)
    versions: dict[str, str] = {}
    staged: list[str] = []
    names = sorted({entry.name for dataset in PART_DATASETS if (gen / dataset).is_dir()
                    for entry in os.scandir(gen / dataset) if is_ours(dataset, entry.name) and entry.name != SCHEMA_PART})
    for name in names:
        paths = {dataset: gen / dataset / name for dataset in PART_DATASETS}
        if not (paths["projects"].exists() and paths["indicators"].exists()):
            continue  # a damaged file's parts: the run reads it again (Store.damaged_parts)
        try:
            projects, indicators = pq.read_table(paths["projects"]), pq.read_table(paths["indicators"])
        except Exception:  # noqa: BLE001, S112 - a damaged part, found and told by the run
            continue
        versions[name] = _rows_version(projects)
        tables: dict[str, pa.Table] = {}
        if not _current(projects, "projects") or not _current(indicators, "indicators"):
            tables["projects"], ids = _projects(projects)
            tables["indicators"] = _indicators(indicators, ids)
        if not paths["cells"].exists():
            tables["cells"] = schemas.CELLS.empty_table()
        if not tables:
            continue
        for dataset in PART_DATASETS:
            (stage / dataset).mkdir(parents=True, exist_ok=True)
            if dataset in tables:
                write_atomic(tables[dataset], stage / dataset / name)
            else:
                os.link(paths[dataset], stage / dataset / name)
        staged.append(name)
    manifests = _manifests(gen, stage)
    for key, state in states.items():
        if state.parts_sha256 is not None:
            state.reader_version = versions.get(part_name(key), LEGACY_READER_VERSION)
    store.commit(run_id, staged, (), None, state_table(states), replaced=manifests)
    store.discard_staging(run_id)
    if not staged and not manifests:
        return []
    note = (f"migrated: OUT was written by an earlier release of jixiao; its datasets now follow this release's "
            f"({len(staged)} files' parts and {len(manifests)} manifests rewritten, no file read again): "
            f"project_id includes source_path, and the rows of the earlier reading have reader_version "
            f"{LEGACY_READER_VERSION}, read again unless --reread-older none")
    return [note]


def _manifests(gen: Path, stage: Path) -> list[tuple[str, str]]:
    """Manifests of an earlier release, rewritten with a null reader_version into the stage."""
    rewritten = []
    for entry in sorted(os.scandir(gen / "files"), key=lambda e: e.name):
        if entry.name == SCHEMA_PART or not is_ours("files", entry.name):
            continue
        try:
            table = pq.read_table(entry.path)
        except Exception:  # noqa: BLE001, S112 - a damaged manifest, found and told by the run
            continue
        if _current(table, "files"):
            continue
        if "reader_version" not in table.column_names:
            table = table.append_column("reader_version", pa.nulls(len(table), pa.string()))
        (stage / "files").mkdir(parents=True, exist_ok=True)
        write_atomic(table.select(schemas.FILES.names).cast(schemas.FILES), stage / "files" / entry.name)
        rewritten.append(("files", entry.name))
    return rewritten

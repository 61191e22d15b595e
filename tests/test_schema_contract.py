"""The datasets' columns and types are the ones ../shared/SCHEMA.md promises, read from that file."""
from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jixiao.pipeline import schemas

_TYPES = {
    "string": pa.string(), "int32": pa.int32(), "int16": pa.int16(), "float64": pa.float64(),
    "list<string>": pa.list_(pa.string()),
}


def promised(schema_md: str, section: str) -> dict[str, pa.DataType]:
    body = schema_md.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    columns: dict[str, pa.DataType] = {}
    for line in body.splitlines():
        m = re.match(r"^\| ([a-z_0-9, ]+) \| ([a-z0-9<>]+)", line)
        if m and m.group(1) != "column":
            for name in m.group(1).split(","):
                columns[name.strip()] = _TYPES[m.group(2)]
    return columns


@pytest.mark.parametrize(("section", "schema", "dataset"),
                         [("projects", schemas.PROJECTS, "projects"), ("indicators", schemas.INDICATORS, "indicators")])
def test_columns_and_types_follow_schema_md(shared: Path, seeds_out: Path, section: str, schema: pa.Schema,
                                            dataset: str) -> None:
    expected = promised((shared / "SCHEMA.md").read_text(encoding="utf-8"), section)
    assert list(expected) == schema.names
    assert {f.name: f.type for f in schema} == expected
    written = pq.read_schema(next((seeds_out / dataset).glob("*.parquet")))
    assert {f.name: f.type for f in written} == expected


def test_manifest_columns_follow_schema_md(shared: Path) -> None:
    text = (shared / "SCHEMA.md").read_text(encoding="utf-8").split("One row per source file per run:", 1)[1]
    listed = re.sub(r"\([^)]*\)", "", text.split(". ", 1)[0])
    assert re.findall(r"`([a-z_0-9]+)`", listed) == schemas.FILES.names

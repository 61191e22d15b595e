"""The datasets' columns, types, nullability and meanings are the ones ../shared/SCHEMA.md promises, read
from that file; `jixiao schema` prints them from the same schemas the parts are written with."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jixiao.pipeline import schemas
from jixiao.pipeline.cli import main

_TYPES = {
    "string": pa.string(), "int32": pa.int32(), "int16": pa.int16(), "float64": pa.float64(), "bool": pa.bool_(),
    "list<string>": pa.list_(pa.string()),
}
_SECTIONS = {"projects": "projects", "indicators": "indicators", "cells": "cells (where each value was printed)"}


def promised(schema_md: str, section: str) -> dict[str, tuple[pa.DataType, bool, str]]:
    """column -> (type, nullable, meaning) from a section's table."""
    body = schema_md.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    columns: dict[str, tuple[pa.DataType, bool, str]] = {}
    for line in body.splitlines():
        m = re.match(r"^\| ([a-z_0-9, ]+) \| ([a-z0-9<>]+)(, null)? \| (.*?) ?\|$", line)
        if m and m.group(1) != "column":
            for name in m.group(1).split(","):
                columns[name.strip()] = (_TYPES[m.group(2)], bool(m.group(3)), m.group(4).replace("\\|", "|"))
    return columns


@pytest.mark.parametrize("dataset", list(_SECTIONS))
def test_columns_types_and_meanings_follow_schema_md(shared: Path, seeds_out: Path, dataset: str) -> None:
    expected = promised((shared / "SCHEMA.md").read_text(encoding="utf-8"), _SECTIONS[dataset])
    schema = schemas.DATASETS[dataset]
    assert list(expected) == schema.names
    assert {f.name: f.type for f in schema} == {name: t for name, (t, _, _) in expected.items()}
    for f in schema:
        _, nullable, meaning = expected[f.name]
        assert f.nullable == nullable, f.name
        if meaning:
            assert schemas.description(f) == meaning, f.name
        assert schemas.description(f), f"{f.name} has no meaning"
    parts = [p for p in (seeds_out / dataset).glob("*.parquet") if p.name != "00-schema.parquet"]
    # Real parts, with rows (cells too), hold exactly these columns and types.
    assert parts and all(pq.read_metadata(p).num_rows > 0 for p in parts)
    for part in parts:
        written = pq.read_schema(part)
        assert written.equals(schema, check_metadata=False)
        assert [schemas.description(f) for f in written] == [schemas.description(f) for f in schema]


def test_manifest_columns_follow_schema_md(shared: Path) -> None:
    text = (shared / "SCHEMA.md").read_text(encoding="utf-8").split("One row per source file per run:", 1)[1]
    listed = re.sub(r"\([^)]*\)", "", text.split(". ", 1)[0])
    assert re.findall(r"`([a-z_0-9]+)`", listed) == schemas.FILES.names


def test_jixiao_schema_prints_the_contract(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema_md = (shared / "SCHEMA.md").read_text(encoding="utf-8")
    assert main(["schema", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert list(printed) == ["projects", "indicators", "cells", "files"]
    for dataset, section in _SECTIONS.items():
        expected = promised(schema_md, section)
        assert [c["column"] for c in printed[dataset]] == list(expected)
        for column in printed[dataset]:
            _, _, meaning = expected[column["column"]]
            assert column["type"].split(",")[0] in _TYPES
            if meaning:
                assert column["meaning"] == meaning
    assert [c["column"] for c in printed["files"]] == schemas.FILES.names
    assert main(["schema"]) == 0
    markdown = capsys.readouterr().out
    assert "## cells" in markdown
    assert "| target_met | bool, null | whether `actual_value` reaches" in markdown

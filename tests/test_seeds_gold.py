"""All 25 seed forms against ../shared/gold, through the real CLI and the project's scorer."""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from conftest import _shared

GOLD_FORMS = [
    (gold_file.name, form["table_index"])
    for gold_file in sorted((_shared() / "gold").glob("*.json"))
    for form in json.loads(gold_file.read_text(encoding="utf-8"))["forms"]
]


def test_scorer_headline_meets_the_bar(shared: Path, seeds_out: Path, scorer: ModuleType) -> None:
    gold = scorer.load_gold([str(shared / "gold")])
    report = scorer.score(gold, scorer.load_table(str(seeds_out), "projects"),
                          scorer.load_table(str(seeds_out), "indicators"))
    assert report["forms"]["expected"] == 25
    assert report["forms"]["found"] == 25 and report["forms"]["extra"] == 0
    assert report["indicators"]["row_f1"] >= 0.98
    assert report["score"] >= 0.97
    flags = report["issues"]
    assert flags["project"]["total"]["fp"] == 0 and flags["project"]["total"]["fn"] == 0
    assert flags["indicator"]["total"]["fp"] == 0 and flags["indicator"]["total"]["fn"] == 0


def form_key_of(gold: dict) -> str:
    """SCHEMA's form_key, computed here from the gold's fields."""
    parts = ["" if gold[k] is None else re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(gold[k])))
             for k in ("year", "department", "project_name")]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@pytest.mark.parametrize(("gold_file", "table_index"), GOLD_FORMS)
def test_form_matches_gold(gold_file: str, table_index: int, shared: Path, seeds_out: Path,
                           scorer: ModuleType) -> None:
    doc = json.loads((shared / "gold" / gold_file).read_text(encoding="utf-8"))
    gold = next(f for f in doc["forms"] if f["table_index"] == table_index)
    projects = pd.read_parquet(seeds_out / "projects")
    indicators = pd.read_parquet(seeds_out / "indicators")
    rows = projects[(projects.source_path == doc["source_path"]) & (projects.table_index == table_index)]
    assert len(rows) == 1
    project = rows.iloc[0].to_dict()
    wrong = {f: (gold[f], project[f]) for f in scorer.PROJECT_FIELDS
             if f in gold and not scorer.compare(f, gold[f], project[f])[0]}
    assert wrong == {}
    assert sorted(project["issues"]) == sorted(gold["issues"])
    # SCHEMA: sha256(source_path:source_sha256:table_index); the gold's own ids predate source_path in the key.
    key = f"{doc['source_path']}:{doc['source_sha256']}:{table_index}"
    assert project["project_id"] == hashlib.sha256(key.encode()).hexdigest()[:16]
    assert project["form_key"] == form_key_of(gold)
    assert project["indicator_count"] == len(gold["indicators"])

    got = indicators[indicators.project_id == project["project_id"]].sort_values("seq").to_dict("records")
    assert [g["name"] for g in gold["indicators"]] == [r["name"] for r in got]
    for g, r in zip(gold["indicators"], got):
        wrong = {f: (g[f], r[f]) for f in scorer.IND_FIELDS if f in g and not scorer.compare(f, g[f], r[f])[0]}
        assert wrong == {}, g["name"]
        assert sorted(r["issues"]) == sorted(g["issues"]), g["name"]

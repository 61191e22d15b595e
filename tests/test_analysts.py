"""What analysts are told to do works: the audit queries of docs/analysts.md, read from that page, run on the
demo's output and agree with pandas; one row per form by form_key; the run summary counts distinct forms."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import REPO, SAMPLES
from test_other_styles import FORM_C

from jixiao.pipeline.cli import main

PAGE = REPO / "docs" / "analysts.md"


def audit_section() -> str:
    return PAGE.read_text(encoding="utf-8").split("\n## Audit questions\n", 1)[1].split("\n## ", 1)[0]


def queries() -> dict[str, str]:
    """The page's DuckDB queries by their opening comment, in the page's order."""
    blocks = re.findall(r"^```sql\n(.*?)^```", audit_section(), re.DOTALL | re.MULTILINE)
    return {block.splitlines()[0].removeprefix("-- "): block for block in blocks}


def run_page(out: Path) -> dict[str, pd.DataFrame]:
    connection = duckdb.connect()
    results = {}
    for name, sql in queries().items():
        relation = connection.sql(sql.replace("'OUT/", f"'{out}/"))
        results[name] = relation.df() if relation is not None else pd.DataFrame()
    return results


def pandas_forms(out: Path) -> pd.DataFrame:
    """The page's pandas recipe for one row per form, run as printed."""
    code = re.findall(r"^```python\n(.*?)^```", audit_section(), re.DOTALL | re.MULTILINE)[0]
    scope: dict = {}
    exec(code.replace('"OUT/', f'"{out}/'), scope)  # noqa: S102 - the documented recipe itself
    return scope["forms"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`jixiao run samples --out …`, as `make demo` runs it, and what it printed."""
    out = tmp_path_factory.mktemp("demo") / "out"
    printed = subprocess.run([sys.executable, "-m", "jixiao.pipeline.cli", "run", str(SAMPLES), "--out", str(out)],
                             capture_output=True, text=True, check=True, cwd=REPO).stdout
    return out, printed


def test_the_audit_questions_on_the_demo(demo: tuple[Path, str]) -> None:
    out, printed = demo
    projects = pd.read_parquet(out / "projects")
    indicators = pd.read_parquet(out / "indicators")
    assert "32 forms (25 distinct)" in printed
    results = run_page(out)
    assert list(results) == ["one row per form", "forms printed more than once", "targets missed",
                             "deviations left unexplained", "self-scoring above the rules",
                             "ratings that disagree with the total"]

    forms = duckdb.sql(f"SELECT * FROM '{out}/projects/*.parquet' QUALIFY row_number() OVER (PARTITION BY form_key "
                       "ORDER BY confidence DESC, extractor = 'ocr', len(issues), source_path, table_index) = 1").df()
    recipe = pandas_forms(out)
    assert len(forms) == len(recipe) == projects.form_key.nunique() == 25
    assert set(forms.project_id) == set(recipe.project_id)
    # Both copies of a form read alike here: the stable choice is the first by path (the text dumps).
    assert set(forms.source_path) >= {"002_9da3ca00a275ab0a.txt", "003_a583d9a954743c2a.txt"}

    twice = results["forms printed more than once"]
    counts = projects.groupby("form_key").size()
    assert sorted(twice.form_key) == sorted(counts[counts > 1].index) and len(twice) == 7
    assert all(len(paths) == 2 for paths in twice.printed_in)

    kept = indicators[indicators.project_id.isin(forms.project_id)]
    missed = results["targets missed"]
    assert len(missed) == kept.target_met.eq(False).sum() > 0
    unexplained = results["deviations left unexplained"]
    assert len(unexplained) == kept.issues.map(lambda f: "missing_deviation_note" in f).sum() > 0
    above = results["self-scoring above the rules"]
    expected = sum(kept.issues.map(lambda f, flag=flag: flag in f).sum()
                   for flag in ("unmet_target_full_score", "score_exceeds_weight"))
    assert len(above[above.rule != "budget score above what execution earns"]) == expected > 0
    assert results["ratings that disagree with the total"].empty  # the demo's forms print no grade


def test_ratings_that_disagree(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    rated = "\n".join([*FORM_C, "自评等级\t优"])  # a total of 89 is 良
    (inbox / "rated.txt").write_text(rated, encoding="utf-8")
    (inbox / "fair.txt").write_text(rated.replace("路灯电费", "公园维护").replace("自评等级\t优", "自评等级：良好"),
                                    encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(inbox), "--out", str(out), "--quiet"]) == 0
    disagree = run_page(out)["ratings that disagree with the total"]
    assert disagree.to_dict("records") == [
        {"project_name": "路灯电费", "total_score": 89.0, "self_rating": "优", "band": "良"}]
    projects = pd.read_parquet(out / "projects").set_index("project_name")
    assert projects.self_rating.to_dict() == {"路灯电费": "优", "公园维护": "良"}


def test_two_identical_files_at_two_paths(tmp_path: Path) -> None:
    """Two project_ids (the paths differ), one form_key (the form is the same)."""
    inbox = tmp_path / "in"
    for folder in ("2024/卫健委", "公开/附件"):
        (inbox / folder).mkdir(parents=True)
        shutil.copy(SAMPLES / "004_ad2826ca3708fa31.txt", inbox / folder / "自评表.txt")
    out = tmp_path / "out"
    assert main(["run", str(inbox), "--out", str(out), "--quiet"]) == 0
    projects = pd.read_parquet(out / "projects")
    per_path = projects.groupby("source_path")
    assert per_path.size().nunique() == 1 and len(per_path) == 2
    assert projects.project_id.is_unique
    first, second = (group.sort_values("table_index") for _, group in per_path)
    assert list(first.form_key) == list(second.form_key) and first.form_key.is_unique
    assert projects.source_sha256.nunique() == 1


def test_the_example_script_deduplicates(demo: tuple[Path, str]) -> None:
    out, _ = demo
    printed = subprocess.run([sys.executable, str(REPO / "examples" / "query.py"), str(out)],
                             capture_output=True, text=True, check=True).stdout
    assert "32 forms, 25 distinct" in printed

"""Query a jixiao output folder with DuckDB: `python examples/query.py OUT`.

DuckDB reads the Parquet datasets in place; pandas or polars read them the same way
(`pd.read_parquet("OUT/projects")`, `pl.read_parquet("OUT/projects/*.parquet")`), see docs/analysts.md.
More questions (targets missed, deviations left unexplained, self-scoring above the rules, ratings
that disagree): docs/analysts.md#audit-questions.
"""
from __future__ import annotations

import sys

import duckdb

out = sys.argv[1] if len(sys.argv) > 1 else "demo-out"
projects, indicators, files = (f"'{out}/{name}/*.parquet'" for name in ("projects", "indicators", "files"))
# The same form printed twice (a text dump and the Word file) has one form_key: keep the most
# confident reading, then a text source over OCR, then the one with fewer flags.
FORMS = f"""forms AS (
    SELECT * FROM {projects}
    QUALIFY row_number() OVER (PARTITION BY form_key
                               ORDER BY confidence DESC, extractor = 'ocr', len(issues), source_path, table_index) = 1)"""

counts = duckdb.sql(f"""WITH {FORMS}
    SELECT (SELECT count(*) FROM {projects}), (SELECT count(*) FROM forms), (SELECT count(*) FROM {indicators})
""").fetchall()[0]
print(f"{counts[0]} forms, {counts[1]} distinct, {counts[2]} indicators")
duckdb.sql(f"""WITH {FORMS}
    SELECT project_name, year, budget_annual, round(execution_rate, 4) AS execution_rate, total_score, issues
    FROM forms ORDER BY source_path, table_index LIMIT 8
""").show(max_width=160)

print("Indicators that missed their target (one row per form)")
duckdb.sql(f"""WITH {FORMS}
    SELECT f.project_name, i.name, i.target_raw, i.actual_raw, i.score, i.weight
    FROM forms f JOIN {indicators} i USING (project_id)
    WHERE i.target_met = false ORDER BY f.project_name, i.seq LIMIT 10
""").show(max_width=160)

print("Mean score ratio by 一级指标 (one row per form)")
duckdb.sql(f"""WITH {FORMS}
    SELECT i.level1, count(*) AS indicators, round(avg(i.score / nullif(i.weight, 0)), 3) AS score_ratio
    FROM {indicators} i JOIN forms USING (project_id)
    GROUP BY i.level1 ORDER BY indicators DESC
""").show()

print("The last run's files by status")
duckdb.sql(f"""
    SELECT status, count(*) AS files FROM {files}
    WHERE run_id = (SELECT max(run_id) FROM {files}) GROUP BY status ORDER BY status
""").show()

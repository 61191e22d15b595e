"""Load a jixiao output folder with pandas and DuckDB: `python examples/query.py OUT`.

More questions (targets missed, deviations left unexplained, self-scoring above the rules, ratings
that disagree): docs/analysts.md#audit-questions.
"""
from __future__ import annotations

import sys

import duckdb
import pandas as pd

out = sys.argv[1] if len(sys.argv) > 1 else "demo-out"

projects = pd.read_parquet(f"{out}/projects")
indicators = pd.read_parquet(f"{out}/indicators")
# The same form printed twice (a text dump and the Word file) has one form_key: keep the most
# confident reading, then a text source over OCR, then the one with fewer flags.
forms = (projects.assign(ocr=projects.extractor.eq("ocr"), flags=projects.issues.str.len())
         .sort_values(["confidence", "ocr", "flags", "source_path", "table_index"],
                      ascending=[False, True, True, True, True])
         .drop_duplicates("form_key"))
print(f"pandas: {len(projects)} forms, {len(forms)} distinct, {len(indicators)} indicators")
print(forms[["project_name", "year", "budget_annual", "execution_rate", "total_score", "issues"]]
      .head(8).to_string(index=False))

print("\nDuckDB: one row per form, and its indicators that missed their target")
print(duckdb.sql(f"""
    WITH forms AS (
        SELECT * FROM '{out}/projects/*.parquet'
        QUALIFY row_number() OVER (PARTITION BY form_key
                                   ORDER BY confidence DESC, extractor = 'ocr', len(issues), source_path) = 1)
    SELECT f.project_name, i.name, i.target_raw, i.actual_raw, i.score, i.weight
    FROM forms f JOIN '{out}/indicators/*.parquet' i USING (project_id)
    WHERE i.target_met = false ORDER BY f.project_name, i.seq LIMIT 10
""").df().to_string(index=False))

print("\nDuckDB: mean score ratio by 一级指标 (one row per form)")
print(duckdb.sql(f"""
    WITH forms AS (SELECT DISTINCT ON (form_key) project_id FROM '{out}/projects/*.parquet'
                   ORDER BY form_key, confidence DESC, source_path)
    SELECT i.level1, count(*) AS indicators, round(avg(i.score / nullif(i.weight, 0)), 3) AS score_ratio
    FROM '{out}/indicators/*.parquet' i JOIN forms USING (project_id)
    GROUP BY i.level1 ORDER BY indicators DESC
""").df().to_string(index=False))

print("\nDuckDB: the last run's files by status")
print(duckdb.sql(f"""
    SELECT status, count(*) AS files FROM '{out}/files/*.parquet'
    WHERE run_id = (SELECT max(run_id) FROM '{out}/files/*.parquet') GROUP BY status
""").df().to_string(index=False))

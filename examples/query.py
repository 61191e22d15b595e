"""Query a jixiao output folder with DuckDB: `python examples/query.py OUT`.

DuckDB reads the Parquet datasets in place; pandas or polars read them the same way
(`pd.read_parquet("OUT/projects")`, `pl.read_parquet("OUT/projects/*.parquet")`), see docs/analysts.md.
"""
from __future__ import annotations

import sys

import duckdb

out = sys.argv[1] if len(sys.argv) > 1 else "demo-out"
projects, indicators, files = (f"'{out}/{name}/*.parquet'" for name in ("projects", "indicators", "files"))

counts = duckdb.sql(f"SELECT (SELECT count(*) FROM {projects}), (SELECT count(*) FROM {indicators})").fetchall()[0]
print(f"{counts[0]} projects, {counts[1]} indicators")
duckdb.sql(f"""
    SELECT project_name, year, budget_annual, round(execution_rate, 4) AS execution_rate, total_score, issues
    FROM {projects} ORDER BY source_path, table_index LIMIT 8
""").show(max_width=160)

print("Mean score ratio by 一级指标")
duckdb.sql(f"""
    SELECT i.level1, count(*) AS indicators, round(avg(i.score / nullif(i.weight, 0)), 3) AS score_ratio
    FROM {indicators} i JOIN {projects} p USING (project_id)
    GROUP BY i.level1 ORDER BY indicators DESC
""").show()

print("The last run's files by status")
duckdb.sql(f"""
    SELECT status, count(*) AS files FROM {files}
    WHERE run_id = (SELECT max(run_id) FROM {files}) GROUP BY status ORDER BY status
""").show()

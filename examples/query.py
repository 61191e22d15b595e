"""Load a jixiao output folder with pandas and DuckDB: `python examples/query.py OUT`."""
from __future__ import annotations

import sys

import duckdb
import pandas as pd

out = sys.argv[1] if len(sys.argv) > 1 else "demo-out"

projects = pd.read_parquet(f"{out}/projects")
indicators = pd.read_parquet(f"{out}/indicators")
print(f"pandas: {len(projects)} projects, {len(indicators)} indicators")
print(projects[["project_name", "year", "budget_annual", "execution_rate", "total_score", "issues"]]
      .head(8).to_string(index=False))

print("\nDuckDB: mean score ratio by 一级指标")
print(duckdb.sql(f"""
    SELECT i.level1, count(*) AS indicators, round(avg(i.score / nullif(i.weight, 0)), 3) AS score_ratio
    FROM '{out}/indicators/*.parquet' i JOIN '{out}/projects/*.parquet' p USING (project_id)
    GROUP BY i.level1 ORDER BY indicators DESC
""").df().to_string(index=False))

print("\nDuckDB: the last run's files by status")
print(duckdb.sql(f"""
    SELECT status, count(*) AS files FROM '{out}/files/*.parquet'
    WHERE run_id = (SELECT max(run_id) FROM '{out}/files/*.parquet') GROUP BY status
""").df().to_string(index=False))

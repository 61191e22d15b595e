"""The pyarrow schemas of the three datasets, declared once (SCHEMA.md is the contract)."""
from __future__ import annotations

import pyarrow as pa

_F64 = pa.float64()
_STR = pa.string()
_FLAGS = pa.list_(pa.string())

PROJECTS = pa.schema(
    [
        pa.field("project_id", _STR, nullable=False),
        pa.field("source_path", _STR, nullable=False),
        pa.field("source_sha256", _STR, nullable=False),
        pa.field("source_format", _STR, nullable=False),
        pa.field("table_index", pa.int32(), nullable=False),
        pa.field("page_start", pa.int32()),
        pa.field("page_end", pa.int32()),
        pa.field("year", pa.int16()),
        pa.field("project_name", _STR),
        pa.field("department", _STR),
        pa.field("department_code", _STR),
        pa.field("implementing_unit", _STR),
        pa.field("implementing_unit_code", _STR),
        pa.field("project_lead", _STR),
        pa.field("contact_phone", _STR),
        *(
            pa.field(name, _F64)
            for name in (
                "budget_initial", "budget_annual", "budget_executed", "budget_weight",
                "execution_rate", "budget_score",
                "fiscal_initial", "fiscal_annual", "fiscal_executed",
                "carryover_initial", "carryover_annual", "carryover_executed",
                "other_initial", "other_annual", "other_executed",
            )
        ),
        pa.field("goal_expected", _STR),
        pa.field("goal_actual", _STR),
        pa.field("total_weight", _F64),
        pa.field("total_score", _F64),
        pa.field("indicator_count", pa.int32(), nullable=False),
        pa.field("issues", _FLAGS, nullable=False),
        pa.field("extractor", _STR, nullable=False),
        pa.field("confidence", _F64, nullable=False),
    ]
)

INDICATORS = pa.schema(
    [
        pa.field("project_id", _STR, nullable=False),
        pa.field("seq", pa.int32(), nullable=False),
        pa.field("level1", _STR),
        pa.field("level1_raw", _STR),
        pa.field("level1_weight", _F64),
        pa.field("level2", _STR),
        pa.field("level2_raw", _STR),
        pa.field("name", _STR, nullable=False),
        pa.field("target_raw", _STR),
        pa.field("target_op", _STR),
        pa.field("target_value", _F64),
        pa.field("target_unit", _STR),
        pa.field("actual_raw", _STR),
        pa.field("actual_value", _F64),
        pa.field("actual_unit", _STR),
        pa.field("weight", _F64),
        pa.field("score", _F64),
        pa.field("deviation_note", _STR),
        pa.field("issues", _FLAGS, nullable=False),
    ]
)

FILES = pa.schema(
    [
        pa.field("source_path", _STR, nullable=False),
        pa.field("source_sha256", _STR),
        pa.field("source_format", _STR),
        pa.field("status", _STR, nullable=False),
        pa.field("error", _STR),
        pa.field("forms", pa.int32(), nullable=False),
        pa.field("seconds", _F64, nullable=False),
        pa.field("run_id", _STR, nullable=False),
        pa.field("finished_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)

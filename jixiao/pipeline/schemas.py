"""The pyarrow schemas of the four datasets, declared once (SCHEMA.md is the contract).

Each field carries its meaning as field metadata (`description`), so the Parquet files
carry it too and `jixiao schema` prints the data dictionary from here.
"""
from __future__ import annotations

import pyarrow as pa

DESCRIPTION = b"description"

_F64 = pa.float64()
_STR = pa.string()
_I32 = pa.int32()
_FLAGS = pa.list_(pa.string())


def _field(name: str, type_: pa.DataType, meaning: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={DESCRIPTION: meaning.encode()})


def description(field: pa.Field) -> str:
    return (field.metadata or {}).get(DESCRIPTION, b"").decode()


def _budget(prefix: str, meaning: str) -> list[pa.Field]:
    return [_field(f"{prefix}_{slot}", _F64, meaning) for slot in ("initial", "annual", "executed")]


PROJECTS = pa.schema(
    [
        _field("project_id", _STR, "unique key of the row in `OUT`: first 16 hex of sha256(`source_path` + \":\" + "
               "`source_sha256` + \":\" + `table_index`); stable while the file's path and content stay the same. "
               "Two identical files at two paths give two distinct ids", nullable=False),
        _field("form_key", _STR, "the same form wherever it is printed: first 16 hex of sha256(`year` + \"|\" + "
               "`department` + \"|\" + `project_name`), each NFKC-normalised with all whitespace removed, null as the "
               "empty string. A form published as .docx and again inside a PDF report has one `form_key` and two "
               "`project_id`s", nullable=False),
        _field("source_path", _STR, "path of the source file relative to the input root, `/`-separated",
               nullable=False),
        _field("source_sha256", _STR, "sha256 of the source file's bytes", nullable=False),
        _field("source_format", _STR, "`txt`, `docx`, `doc`, `xlsx`, `xls`, `html`, `pdf` (text layer), "
               "`pdf_scanned`, `image`", nullable=False),
        _field("table_index", _I32, "0-based order of the form inside the file", nullable=False),
        _field("page_start", _I32, "1-based pages for PDF and images, null elsewhere"),
        _field("page_end", _I32, "1-based pages for PDF and images, null elsewhere"),
        _field("year", pa.int16(), "年度 of the form, e.g. 2024 from \"（2024年度）\""),
        _field("project_name", _STR, "项目名称", nullable=False),
        _field("department", _STR, "主管部门, with a leading/trailing numeric code removed"),
        _field("department_code", _STR, "that code, e.g. \"162001\" from \"…卫生健康委员会162001\", \"219\" from "
               "\"219-池州市…\""),
        _field("implementing_unit", _STR, "实施单位, code removed the same way"),
        _field("implementing_unit_code", _STR, "the code removed from 实施单位"),
        _field("project_lead", _STR, "项目负责人"),
        _field("contact_phone", _STR, "联系电话"),
        _field("budget_initial", _F64, "年度资金总额 · 年初预算数"),
        _field("budget_annual", _F64, "年度资金总额 · 全年预算数"),
        _field("budget_executed", _F64, "年度资金总额 · 全年执行数"),
        _field("budget_weight", _F64, "年度资金总额 · 分值 (usually 10)"),
        _field("execution_rate", _F64, "执行率 as printed, as a fraction"),
        _field("budget_score", _F64, "年度资金总额 · 得分"),
        *_budget("fiscal", "其中：当年财政拨款 (also 本年财政拨款)"),
        *_budget("carryover", "上年结转资金"),
        *_budget("other", "其他资金"),
        _field("goal_expected", _STR, "年度总体目标 · 预期目标"),
        _field("goal_actual", _STR, "年度总体目标 · 实际完成情况"),
        _field("total_weight", _F64, "总分 / 总计 / 合计 row · 分值 (usually 100)"),
        _field("total_score", _F64, "that row's 得分"),
        _field("self_rating", _STR, "自评等级 / 评价等级 / 自评结果 as printed on the form (`优`, `良`, `中`, `差`), "
               "null when the form prints none"),
        _field("indicator_count", _I32, "rows this project has in `indicators`", nullable=False),
        _field("issues", _FLAGS, "data-quality flags, see below", nullable=False),
        _field("extractor", _STR, "which extractor produced it, e.g. `txt`, `docx`, `pdf_text`, `ocr`",
               nullable=False),
        _field("confidence", _F64, "0..1; 1.0 for text sources, mean OCR confidence for scans", nullable=False),
        _field("reader_version", _STR, "the version of jixiao's reading (extractors and normalizers) that produced "
               "this row, e.g. `0.2.0+r3`; a run re-reads unchanged files whose rows an older reading produced (see "
               "the README)", nullable=False),
    ]
)

INDICATORS = pa.schema(
    [
        _field("project_id", _STR, "joins `projects`", nullable=False),
        _field("seq", _I32, "0-based order inside the project, top to bottom", nullable=False),
        _field("level1", _STR, "canonical 一级指标: `产出指标`, `效益指标`, `满意度指标`, `成本指标`", nullable=False),
        _field("level1_raw", _STR, "as printed, e.g. \"产出 指标 (40分)\", \"效果指标\""),
        _field("level1_weight", _F64, "the \"(40分)\" annotation, when printed"),
        _field("level2", _STR, "canonical 二级指标: `数量指标` `质量指标` `时效指标` `成本指标` `经济成本指标` "
               "`社会成本指标` `生态环境成本指标` `经济效益指标` `社会效益指标` `生态效益指标` `可持续影响指标` "
               "`服务对象满意度指标`", nullable=False),
        _field("level2_raw", _STR, "as printed, e.g. \"社会效益\""),
        _field("name", _STR, "三级指标", nullable=False),
        _field("target_raw", _STR, "年度指标值 as printed"),
        _field("target_op", _STR, "one of `=` `≥` `≤` `>` `<` (≧→≥, ≦→≤, 不低于→≥, 不高于/不超过→≤, 等于→=)"),
        _field("target_value", _F64, "the number in the target as printed (90 for \"≥90%\"), when the cell holds "
               "exactly one number; null for none or several (\"2024年10月\", \"1-2工作日\")"),
        _field("target_unit", _STR, "the unit right after that number, longest match from the unit list below; null "
               "when none matches"),
        _field("actual_raw", _STR, "实际完成值 as printed"),
        _field("actual_value", _F64, "the number in the actual value, read as for `target_value`"),
        _field("actual_unit", _STR, "its unit, read as for `target_unit`"),
        _field("weight", _F64, "分值"),
        _field("score", _F64, "得分"),
        _field("deviation_note", _STR, "偏差原因分析及改进措施 / 未完成原因分析 / 偏差原因分析 / 原因分析及改进措施"),
        _field("target_met", pa.bool_(), "whether `actual_value` reaches `target_value` in the target's direction: "
               "`≥` `>` higher is better, `≤` `<` lower is better, `=` equal within 0.5%; a target with no operator "
               "is `≤` when its level1 or level2 is a 成本指标 (经济/社会/生态环境成本指标 too) and `≥` otherwise. "
               "Null unless both values are numbers with the same unit (both null counts as the same)"),
        _field("issues", _FLAGS, "flags for this row", nullable=False),
    ]
)

_BOX = "the cell's box on that page: PDF points from the top-left of the page as it reads upright, or pixels of the " \
       "image as given"

CELLS = pa.schema(
    [
        _field("project_id", _STR, "joins `projects`", nullable=False),
        _field("seq", _I32, "the indicator's `seq`; null for a project field"),
        _field("field", _STR, "the column it fed, e.g. `budget_executed`, `target_raw`, `score` (a cell that feeds "
               "`target_raw`, `target_op`, `target_value` and `target_unit` has one row, field `target_raw`)",
               nullable=False),
        _field("text", _STR, "the cell's text as read, before any parsing", nullable=False),
        _field("page", _I32, "1-based page (PDF, scans, images); null elsewhere"),
        *(_field(name, _F64, _BOX) for name in ("x0", "top", "x1", "bottom")),
        _field("confidence", _F64, "1.0 for text sources, the OCR confidence for scans", nullable=False),
        _field("locator", _STR, "where a person finds it: `page 3` (PDF, images), `sheet 项目支出!D12` (.xlsx/.xls: "
               "the sheet's name and the cell's A1 address, hidden rows and columns counted), `table 2, row 12, "
               "column 4` (.docx/.doc/.html: 1-based), `line 48` (text exports)", nullable=False),
    ]
)

FILES = pa.schema(
    [
        _field("source_path", _STR, "path of the source file relative to the input root, `/`-separated",
               nullable=False),
        _field("source_sha256", _STR, "sha256 of the source file's bytes; null when it could not be read"),
        _field("source_format", _STR, "the format its content was read as; null when none was recognised"),
        _field("status", _STR, "`ok`, `failed`, `skipped_unchanged`, `no_forms`", nullable=False),
        _field("error", _STR, "null or one line: `stage/category: reason`"),
        _field("forms", _I32, "forms read from the file in this run (kept, for a file skipped unchanged)",
               nullable=False),
        _field("seconds", _F64, "time spent reading it", nullable=False),
        _field("run_id", _STR, "the run; `max(run_id)` is the latest", nullable=False),
        _field("finished_at", pa.timestamp("us", tz="UTC"), "when the file was done (UTC)", nullable=False),
        _field("reader_version", _STR, "the version of jixiao's reading that read it; null for a file not read in "
               "that run"),
    ]
)

DATASETS: dict[str, pa.Schema] = {"projects": PROJECTS, "indicators": INDICATORS, "cells": CELLS, "files": FILES}

"""A level column whose header lost its numeral (二级指标 read as 级指标: a 1-bit fax drops the two
thin strokes of 二) still names its column, on every form of real documents of two styles."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from jixiao.extractors import extract, sniff_format
from jixiao.grid import Grid
from jixiao.normalizers import normalize

LEVEL_HEADERS = {"一级指标": "level1", "二级指标": "level2", "三级指标": "name"}


def damaged(grid: Grid, header: str, reading: str) -> tuple[Grid, int]:
    """The grid with every cell printing `header` read as `reading`; and how many there were."""
    count = 0
    tables = []
    for table in grid.tables:
        cells = []
        for cell in table.cells:
            if "".join(cell.text.split()) == header:
                cell, count = replace(cell, text=reading), count + 1
            cells.append(cell)
        tables.append(replace(table, cells=cells))
    return replace(grid, tables=tables), count


@pytest.mark.parametrize("doc", ["docx/a_docx_03.docx", "xlsx/a_xlsx_06.xlsx"])
@pytest.mark.parametrize(("header", "reading"), [("二级指标", "级指标"), ("二级指标", "=级指标"),
                                                 ("一级指标", "级指标"), ("三级指标", "级指标")])
def test_a_level_header_without_its_numeral_names_its_column(shared: Path, doc: str, header: str,
                                                              reading: str) -> None:
    path = shared / "corpus" / doc
    data = path.read_bytes()
    grid, count = damaged(extract(sniff_format(data[:8192], data), data), header, reading)
    assert count >= 1
    gold = json.loads((shared / "corpus" / "gold" / f"{path.stem}.json").read_text(encoding="utf-8"))["forms"]
    result = normalize(grid)
    assert len(result.forms) == len(gold)
    for want, got in zip(gold, result.forms, strict=True):
        assert [(i.level1, i.level2, i.name) for i in got.indicators] == [
            (i["level1"], i["level2"], i["name"]) for i in want["indicators"]]
    assert reading not in result.unmapped_headers


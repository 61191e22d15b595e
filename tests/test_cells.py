"""`cells`: every value read from a cell says where it was printed, and that place, read with another library
than the one jixiao read it with, prints the value the corpus gold says (SCHEMA.md § cells)."""
from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import lxml.etree
import lxml.html
import openpyxl
import pandas as pd
import pdfplumber
import pytest
from conftest import MADE_SCAN, MADE_SCAN_OF, ProvenanceRun, run_on

from jixiao.extractors.text import extract_text
from jixiao.grid import Cell, Origin, column_letters, locator
from jixiao.normalizers.cleaning import clean_text
from jixiao.normalizers.values import parse_number, parse_rate, parse_year

# The columns whose values are read from a cell of their own (SCHEMA: derived values have no row).
PROJECT_READ = ("year", "project_name", "department", "implementing_unit", "project_lead", "contact_phone",
                *(f"{p}_{s}" for p in ("budget", "fiscal", "carryover", "other") for s in ("initial", "annual", "executed")),
                "budget_weight", "execution_rate", "budget_score", "goal_expected", "goal_actual", "total_weight",
                "total_score")
INDICATOR_READ = ("level1_raw", "level2_raw", "name", "target_raw", "actual_raw", "weight", "score", "deviation_note")
NUMBERS = {f"{p}_{s}" for p in ("budget", "fiscal", "carryover", "other") for s in ("initial", "annual", "executed")} | {
    "budget_weight", "budget_score", "total_weight", "total_score", "weight", "score"}
# Printed with a label, a code or another value in the same cell or line: the value is part of the text.
WITHIN = {"project_name", "department", "implementing_unit", "project_lead", "contact_phone", "goal_expected",
          "goal_actual", "year"}
_SPACE = re.compile(r"\s+")


def norm(text: object) -> str:
    """Text to compare: export markup removed (as SCHEMA says), NFKC, no whitespace."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", clean_text(str(text))))


@pytest.fixture(scope="module")
def datasets(provenance_run: ProvenanceRun) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    out = provenance_run.out
    return (pd.read_parquet(out / "projects"), pd.read_parquet(out / "indicators"), pd.read_parquet(out / "cells"))


def test_every_row_joins_a_value_and_every_value_read_has_a_row(datasets: tuple[pd.DataFrame, ...]) -> None:
    projects, indicators, cells = datasets
    assert set(projects.source_format) == {"txt", "docx", "xlsx", "html", "pdf", "pdf_scanned"}
    expected: set[tuple[str, int | None, str]] = set()
    for row in projects.itertuples():
        expected.update((row.project_id, None, c) for c in PROJECT_READ if pd.notna(getattr(row, c)) and getattr(row, c) != "")
    for row in indicators.itertuples():
        expected.update((row.project_id, row.seq, c) for c in INDICATOR_READ if pd.notna(getattr(row, c)))
    keys = {(r.project_id, None if pd.isna(r.seq) else int(r.seq), r.field) for r in cells.itertuples()}
    assert keys == expected
    # One row per value, but for a text printed over several cells (a row per cell): a goal text, and
    # an indicator's text that a page break split in a scan (the rest opens the next page).
    repeated = cells[cells.duplicated(["project_id", "seq", "field"], keep=False)]
    assert set(repeated.field) <= {"goal_expected", "goal_actual", "name", "target_raw", "actual_raw", "deviation_note"}
    split = repeated[repeated.seq.notna()].merge(projects[["project_id", "source_format"]], on="project_id")
    assert set(split.source_format) <= {"pdf_scanned"}
    assert all(len(set(group.page)) == len(group) for _, group in split.groupby(["project_id", "seq", "field"]))


def test_boxes_pages_and_locators_follow_the_format(datasets: tuple[pd.DataFrame, ...]) -> None:
    projects, _, cells = datasets
    cells = cells.merge(projects[["project_id", "source_format"]], on="project_id")
    patterns = {"txt": r"line \d+", "docx": r"table \d+, row \d+, column \d+|text above table \d+, line \d+",
                "html": r"table \d+, row \d+, column \d+|text above table \d+, line \d+", "xlsx": r"sheet .+![A-Z]+\d+",
                "pdf": r"page \d+", "pdf_scanned": r"page \d+"}
    for fmt, pattern in patterns.items():
        mine = cells[cells.source_format == fmt]
        assert len(mine) > 100 and mine.locator.str.fullmatch(pattern).all(), fmt
        paged = fmt.startswith("pdf")
        assert mine.page.notna().all() == paged and mine.x0.notna().all() == paged, fmt
        assert (mine.locator == "page " + mine.page.astype("Int64").astype(str)).all() if paged else mine.page.isna().all()
        assert ((mine.confidence == 1.0).all()) == (fmt != "pdf_scanned"), fmt
    boxed = cells[cells.x0.notna()]
    assert ((boxed.x0 < boxed.x1) & (boxed.top < boxed.bottom) & (boxed.x0 >= 0) & (boxed.top >= 0)).all()


# --- the text at each locator, read with another library ---------------------------------------------------


class Source:
    """Reads what a source prints at a locator."""

    def text(self, cell: Any) -> Any:
        raise NotImplementedError

    def matches(self, field: str, gold: Any, cells: list[Any]) -> bool:
        found = [self.text(c) for c in cells]
        if field in NUMBERS or field == "execution_rate":
            parse = parse_rate if field == "execution_rate" else parse_number
            values = [v if isinstance(v, (int, float)) else parse(clean_text(str(v))) for v in found]
            return len(values) == 1 and values[0] is not None and abs(values[0] - gold) < 1e-6
        if field == "year":
            return parse_year(str(found[0])) == gold
        printed = norm("".join(str(v) for v in found))
        return norm(gold) in printed if field in WITHIN else norm(gold) == printed


class Workbook(Source):
    """A cell's value, or its formula where the file keeps no value for it (typed as "=100%")."""

    def __init__(self, path: Path) -> None:
        self.values = openpyxl.load_workbook(path, data_only=True)
        self.formulas = openpyxl.load_workbook(path)

    def text(self, cell: Any) -> Any:
        sheet, address = re.fullmatch(r"sheet (.+)!([A-Z]+\d+)", cell.locator).groups()
        value = self.values[sheet][address].value
        return self.formulas[sheet][address].value if value is None else value


def _between_tables(root: Any, table_tag: str, text_of: Callable[[Any], str]) -> list[str]:
    """The text printed outside tables: before table 1, after table 1 (up to the next), …"""
    parts = [""]
    depth = 0
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        if el.tag == table_tag:
            if event == "start":
                depth += 1
                parts.append("")
            else:
                depth -= 1
                parts[-1] += (el.tail or "") if depth == 0 else ""
        elif depth == 0:
            parts[-1] += text_of(el) if event == "start" else (el.tail or "")
    return parts


class WordDocument(Source):
    def __init__(self, path: Path) -> None:
        document = docx.Document(str(path))
        body = document.element.body
        tag = docx.oxml.ns.qn("w:tbl")
        # Every table, nested ones too, in document order, as python-docx reads each.
        self.tables = [docx.table.Table(tbl, document._body) for tbl in body.iter(tag)]
        self.grids: dict[int, tuple[list[Any], int]] = {}
        t = docx.oxml.ns.qn("w:t")
        self.loose = _between_tables(body, tag, lambda el: (el.text or "") if el.tag == t else "")

    def text(self, cell: Any) -> Any:
        if m := re.fullmatch(r"table (\d+), row (\d+), column (\d+)", cell.locator):
            number, row, column = map(int, m.groups())
            if number not in self.grids:
                # What table.cell(r, c) reads, made once: it walks the whole table at each call.
                table = self.tables[number - 1]
                self.grids[number] = (table._cells, table._column_count)
            cells, width = self.grids[number]
            return cells[(row - 1) * width + column - 1].text
        number = int(re.fullmatch(r"text above table (\d+), line \d+", cell.locator).group(1))
        return self.loose[number - 1]


class WebPage(Source):
    def __init__(self, path: Path) -> None:
        root = lxml.html.document_fromstring(path.read_bytes())
        self.tables = [self._model(t) for t in root.iter("table")]
        self.loose = _between_tables(root, "table", lambda el: el.text or "")

    @staticmethod
    def _model(table: Any) -> dict[tuple[int, int], str]:
        """The HTML table model: each cell at the first column its row leaves free."""
        rows = [tr for child in table for tr in ([child] if child.tag == "tr" else child.findall("tr")
                                                 if child.tag in ("thead", "tbody", "tfoot") else [])]
        taken: dict[tuple[int, int], str] = {}
        placed: dict[tuple[int, int], str] = {}
        for r, tr in enumerate(rows):
            c = 0
            for td in tr:
                if td.tag not in ("td", "th"):
                    continue
                while (r, c) in taken:
                    c += 1
                placed[(r, c)] = td.text_content()
                for dr in range(int(td.get("rowspan", 1))):
                    for dc in range(int(td.get("colspan", 1))):
                        taken[(r + dr, c + dc)] = ""
                c += int(td.get("colspan", 1))
        return placed

    def text(self, cell: Any) -> Any:
        if m := re.fullmatch(r"table (\d+), row (\d+), column (\d+)", cell.locator):
            number, row, column = map(int, m.groups())
            return self.tables[number - 1][(row - 1, column - 1)]
        number = int(re.fullmatch(r"text above table (\d+), line \d+", cell.locator).group(1))
        return self.loose[number - 1]


class TextExport(Source):
    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        self.lines = data.decode("utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8").splitlines()

    def text(self, cell: Any) -> Any:
        return self.lines[int(cell.locator.removeprefix("line ")) - 1]

    def matches(self, field: str, gold: Any, cells: list[Any]) -> bool:
        if field not in NUMBERS and field != "execution_rate":
            # The value starts on that line (a quoted cell or a goal may go on over the next ones).
            start = int(cells[0].locator.removeprefix("line ")) - 1
            if field == "year":
                return parse_year(self.lines[start]) == gold
            at = norm("".join(self.lines[start:start + 40])).find(norm(str(gold)))
            return 0 <= at < len(norm(self.lines[start]))
        parse = parse_rate if field == "execution_rate" else parse_number
        fields = [f for line in (self.text(c) for c in cells) for f in re.split(r"[\t,]", line)]
        return any((v := parse(clean_text(f))) is not None and abs(v - gold) < 1e-6 for f in fields)


class PdfPages(Source):
    """The text layer within each box, a point of slack around it (boxes are rounded to 0.01 pt)."""

    def __init__(self, path: Path, slack: float = 1.0) -> None:
        self.pdf = pdfplumber.open(path)
        self.slack = slack

    def text(self, cell: Any) -> Any:
        page = self.pdf.pages[int(cell.page) - 1]
        box = (max(cell.x0 - self.slack, 0), max(cell.top - self.slack, 0), min(cell.x1 + self.slack, page.width),
               min(cell.bottom + self.slack, page.height))
        return page.within_bbox(box).extract_text()

    def matches(self, field: str, gold: Any, cells: list[Any]) -> bool:
        if super().matches(field, gold, cells):
            return True
        # A cell the page break cut: its box is its part on the first page, which prints the text's start.
        found = norm("".join(self.text(c) for c in cells))
        last = cells[-1]
        return field not in NUMBERS and bool(found) and norm(gold).startswith(found) and \
            last.bottom > 0.85 * float(self.pdf.pages[int(last.page) - 1].height)


def _gold_forms(shared: Path, name: str) -> list[dict[str, Any]]:
    folder = shared / ("gold" if name[0].isdigit() else "corpus/gold")
    return json.loads((folder / f"{Path(name).stem}.json").read_text(encoding="utf-8"))["forms"]


Rows = dict[tuple[str, int | None, str], list[Any]]


def _by_value(cells: pd.DataFrame) -> Rows:
    rows: Rows = {}
    for row in cells.itertuples():
        rows.setdefault((row.project_id, None if pd.isna(row.seq) else int(row.seq), row.field), []).append(row)
    return rows


def _check(source: Source, gold: dict[str, Any], project_id: str, rows: Rows) -> tuple[int, list[str]]:
    """Each gold value: has it a `cells` row, and does the source print it there? (checked, failures)"""
    checked, failures = 0, []
    values = [(None, f, gold[f]) for f in PROJECT_READ] + [
        (i["seq"], f, i[f]) for i in gold["indicators"] for f in INDICATOR_READ]
    for seq, field, value in values:
        if value is None:
            continue
        found = rows.get((project_id, seq, field))
        if not found:
            failures.append(f"{seq} {field}: no row")
            continue
        checked += 1
        if not source.matches(field, value, found):
            failures.append(f"{seq} {field}: gold {value!r}, at {found[0].locator} {[source.text(c) for c in found]!r}")
    return checked, failures


READERS: dict[str, Callable[[Path], Source]] = {"txt": TextExport, "docx": WordDocument, "html": WebPage,
                                                "xlsx": Workbook, "pdf": PdfPages}


@pytest.mark.parametrize("fmt", list(READERS))
def test_the_source_prints_the_gold_value_where_the_row_says(fmt: str, shared: Path, provenance_run: ProvenanceRun,
                                                          datasets: tuple[pd.DataFrame, ...]) -> None:
    projects, _, cells = datasets
    rows = _by_value(cells)
    checked, failures = 0, []
    for name in sorted(set(projects[projects.source_format == fmt].source_path)):
        source = READERS[fmt](provenance_run.folder / name)
        ids = projects[projects.source_path == name].set_index("table_index").project_id
        for gold in _gold_forms(shared, name):
            done, failed = _check(source, gold, ids[gold["table_index"]], rows)
            checked += done
            failures += [f"{name}: {f}" for f in failed]
    assert not failures, "\n".join(failures[:20])
    assert checked > 300


def test_a_scans_boxes_are_on_the_page_as_given(shared: Path, corpus: Path, provenance_run: ProvenanceRun,
                                               datasets: tuple[pd.DataFrame, ...]) -> None:
    """The scan made of a text PDF's page: its boxes, put on that PDF's page, hold the gold's text."""
    projects, _, cells = datasets
    scanned = projects[projects.source_path == MADE_SCAN]
    assert set(scanned.source_format) == {"pdf_scanned"} and set(scanned.extractor) == {"ocr"}
    name, page = MADE_SCAN_OF
    gold = next(f for f in _gold_forms(shared, name) if f["page_start"] == page == f["page_end"])
    mine = cells[cells.project_id == scanned.project_id.iloc[0]]
    assert set(mine.page) == {1} and (mine.confidence < 1).any()
    checked, failures = _check(PdfPages(corpus / "pdf" / f"{name}.pdf", slack=2.0), gold, scanned.project_id.iloc[0],
                               _by_value(cells))
    assert not failures, "\n".join(failures[:20])
    assert checked > 40


# --- how the grid says where a cell is --------------------------------------------------------------------


def test_locator_formats() -> None:
    assert [column_letters(c) for c in (0, 3, 25, 26, 27, 701, 702)] == ["A", "D", "Z", "AA", "AB", "ZZ", "AAA"]
    cell = Cell("4104.267", row=11, col=3)
    assert locator(Origin("sheet", name="项目支出"), cell) == "sheet 项目支出!D12"
    assert locator(Origin("table", number=2), cell) == "table 2, row 12, column 4"
    assert locator(Origin("lines"), Cell("x", row=3, col=2, source=(47, 2))) == "line 48"
    assert locator(Origin("text", number=3), Cell("（2024年度）", row=1, col=0)) == "text above table 3, line 2"
    assert locator(None, Cell("x", 0, 0, page=3, bbox=(1, 2, 3, 4))) == "page 3"


def test_hidden_rows_and_columns_are_counted(corpus: Path, tmp_path: Path) -> None:
    """A corpus workbook with a row and a column hidden above and left of the form's values: the
    locators still name the cells that hold them."""
    book = openpyxl.load_workbook(corpus / "xlsx" / "a_xlsx_01.xlsx")
    sheet = book.worksheets[0]
    sheet.row_dimensions[2].hidden = True  # the year line
    sheet.column_dimensions["B"].hidden = True  # the 一级指标 column
    buffer = io.BytesIO()
    book.save(buffer)
    out = run_on(tmp_path, "hidden.xlsx", buffer.getvalue())
    cells = pd.read_parquet(out / "cells")
    projects = pd.read_parquet(out / "projects")
    first = projects[projects.table_index == 0].project_id.iloc[0]
    source = Workbook(tmp_path / "hidden_xlsx" / "hidden.xlsx")
    mine = cells[cells.project_id == first]
    row = mine[(mine.field == "budget_executed")].iloc[0]
    assert row.locator == f"sheet {sheet.title}!F6" and source.text(row) == 4104.267
    names = mine[mine.field == "name"]
    assert len(names) == 17 and all(source.text(r) == r.text for r in names.itertuples())


def test_text_exports_keep_the_line_each_cell_starts_on(shared: Path) -> None:
    """Rows, one cell per line, CSV and quoted cells with line breaks: each cell starts on its line."""
    rows_layout = (shared / "seeds" / "003_a583d9a954743c2a.txt").read_text(encoding="utf-8")
    cells_layout = (shared / "seeds" / "004_ad2826ca3708fa31.txt").read_text(encoding="utf-8")
    rows = [row for row in csv.reader(io.StringIO(rows_layout), delimiter="\t")]
    quoted = io.StringIO()
    csv.writer(quoted, delimiter="\t", lineterminator="\n").writerows(
        [*rows[:3], ["项目名称", "年度\n指标值", "x"], *rows[3:]])
    as_csv = io.StringIO()
    csv.writer(as_csv, lineterminator="\n").writerows(row + [""] * (9 - len(row)) for row in rows)
    for text in (rows_layout, cells_layout, quoted.getvalue(), as_csv.getvalue(),
                 rows_layout + "\n\n\n" + cells_layout):
        lines = text.split("\n")
        grid = extract_text(text.encode("utf-8"))
        placed = [c for c in grid.tables[0].cells if c.text.strip()]
        assert len(placed) > 100
        for cell in placed:
            line, col = cell.at
            assert col == cell.col and cell.text.split("\n")[0] in lines[line], (cell, lines[line])

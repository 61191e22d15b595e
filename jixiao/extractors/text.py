"""Text exports: TAB-separated rows, one cell per line, or comma-separated values.

Three layouts occur, told apart by content:
- rows: one table row per line, cells separated by TABs (a cell holding a
  line break is quoted, as Excel writes it);
- cells: one cell per line starting with a TAB; a line with neither TAB nor
  text ends a table row; a line without a leading TAB continues the previous
  cell (a line break inside the cell);
- CSV: comma-separated rows with quoted fields ("1,200.00", line breaks), as
  spreadsheets save them.

Rows are numbered by the line they start on, and a cell that starts on a later line (one cell
per line, or after a cell holding a line break) keeps its own (`Cell.source`), so a value can be
found again.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterator

from jixiao.extractors.errors import ExtractError
from jixiao.grid import LINES, Cell, Grid, Origin, Table

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# A cell quoted the way Excel quotes one that holds a line break or a quote:
# `\t"年度\n指标值"\t`, `\t"建立""长效""机制"\t`.
_QUOTED_CELL = re.compile(r'(?:^|\t)"((?:[^"]|"")*)"(?=\t|\n|$)', re.MULTILINE)
# Blank lines in a row that may separate exports of different layouts.
_SEGMENT_BREAK = 2
# Lines either side of a row that tell the width of its table.
_WIDTH_WINDOW = 8
_REGULAR_SHARE = 0.6
# Spreadsheets save CSV with every row padded to the sheet's width; prose never is that regular.
_MIN_CSV_WIDTH = 4
_CSV_SHARE = 0.8
# Control characters (other than TAB and line breaks) and U+FFFD: a few per cent means binary.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_MAX_CONTROL_SHARE = 0.01

# A row of cells and the 0-based line it starts on.
Row = tuple[int, list[str]]


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 (BOM or NUL pattern) or GB18030."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom):].decode(encoding))
            except UnicodeDecodeError as exc:
                raise ExtractError(f"bad {encoding} text after its byte-order mark: {exc.reason}") from exc
    guess = _utf16_without_bom(data)
    candidates = ([guess] if guess else []) + ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return _checked(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise ExtractError("not text: neither UTF-8, UTF-16 nor GB18030", "unsupported")


def _utf16_without_bom(data: bytes) -> str | None:
    """TABs, digits and line breaks put NUL bytes on one side of each UTF-16 unit."""
    sample = data[:8192]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    if odd > 0.1 * half and even < 0.01 * half:
        return "utf-16-le"
    if even > 0.1 * half and odd < 0.01 * half:
        return "utf-16-be"
    return None


def _checked(text: str) -> str:
    if not text:
        return text
    if len(_CONTROL.findall(text)) > _MAX_CONTROL_SHARE * len(text):
        raise ExtractError("binary content, not a text export", "unsupported")
    return text


def _is_cell_layout(lines: list[str]) -> bool:
    """Most TAB-bearing lines hold one leading TAB and nothing else TAB-separated."""
    with_tab = [ln for ln in lines if "\t" in ln]
    if not with_tab:
        return False
    single = sum(1 for ln in with_tab if ln.startswith("\t") and "\t" not in ln[1:])
    return single >= 0.8 * len(with_tab)


def _quoted_rows(text: str) -> list[Row] | None:
    """Rows of an export that quotes cells the way Excel does, else None."""
    if not any("\n" in m.group(1) or '""' in m.group(1) for m in _QUOTED_CELL.finditer(text)):
        return None
    return _csv_rows(csv.reader(io.StringIO(text), delimiter="\t", quotechar='"'))


def _csv_rows(reader: Iterator[list[str]]) -> list[Row]:
    """The reader's rows that print something, each with the line it starts on."""
    rows: list[Row] = []
    start = 0
    for row in reader:
        if any(cell.strip() for cell in row):
            rows.append((start, row))
        start = reader.line_num  # type: ignore[attr-defined]  # csv readers count the lines they read
    return rows


def _is_csv_layout(lines: list[str]) -> bool:
    """Comma-separated: no TABs, and nearly all lines split by commas (quotes respected) into
    the same number of fields; Chinese prose uses "，", not ","."""
    filled = [ln for ln in lines if ln.strip()]
    if not filled or any("\t" in ln for ln in filled) or sum("," in ln for ln in filled) < _REGULAR_SHARE * len(
            filled):
        return False
    widths = Counter(len(row) for row in csv.reader(io.StringIO("\n".join(filled))))
    width, count = widths.most_common(1)[0]
    return width >= _MIN_CSV_WIDTH and count >= _CSV_SHARE * sum(widths.values())


def _csv_layout(lines: list[str]) -> list[Row]:
    return _csv_rows(csv.reader(io.StringIO("\n".join(lines))))


def _rows_layout(lines: list[str]) -> list[Row]:
    return _join_broken_lines([ln.split("\t") if ln.strip() else None for ln in lines])


def _segments(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Stretches between runs of blank lines, each with its first line's number: a file
    pasted together from several exports can change layout from one to the next."""
    segments: list[tuple[int, list[str]]] = [(0, [])]
    blanks = 0
    for number, ln in enumerate(lines):
        blanks = blanks + 1 if ln == "" else 0
        if blanks == _SEGMENT_BREAK and segments[-1][1]:
            segments.append((number, []))
        segments[-1][1].append(ln)
    return segments


def _join_broken_lines(lines: list[list[str] | None]) -> list[Row]:
    """An unquoted line break inside a cell splits its row over two lines (text copied
    out of a Word table does this). Neighbouring short lines whose cells add up to the
    width of the rows around them, with text on both sides of the break, are one row."""
    widths = [len(cells) if cells else 0 for cells in lines]
    rows: list[Row] = []
    i = 0
    while i < len(lines):
        row = lines[i]
        if row is None:
            i += 1
            continue
        width = _width_around(widths, i)
        merged, j = row, i + 1
        while (j < len(lines) and (nxt := lines[j]) is not None and len(merged) >= 2 and len(nxt) >= 2
               and merged[-1].strip() and nxt[0].strip() and len(merged) + len(nxt) - 1 <= width):
            merged = merged[:-1] + [merged[-1] + "\n" + nxt[0]] + nxt[1:]
            j += 1
        if j > i + 1 and len(merged) == width:
            rows.append((i, merged))
            i = j
        else:
            rows.append((i, row))
            i += 1
    return rows


def _width_around(widths: list[int], i: int) -> int:
    """How many cells the table's rows near line i have, where most of them have the
    same count (a padded export); 0 where widths vary and a short line means nothing."""
    near = [w for w in widths[max(0, i - _WIDTH_WINDOW): i + _WIDTH_WINDOW + 1] if w >= 3]
    if not near:
        return 0
    width, count = Counter(near).most_common(1)[0]
    return width if count >= _REGULAR_SHARE * len(near) else 0


def _cells_layout(lines: list[str]) -> list[Row]:
    rows: list[Row] = []
    current: list[str] = []
    start = 0
    for number, ln in enumerate(lines):
        if not current:
            start = number
        if ln.startswith("\t"):
            current.append(ln[1:])
        elif ln == "":
            if current:
                rows.append((start, current))
            current = []
        elif current:
            current[-1] += "\n" + ln
        else:
            current.append(ln)
    if current:
        rows.append((start, current))
    return rows


def _layout(segment: list[str]) -> tuple[list[Row], int]:
    """The segment's rows, and how many lines each cell starts after the one before
    besides the line breaks it holds (1 where each cell has a line of its own)."""
    if _is_cell_layout(segment):
        return _cells_layout(segment), 1
    if _is_csv_layout(segment):
        return _csv_layout(segment), 0
    return _rows_layout(segment), 0


def _cells(placed: list[tuple[int, list[str], int]]) -> list[Cell]:
    """Each row's cells, the row numbered by the line it starts on: a cell starts `stride` lines
    after the one before it, plus the line breaks that one holds, and says so where that is not
    its row's line."""
    cells: list[Cell] = []
    append = cells.append
    for start, row, stride in placed:
        line = start
        for c, value in enumerate(row):
            append(Cell(value, start, c) if line == start else Cell(value, start, c, source=(line, c)))
            line += stride + value.count("\n") if "\n" in value else stride
    return cells


def extract_text(data: bytes) -> Grid:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    quoted = _quoted_rows(text)
    if quoted is not None:
        placed = [(start, row, 0) for start, row in quoted]
    else:
        placed = []
        for offset, segment in _segments(text.split("\n")):
            rows, stride = _layout(segment)
            placed.extend((offset + start, row, stride) for start, row in rows)
    table = Table(_cells(placed), origin=Origin(LINES))
    return Grid(source_format="txt", extractor="txt", tables=[table])

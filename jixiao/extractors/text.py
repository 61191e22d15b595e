"""Text exports: TAB-separated rows, or one cell per line.

Two layouts occur, told apart by content:
- rows: one table row per line, cells separated by TABs (a cell holding a
  line break is quoted, as Excel writes it);
- cells: one cell per line starting with a TAB; a line with neither TAB nor
  text ends a table row; a line without a leading TAB continues the previous
  cell (a line break inside the cell).
"""
from __future__ import annotations

import codecs
import csv
import io
import re

from jixiao.extractors.errors import ExtractError
from jixiao.grid import Cell, Grid, Table

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
# Control characters (other than TAB and line breaks) and U+FFFD: a few per cent means binary.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_MAX_CONTROL_SHARE = 0.01


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


def _rows_layout(text: str, lines: list[str]) -> list[list[str]]:
    if any("\n" in m.group(1) or '""' in m.group(1) for m in _QUOTED_CELL.finditer(text)):
        return [row for row in csv.reader(io.StringIO(text), delimiter="\t", quotechar='"') if any(
            cell.strip() for cell in row)]
    return [ln.split("\t") for ln in lines if ln.strip()]


def _cells_layout(lines: list[str]) -> list[list[str]]:
    rows: list[list[str]] = []
    current: list[str] = []
    for ln in lines:
        if ln.startswith("\t"):
            current.append(ln[1:])
        elif ln == "":
            if current:
                rows.append(current)
            current = []
        elif current:
            current[-1] += "\n" + ln
        else:
            current.append(ln)
    if current:
        rows.append(current)
    return rows


def extract_text(data: bytes) -> Grid:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    rows = _cells_layout(lines) if _is_cell_layout(lines) else _rows_layout(text, lines)
    table = Table(
        [Cell(text=value, row=r, col=c) for r, row in enumerate(rows) for c, value in enumerate(row)]
    )
    return Grid(source_format="txt", extractor="txt", tables=[table])

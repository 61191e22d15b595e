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

The file is read as a stream, twice: a first pass decides the encoding, whether
it is binary, whether cells are quoted and the layout of each stretch; the second
gives the rows one by one. Neither holds more than a few lines, so a dump of
thousands of forms reads in the memory of one.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, groupby
from operator import itemgetter
from typing import BinaryIO

from jixiao.extractors.errors import ExtractError
from jixiao.grid import LINES, Cell, Grid, GridStream, Origin, Table, TableRows

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# A cell quoted the way Excel quotes one that holds a line break or a quote:
# `\t"年度\n指标值"\t`, `\t"建立""长效""机制"\t`.
# Or (group 2) such a cell still open where the text read so far ends.
_QUOTED_OR_OPEN = re.compile(r'(?:^|\t)"((?:[^"]|"")*)(?:"(?=\t|\n|$)|(\Z))', re.MULTILINE)
# Text looked at for quoted cells at a time, and the longest quoted cell followed across such
# pieces: far beyond Excel's 32,767 characters a cell (and the csv module's field limit).
_QUOTE_BLOCK = 1 << 20
_MAX_QUOTED_CELL = 1 << 20
_CHUNK = 1 << 20
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

# A row of cells and the 0-based line it starts on (in its segment, or in the file).
Row = tuple[int, list[str]]


def extract_text(data: bytes) -> Grid:
    """A text export held in memory: the rows `stream_text` gives, as one table."""
    (table,) = stream_text(io.BytesIO(data)).tables
    cells = [c for row in table.rows() for c in row]
    return Grid(source_format="txt", extractor="txt", tables=[Table(cells, origin=Origin(LINES))])


def stream_text(handle: BinaryIO) -> GridStream:
    """A text export read from a seekable binary file, as one table whose rows are read as they are walked."""
    survey = _survey(handle)
    return GridStream(source_format="txt", extractor="txt", tables=[TableRows(_cells(handle, survey), origin=Origin(LINES))])


def _cells(handle: BinaryIO, survey: _Survey) -> Iterator[list[Cell]]:
    """Each row's cells, the row numbered by the line it starts on: a cell starts `stride` lines
    after the one before it, plus the line breaks that one holds, and says so where that is not
    its row's line."""
    for start, row, stride in _rows(handle, survey):
        cells = []
        line = start
        for c, value in enumerate(row):
            cells.append(Cell(value, start, c) if line == start else Cell(value, start, c, source=(line, c)))
            line += stride + value.count("\n") if "\n" in value else stride
        yield cells


def _rows(handle: BinaryIO, survey: _Survey) -> Iterator[tuple[int, list[str], int]]:
    """The rows, each with the line it starts on and how many lines each cell starts after the one
    before besides the line breaks it holds (1 where each cell has a line of its own)."""
    lines = _lines(_decoded(handle, survey.encoding, survey.skip))
    if survey.quoted:
        yield from ((start, row, 0) for start, row in _csv_rows(csv.reader(_as_file(lines), delimiter="\t",
                                                                           quotechar='"')))
        return
    for number, numbered in groupby(_numbered(lines), key=itemgetter(0)):
        first = next(numbered)
        offset = first[1]
        segment = (line for _, _, line in chain([first], numbered))
        layout = survey.layouts[number]
        rows = (_cells_layout(segment) if layout == _CELLS else _csv_layout(segment) if layout == _CSV
                else _rows_layout(segment))
        stride = 1 if layout == _CELLS else 0
        yield from ((offset + start, row, stride) for start, row in rows)


# --- reading: bytes to lines ---------------------------------------------------------------------


def _decoded(handle: BinaryIO, encoding: str, skip: int) -> Iterator[str]:
    """The file's text, piece by piece, with line breaks as they are written; UnicodeDecodeError
    where it is not in `encoding`."""
    handle.seek(skip)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    while chunk := handle.read(_CHUNK):
        if text := decoder.decode(chunk):
            yield text
    if text := decoder.decode(b"", final=True):
        yield text


def _lines(pieces: Iterable[str]) -> Iterator[str]:
    """The lines of the text, as `text.split("\n")` gives them once "\r\n" and "\r" are "\n"."""
    rest = ""
    for piece in _newlines(pieces):
        parts = (rest + piece).split("\n")
        rest = parts.pop()
        yield from parts
    yield rest


def _newlines(pieces: Iterable[str]) -> Iterator[str]:
    cr = ""
    for piece in pieces:
        piece = cr + piece
        cr = "\r" if piece.endswith("\r") else ""
        yield (piece[:-1] if cr else piece).replace("\r\n", "\n").replace("\r", "\n")
    if cr:
        yield "\n"


def _as_file(lines: Iterable[str]) -> Iterator[str]:
    """The lines as a file of "\n".join(lines) gives them to the csv module: each with its line
    break, the last without one, and not at all when empty."""
    previous: str | None = None
    for line in lines:
        if previous is not None:
            yield previous + "\n"
        previous = line
    if previous:
        yield previous


def _numbered(lines: Iterable[str]) -> Iterator[tuple[int, int, str]]:
    """Each line with the number of its segment and its own: segments are stretches between runs
    of blank lines (a file pasted together from several exports can change layout from one to the
    next)."""
    segment = blanks = 0
    for number, line in enumerate(lines):
        blanks = blanks + 1 if line == "" else 0
        if blanks == _SEGMENT_BREAK:
            segment += 1
        yield segment, number, line


# --- the first pass: encoding, binary content, quoting and layouts -------------------------------

_ROWS, _CELLS, _CSV = 0, 1, 2


@dataclass(slots=True)
class _Survey:
    encoding: str
    skip: int  # bytes of the byte-order mark
    quoted: bool = False
    layouts: bytearray = field(default_factory=bytearray)  # by segment


def _survey(handle: BinaryIO) -> _Survey:
    handle.seek(0)
    head = handle.read(8192)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            try:
                return _survey_as(handle, encoding, len(bom))
            except UnicodeDecodeError as exc:
                raise ExtractError(f"bad {encoding} text after its byte-order mark: {exc.reason}") from exc
    guess = _utf16_without_bom(head)
    candidates = ([guess] if guess else []) + ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return _survey_as(handle, encoding, 0)
        except UnicodeDecodeError:
            continue
    raise ExtractError("not text: neither UTF-8, UTF-16 nor GB18030", "unsupported")


def _survey_as(handle: BinaryIO, encoding: str, skip: int) -> _Survey:
    survey = _Survey(encoding, skip)
    counts = [0, 0]  # characters, control characters

    def counted(pieces: Iterable[str]) -> Iterator[str]:
        for piece in pieces:
            counts[0] += len(piece)
            counts[1] += len(_CONTROL.findall(piece))
            yield piece

    quotes = _QuoteFinder()

    def watched(lines: Iterable[str]) -> Iterator[str]:
        for line in lines:
            quotes.add(line)
            yield line

    for _, numbered in groupby(_numbered(watched(_lines(counted(_decoded(handle, encoding, skip))))),
                               key=itemgetter(0)):
        survey.layouts.append(_segment_layout(line for _, _, line in numbered))
    survey.quoted = quotes.end()
    if counts[0] and counts[1] > _MAX_CONTROL_SHARE * counts[0]:
        raise ExtractError("binary content, not a text export", "unsupported")
    return survey


class _QuoteFinder:
    """Whether the text holds a cell quoted the way Excel quotes one that holds a line break or a
    quote (`_QUOTED_OR_OPEN`), looked for in pieces of whole lines; a quoted cell still open at the
    end of a piece is looked at again with the next."""

    def __init__(self) -> None:
        self.found = False
        self._first = True
        self._lines: list[str] = []
        self._size = 0
        self._open = ""

    def add(self, line: str) -> None:
        if self.found:
            return
        if not self._first:
            self._lines.append("\n")  # the line break before this line
        self._first = False
        self._lines.append(line)
        self._size += len(line) + 1
        if self._size >= _QUOTE_BLOCK:
            self._look(ended=False)

    def end(self) -> bool:
        if not self.found:
            self._look(ended=True)
        return self.found

    def _look(self, ended: bool) -> None:
        # Lines are whole, with their breaks, except the last line's, which comes with the next line.
        text = self._open + "".join(self._lines)
        self._lines, self._size, self._open = [], 0, ""
        at = 0
        while (m := _QUOTED_OR_OPEN.search(text, at)) is not None:
            if m.group(2) is None:
                if "\n" in m.group(1) or '""' in m.group(1):
                    self.found = True
                    return
                at = m.end()
            elif ended or len(text) - m.start() > _MAX_QUOTED_CELL:
                at = m.start() + 1  # never closed: no cell starts here
            else:
                self._open = text[m.start():]
                return


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


class _SegmentCounts:
    """What decides a segment's layout, counted line by line."""

    def __init__(self) -> None:
        self.with_tab = 0  # lines holding a TAB
        self.single = 0  # ... one leading TAB and no other
        self.filled = 0  # lines with text
        self.commas = 0  # ... holding a comma
        self.tabbed = False  # a line with text holds a TAB
        self.widths: Counter[int] = Counter()  # fields of the filled lines read as CSV, by count
        self.csv_error: csv.Error | None = None

    def add(self, line: str) -> None:
        if "\t" in line:
            self.with_tab += 1
            self.single += line.startswith("\t") and "\t" not in line[1:]
        if line.strip():
            self.filled += 1
            self.commas += "," in line
            self.tabbed = self.tabbed or "\t" in line

    def layout(self) -> int:
        # Cells: most TAB-bearing lines hold one leading TAB and nothing else TAB-separated.
        if self.with_tab and self.single >= 0.8 * self.with_tab:
            return _CELLS
        # CSV: no TABs, and nearly all lines split by commas (quotes respected) into the same
        # number of fields; Chinese prose uses "，", not ",".
        if not self.filled or self.tabbed or self.commas < _REGULAR_SHARE * self.filled:
            return _ROWS
        if self.csv_error is not None:
            raise self.csv_error
        width, count = self.widths.most_common(1)[0]
        return _CSV if width >= _MIN_CSV_WIDTH and count >= _CSV_SHARE * self.widths.total() else _ROWS


def _segment_layout(lines: Iterator[str]) -> int:
    """The layout of a segment, from one pass over its lines."""
    counts = _SegmentCounts()

    def filled() -> Iterator[str]:
        # The filled lines, as a file of them joined by line breaks, until a TAB rules CSV out.
        for line in lines:
            counts.add(line)
            if counts.tabbed:
                return
            if line.strip():
                yield line

    try:
        counts.widths.update(len(row) for row in csv.reader(_as_file(filled())))
    except csv.Error as exc:
        counts.csv_error = exc
    for line in lines:
        counts.add(line)
    return counts.layout()


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[Row]:
    """The reader's rows that print something, each with the line it starts on."""
    start = 0
    for row in reader:
        if any(cell.strip() for cell in row):
            yield start, row
        start = reader.line_num  # type: ignore[attr-defined]  # csv readers count the lines they read


def _csv_layout(lines: Iterable[str]) -> Iterator[Row]:
    return _csv_rows(csv.reader(_as_file(lines)))


def _rows_layout(lines: Iterable[str]) -> Iterator[Row]:
    return _join_broken_lines(line.split("\t") if line.strip() else None for line in lines)


class _Window:
    """Lines by number, read ahead as far as asked and forgotten once passed."""

    def __init__(self, lines: Iterable[list[str] | None]) -> None:
        self._lines = iter(lines)
        self._held: list[list[str] | None] = []
        self._first = 0  # the number of _held[0]
        self._ended = False

    def has(self, i: int) -> bool:
        while not self._ended and i >= self._first + len(self._held):
            try:
                self._held.append(next(self._lines))
            except StopIteration:
                self._ended = True
        return i < self._first + len(self._held)

    def __getitem__(self, i: int) -> list[str] | None:
        return self._held[i - self._first]

    def width(self, i: int) -> int:
        cells = self._held[i - self._first]
        return len(cells) if cells else 0

    def forget_before(self, i: int) -> None:
        if i - self._first > 1024:
            del self._held[:i - self._first]
            self._first = i


def _join_broken_lines(lines: Iterable[list[str] | None]) -> Iterator[Row]:
    """An unquoted line break inside a cell splits its row over two lines (text copied
    out of a Word table does this). Neighbouring short lines whose cells add up to the
    width of the rows around them, with text on both sides of the break, are one row."""
    window = _Window(lines)
    i = 0
    while window.has(i):
        row = window[i]
        if row is None:
            i += 1
            continue
        width = _width_around(window, i)
        merged, j = row, i + 1
        while (window.has(j) and (nxt := window[j]) is not None and len(merged) >= 2 and len(nxt) >= 2
               and merged[-1].strip() and nxt[0].strip() and len(merged) + len(nxt) - 1 <= width):
            merged = merged[:-1] + [merged[-1] + "\n" + nxt[0]] + nxt[1:]
            j += 1
        if j > i + 1 and len(merged) == width:
            yield i, merged
            i = j
        else:
            yield i, row
            i += 1
        window.forget_before(i - _WIDTH_WINDOW)


def _width_around(window: _Window, i: int) -> int:
    """How many cells the table's rows near line i have, where most of them have the
    same count (a padded export); 0 where widths vary and a short line means nothing."""
    near = [w for k in range(max(0, i - _WIDTH_WINDOW), i + _WIDTH_WINDOW + 1) if window.has(k)
            and (w := window.width(k)) >= 3]
    if not near:
        return 0
    width, count = Counter(near).most_common(1)[0]
    return width if count >= _REGULAR_SHARE * len(near) else 0


def _cells_layout(lines: Iterable[str]) -> Iterator[Row]:
    current: list[str] = []
    start = 0
    for number, ln in enumerate(lines):
        if not current:
            start = number
        if ln.startswith("\t"):
            current.append(ln[1:])
        elif ln == "":
            if current:
                yield start, current
            current = []
        elif current:
            current[-1] += "\n" + ln
        else:
            current.append(ln)
    if current:
        yield start, current

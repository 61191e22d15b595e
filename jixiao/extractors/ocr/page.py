"""One page image to tables: clean it, find its ruled tables and printed lines, read them.

A ruled table becomes a Table whose cells keep their row/column spans; print
outside the tables (title, year line) becomes loose-text Tables of one cell per
row. Tables come in reading order, top to bottom. Every cell carries its page,
its bbox on the page as given (PDF points or image pixels, top left origin: every
turn, warp, enlargement and deskew undone) and its confidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import cv2
import numpy as np

from jixiao.extractors.ocr.blobs import find_blobs
from jixiao.extractors.ocr.clean import clean_page, despeckle
from jixiao.extractors.ocr.engines import Engine, Reading
from jixiao.extractors.ocr.geometry import Matrix, box_through
from jixiao.extractors.ocr.glyphs import UNDECIDED, comparison_as_printed
from jixiao.extractors.ocr.lines import Line, find_lines
from jixiao.extractors.ocr.marks import find_marks
from jixiao.extractors.ocr.punctuation import punctuation_across_lines, punctuation_as_printed, spacing_as_printed
from jixiao.extractors.ocr.render import PageImage
from jixiao.extractors.ocr.ruling import Box, GridCell, find_tables
from jixiao.extractors.ocr.suspect import SUSPECT, cannot_be_printed
from jixiao.grid import Cell, Table

DASH = "—"
# Ink this close to a rule is the rule's own edge, not print.
_RULE_MARGIN = 2
_STRETCH = 1.3
# The most a cell is trusted when a pen stroke ran through its print: some of the stroke may be read.
_STRUCK = 0.5
# ... and when what is left, or what was read beside the stroke, is a figure: trusted unless the
# form's own checks say otherwise (below normalizers.doubt.CONTRADICTED, above the usual threshold).
_MARKED = 0.9
_FIGURE = re.compile(r"[+-]?\d+(?:\.\d+)?%?")
# A figure with a pen's tick or stroke read beside it: what recognisers make of a mark.
_STROKES = "√✓✔/\\|VvLJノ丿、,，∨レㄥ"
_MARK = f"[{re.escape(_STROKES)}]*"
_MARKED_FIGURE = re.compile(rf"\s*(?P<lead>{_MARK})\s*(?P<figure>{_FIGURE.pattern})\s*(?P<trail>{_MARK})\s*")


@dataclass(slots=True)
class _Slot:
    """One cell to be: where it sits and the lines printed in it."""

    row: int
    col: int
    box: Box
    lines: list[Line]
    rowspan: int = 1
    colspan: int = 1
    struck: bool = False  # a pen stroke ran through all of its print
    readings: list[tuple[str, float]] = field(default_factory=list)


@dataclass(slots=True)
class PreparedPage:
    """A page cleaned and laid out, its lines cut out and ready for the recogniser."""

    number: int
    to_page: Matrix
    blocks: list[tuple[int, list[_Slot], bool]]  # (top, slots, is_ruled), top to bottom
    crops: list[np.ndarray]  # the lines to recognise, in the order of the blocks' slots


def read_page(page: PageImage, engine: Engine) -> list[Table]:
    return read_prepared(prepare_page(page), engine)


def prepare_page(page: PageImage) -> PreparedPage:
    """Everything before recognition: no engine needed, so it can run while another page is read."""
    clean = clean_page(page.rgb)
    layout = find_tables(clean.ink, clean.faint, clean.unit)
    unit = layout.unit
    near_rule = cv2.dilate(layout.rules.astype(np.uint8), np.ones((2 * _RULE_MARGIN + 1,) * 2, np.uint8)) > 0
    ink = clean.ink & ~near_rule
    gray = clean.gray.copy()
    gray[near_rule] = 255
    if clean.speckled:
        # On a speckled page, specks beside a rule were kept as part of it (as a decimal point beside
        # its digits); with the rules taken out they stand alone, and one at a cell's edge would
        # widen a line of print and be read as a full stop.
        gray, ink, _, _ = despeckle(gray, ink, find_blobs(ink.view(np.uint8)), known=True)

    blocks: list[tuple[int, list[_Slot], bool]] = []
    for table in layout.tables:
        slots = [_cell_slot(c, ink, gray, unit) for c in table.cells]
        blocks.append((table.box[1], slots, True))
        x0, y0, x1, y1 = table.box
        ink[y0:y1, x0:x1] = False
    h, w = ink.shape
    for row in _loose_rows(find_lines(ink, (0, 0, w, h), unit, pieces=True)):
        blocks.append((row[0].box[1], [_Slot(0, 0, _union(row), row)], False))
    blocks.sort(key=lambda b: b[0])

    lines = [line for _, slots, _ in blocks for slot in slots for line in slot.lines if not line.dash]
    crops = [_prepared(gray[y0:y1, x0:x1]) for x0, y0, x1, y1 in (ln.box for ln in lines)]
    return PreparedPage(page.number, page.to_page @ clean.to_input, blocks, crops)


def read_prepared(prepared: PreparedPage, engine: Engine) -> list[Table]:
    """The page's lines recognised and its cells made, in reading order."""
    crops = prepared.crops
    readings = iter([_read(reading, crop) for crop, reading in zip(crops, engine.read_lines(crops), strict=True)])
    for _, slots, _ in prepared.blocks:
        for slot in slots:
            slot.readings = [(DASH, 1.0) if line.dash else next(readings) for line in slot.lines]

    tables: list[Table] = []
    loose: list[Cell] = []
    for _, slots, ruled in prepared.blocks:
        if not ruled:
            loose.append(_cell(slots[0], prepared.number, prepared.to_page, row=len(loose), sep=" "))
            continue
        if loose:
            tables.append(Table(loose, loose=True))
            loose = []
        tables.append(Table([_cell(s, prepared.number, prepared.to_page) for s in slots]))
    if loose:
        tables.append(Table(loose, loose=True))
    return tables


def _cell_slot(cell: GridCell, ink: np.ndarray, gray: np.ndarray, unit: float) -> _Slot:
    """The cell's printed lines, pen strokes taken out; where that left nothing of print a stroke
    ran through, the cell as it was, stroke and all (read in doubt, never dropped)."""
    x0, y0, x1, y1 = cell.box
    before = ink[y0:y1, x0:x1].copy(), gray[y0:y1, x0:x1].copy()
    struck = _drop_marks(ink, gray, cell.box, unit)
    lines = find_lines(ink, cell.box, unit)
    if struck and not lines:
        ink[y0:y1, x0:x1], gray[y0:y1, x0:x1] = before
        lines = find_lines(ink, cell.box, unit)
    if any(not line.dash for line in lines):
        # A lone dash is a cell's whole content ("—" for nothing); under other print it is a
        # stroke of something else (the arc of a faded seal).
        lines = [line for line in lines if not line.dash]
    return _Slot(cell.row, cell.col, cell.box, lines, cell.rowspan, cell.colspan, struck=struck)


def _drop_marks(ink: np.ndarray, gray: np.ndarray, box: Box, unit: float) -> bool:
    """Pen strokes in the cell taken out of `ink` and `gray`; True when a stroke ran through all of
    the cell's print, so that what is left may still hold some of it."""
    marks = find_marks(ink, box, unit)
    if marks is None:
        return False
    x0, y0, x1, y1 = box
    ink[y0:y1, x0:x1][marks.erased] = False
    # Paper wherever no print is left: a stroke's soft edge and the faint trace of a pen whose
    # colour was taken out would still show to the recogniser.
    near_print = cv2.dilate(ink[y0:y1, x0:x1].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    gray[y0:y1, x0:x1][~near_print] = 255
    return marks.through_print


def _prepared(crop: np.ndarray) -> np.ndarray:
    """The line stretched sideways, and a short one padded with paper to a square at least.

    Recognisers give each character a few steps of the line's width: narrow figures
    printed small ("60000", "2.1") need more of them to stay apart, and a lone "1"
    needs paper around it to be told from a stroke of a letter.
    """
    h, w = crop.shape[:2]
    crop = cv2.resize(crop, (round(w * _STRETCH), h), interpolation=cv2.INTER_LINEAR)
    if crop.shape[1] < h:
        pad = (h - crop.shape[1] + 1) // 2
        crop = cv2.copyMakeBorder(crop, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=(255,))
    return crop


def _read(reading: Reading, crop: np.ndarray) -> tuple[str, float]:
    """A line's text and how sure it is. A figure with a pen's tick or stroke read beside it ("5√",
    "10/") is the figure, as sure as its own characters are and at most `_MARKED`. Otherwise as sure
    as its least sure character, a closing "。" perhaps dropped, and a comparison whose bars the glyph
    leaves undecided (glyphs.py)."""
    text, sureness = reading.text, reading.chars
    marked = _MARKED_FIGURE.fullmatch(text)
    if marked and (marked["lead"] or marked["trail"]) and sureness is not None and len(sureness) == len(text):
        start, end = marked.span("figure")
        return text[start:end], min(*sureness[start:end], _MARKED)
    text, undecided = comparison_as_printed(spacing_as_printed(punctuation_as_printed(text.strip())), crop)
    sure = min(reading.least, 1.0 - reading.stop_dropped)
    return text, min(sure, UNDECIDED) if undecided else sure


def _loose_rows(lines: list[Line]) -> list[list[Line]]:
    """Pieces of loose text side by side (overlapping in height) are one row, left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: ln.box[1]):
        if rows and _overlap(rows[-1], line):
            rows[-1].append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda ln: ln.box[0]) for row in rows]


def _overlap(row: list[Line], line: Line) -> bool:
    top = min(ln.box[1] for ln in row)
    bottom = max(ln.box[3] for ln in row)
    shared = min(bottom, line.box[3]) - max(top, line.box[1])
    return shared > 0.5 * min(bottom - top, line.box[3] - line.box[1])


def _union(lines: list[Line]) -> Box:
    return (min(ln.box[0] for ln in lines), min(ln.box[1] for ln in lines),
            max(ln.box[2] for ln in lines), max(ln.box[3] for ln in lines))


def _cell(slot: _Slot, page: int, to_page: Matrix, row: int | None = None, sep: str = "\n") -> Cell:
    text = punctuation_across_lines(sep.join(t for t, _ in slot.readings if t))
    # A cell is as sure as its least sure character: one misread character is no less misread
    # for the many read well around it.
    confidence = min((c for _, c in slot.readings), default=1.0)
    if slot.struck:
        confidence = min(confidence, _MARKED if _FIGURE.fullmatch(text) else _STRUCK)
    if cannot_be_printed(text):
        confidence = min(confidence, SUSPECT)
    return Cell(text=text, row=slot.row if row is None else row, col=slot.col, rowspan=slot.rowspan,
                colspan=slot.colspan, page=page, bbox=box_through(to_page, slot.box), confidence=round(confidence, 4))

"""Printed lines inside a region (a cell, or the page outside its tables).

Print in these regions is horizontal once the page is deskewed, so the rows of
a region that hold ink form bands, one band per printed line. A band much taller
than a character is two lines printed close together and is cut where the ink
is thinnest. Sizes are in `unit`, the height of a printed character.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]

# Bands closer than this are one line (accents, the dots of 冫 and the like).
_JOIN_GAP = 0.12
# A band at least this tall holds two lines.
_TWO_LINES = 1.7
_VALLEY = 0.15
# A band this thin and far from others is a dash if wide enough, else a speck.
_THIN = 0.3
_DASH_MIN_WIDTH = 0.35
# Less ink than this (in unit²) is noise, not print.
_MIN_INK = 0.08
# Parts of a line further apart than this are separate pieces of loose text.
_PIECE_GAP = 2.5
# Margin kept around a line's ink, as recognition models expect.
_MARGIN = 0.45


@dataclass(frozen=True, slots=True)
class Line:
    box: Box  # the line's ink with a margin, in page pixels
    dash: bool = False  # nothing printed but one horizontal stroke


def _bands(profile: np.ndarray, join_gap: int) -> list[tuple[int, int]]:
    rows = np.flatnonzero(profile > 0)
    if len(rows) == 0:
        return []
    bands: list[list[int]] = [[int(rows[0]), int(rows[0]) + 1]]
    for r in rows[1:]:
        if r - bands[-1][1] <= join_gap:
            bands[-1][1] = int(r) + 1
        else:
            bands.append([int(r), int(r) + 1])
    return [(a, b) for a, b in bands]


def _split_tall(profile: np.ndarray, band: tuple[int, int], unit: float) -> list[tuple[int, int]]:
    top, bottom = band
    if bottom - top < _TWO_LINES * unit:
        return [band]
    # Cut at the thinnest row well inside the band, where the ink nearly stops (a
    # large title has no such row), then look at each half again.
    lo, hi = top + int(0.6 * unit), bottom - int(0.6 * unit)
    if hi <= lo:
        return [band]
    cut = lo + int(np.argmin(profile[lo:hi]))
    if profile[cut] > _VALLEY * profile[top:bottom].max():
        return [band]
    return _split_tall(profile, (top, cut), unit) + _split_tall(profile, (cut, bottom), unit)


def find_lines(ink: np.ndarray, box: Box, unit: float, pieces: bool = False) -> list[Line]:
    """Printed lines in `box` of the ink mask (rules already removed), top to bottom.

    With `pieces`, a line is also cut where its parts lie far apart (loose text
    beside a title); inside a cell a line is kept whole.
    """
    x0, y0, x1, y1 = box
    region = ink[y0:y1, x0:x1]
    if region.size == 0 or region.sum() < _MIN_INK * unit * unit:
        return []
    profile = region.sum(axis=1)
    bands = [b for band in _bands(profile, max(1, round(_JOIN_GAP * unit))) for b in _split_tall(profile, band, unit)]
    bands = _absorb_thin(bands, unit)
    lines: list[Line] = []
    margin = max(2, round(_MARGIN * unit))
    for top, bottom in bands:
        strip = region[top:bottom]
        if strip.sum() < _MIN_INK * unit * unit and not _is_dash(strip, unit):
            continue
        cols = np.flatnonzero(strip.sum(axis=0) > 0)
        spans = _pieces(cols, unit) if pieces else [(int(cols[0]), int(cols[-1]) + 1)]
        for left, right in spans:
            piece = strip[:, left:right]
            dash = _is_dash(piece, unit)
            if not dash and piece.sum() < _MIN_INK * unit * unit:
                continue
            lines.append(Line(box=(max(x0, x0 + left - margin), max(y0, y0 + top - margin),
                                   min(x1, x0 + right + margin), min(y1, y0 + bottom + margin)), dash=dash))
    return lines


def _absorb_thin(bands: list[tuple[int, int]], unit: float) -> list[tuple[int, int]]:
    """A thin band right above or below a line is part of it (a stroke cut off by the gap rule)."""
    out: list[tuple[int, int]] = []
    for band in bands:
        if out and (band[1] - band[0] < _THIN * unit or out[-1][1] - out[-1][0] < _THIN * unit) and (
                band[0] - out[-1][1] < _THIN * unit) and band[1] - out[-1][0] < _TWO_LINES * unit:
            out[-1] = (out[-1][0], band[1])
        else:
            out.append(band)
    return out


def _pieces(cols: np.ndarray, unit: float) -> list[tuple[int, int]]:
    spans: list[list[int]] = [[int(cols[0]), int(cols[0]) + 1]]
    for c in cols[1:]:
        if c - spans[-1][1] > _PIECE_GAP * unit:
            spans.append([int(c), int(c) + 1])
        else:
            spans[-1][1] = int(c) + 1
    return [(a, b) for a, b in spans]


def _is_dash(piece: np.ndarray, unit: float) -> bool:
    """One or two flat strokes side by side and nothing else: "—", "——", "-"."""
    rows = np.flatnonzero(piece.sum(axis=1) > 0)
    cols = np.flatnonzero(piece.sum(axis=0) > 0)
    if len(rows) == 0:
        return False
    height = rows[-1] - rows[0] + 1
    width = cols[-1] - cols[0] + 1
    if height > _THIN * unit or width < _DASH_MIN_WIDTH * unit or width < 2.5 * height:
        return False
    _, _, stats, _ = cv2.connectedComponentsWithStats(piece.astype(np.uint8), connectivity=8)
    strokes = [s for s in stats[1:] if s[cv2.CC_STAT_AREA] >= 3]
    return 0 < len(strokes) <= 2

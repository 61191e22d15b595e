"""Dark marks over the print, told by their shape: pen ticks, signatures crossing cells.

Coloured ink is already paper (clean.drop_colour); a black pen is as dark as print. Print in a cell
stands in lines of characters no taller than a character, thick for its size, clear of the cell's
rules. A pen stroke is thin and long: a tick over a figure stands taller than the line, a signature
swings across rows and is cut by the rules it crosses, so its pieces run to the cell's border.

A stroke is taken out where it runs outside the band of the cell's print, and, inside that band,
along the straight line on which it entered: a tick drawn through the last digit of a score leaves
that digit whole but for the thin path the pen cut through it.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]

# Taller than this (in character heights) is taller than any printed character in a line.
_TALL = 1.35
# A pen stroke covers at most this share of its bounding box; a printed character more.
_THIN_FILL = 0.3
# ... or its ink is no wider than this (in character heights) along its length (a short piece of a
# stroke, whose box it fills).
_STROKE = 0.2
# Print keeps clear of the rules: ink that touches the cell's top or bottom border (within this many
# pixels), at least this tall, thin or taller than a character (a stroke and a figure it touched), is
# a stroke that crossed the rule. A character of a tight cell may touch too, and is neither.
_EDGE = 2
_CROSSING = 0.3
_TOUCHING = 1.1
# Bits smaller than this (in unit²) are noise, neither print nor mark.
_SPECK = 0.02
# A printed character is at least this tall (in character heights); a dot is no character.
_GLYPH = 0.4
# Printed figures are about this high (in character heights); where they are, a stroke running
# through them leaves rows this many times as full as the stroke alone does (the median row).
_FIGURE = 0.8
_DENSER = 1.3
# A bit of a stroke left in the band lower than a figure (0.75 character heights) and this small
# (in unit²) is no figure.
_SCRAP_HEIGHT = 0.55
_SCRAP_AREA = 0.15
# Print a stroke ran through keeps at least this share of the ink they share once the stroke is out.
_LEFT = 0.15
# Ink (in unit²) cut out among the print's own rows, above which the print may have lost some.
_THROUGH = 0.05
# The band of print is widened by this much (in character heights) each way.
_BAND_MARGIN = 0.12
# How far outside the band (in character heights) a stroke is followed to find its direction.
_LEAD = 0.4


@dataclass(frozen=True, slots=True)
class Marks:
    erased: np.ndarray  # mask of the box: ink taken out
    through_print: bool  # a stroke ran through all the print: where one ends and the other begins is a guess


def _band(labels: np.ndarray, stats: np.ndarray, printed: list[int], unit: float) -> tuple[int, int] | None:
    """The rows of the cell's print, from its characters (a decimal point or a speck tells none)."""
    printed = [i for i in printed if stats[i, cv2.CC_STAT_HEIGHT] >= _GLYPH * unit]
    if not printed:
        return None
    top = min(int(stats[i, cv2.CC_STAT_TOP]) for i in printed)
    bottom = max(int(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT]) for i in printed)
    margin = round(_BAND_MARGIN * unit)
    return max(0, top - margin), min(labels.shape[0], bottom + margin)


def _dense_band(strokes: np.ndarray, unit: float) -> tuple[int, int] | None:
    """Where print the strokes run through lies: the rows, a printed figure high, holding more ink
    than a stroke alone leaves in a row; None when no rows do."""
    profile = strokes.sum(axis=1).astype(np.float64)
    height = max(2, round(_FIGURE * unit))
    if np.count_nonzero(profile) <= height:
        return None
    window = np.convolve(profile, np.ones(height), mode="valid")
    start = int(np.argmax(window))
    outside = np.delete(profile, np.s_[start:start + height])
    outside = outside[outside > 0]
    if len(outside) and window[start] / height < _DENSER * float(np.median(outside)):
        return None
    margin = round(_BAND_MARGIN * unit)
    return max(0, start - margin), min(len(profile), start + height + margin)


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of the runs of ink in one row."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _follow(stroke: np.ndarray, band: tuple[int, int], unit: float, step: int) -> np.ndarray:
    """Pixels inside the band on the paths along which strokes enter it, from above (`step` -1, the
    strokes followed upwards from the band's top) or from below (`step` 1).

    Each stroke crossing the band's edge is tracked outwards row by row, and its direction there
    carried into the band, for as long as there is ink to carry it through."""
    out = np.zeros_like(stroke)
    top, bottom = band
    edge = top - 1 if step < 0 else bottom
    if not 0 <= edge < stroke.shape[0]:
        return out
    lead = max(3, round(_LEAD * unit))
    for start, end in _runs(stroke[edge]):
        centres = [(edge, (start + end - 1) / 2)]
        widths = [end - start]
        row = edge + step
        while 0 <= row < stroke.shape[0] and abs(row - edge) < lead:
            runs = _runs(stroke[row])
            if not runs:
                break
            last = centres[-1][1]
            near = min(runs, key=lambda r: abs((r[0] + r[1] - 1) / 2 - last))
            if abs((near[0] + near[1] - 1) / 2 - last) > widths[-1] + 2:
                break
            centres.append((row, (near[0] + near[1] - 1) / 2))
            widths.append(near[1] - near[0])
            row += step
        if len(centres) < 3:
            continue
        ys, xs = np.array(centres).T
        slope, offset = np.polyfit(ys, xs, 1)
        reach = float(np.median(widths)) / 2 + 1
        # Into the band, while the path still meets ink.
        for r in range(edge - step, bottom if step < 0 else top - 1, -step):
            c = slope * r + offset
            lo, hi = max(0, int(np.floor(c - reach))), min(stroke.shape[1], int(np.ceil(c + reach)) + 1)
            if lo >= hi or not stroke[r, lo:hi].any():
                break
            out[r, lo:hi] = stroke[r, lo:hi]
    return out


def find_marks(ink: np.ndarray, box: Box, unit: float) -> Marks | None:
    """Pen strokes inside `box` (rules already removed from `ink`), or None where there are none."""
    x0, y0, x1, y1 = box
    region = ink[y0:y1, x0:x1]
    if region.size == 0 or _unmarked(region, unit):
        return None
    n, labels, stats, _ = cv2.connectedComponentsWithStats(region.astype(np.uint8), connectivity=8)
    height = region.shape[0]
    marked, printed = [], []
    for i in range(1, n):
        _, y, w, h, area = stats[i]
        if area < _SPECK * unit * unit:
            continue
        thin = area < _THIN_FILL * w * h or area < _STROKE * unit * float(np.hypot(w, h))
        touches = y <= _EDGE or y + h >= height - _EDGE
        if (thin and h > _TALL * unit) or (touches and h >= _CROSSING * unit and (thin or h > _TOUCHING * unit)):
            marked.append(i)
        else:
            printed.append(i)
    if not marked:
        return None
    strokes = np.isin(labels, marked)
    band = _band(labels, stats, printed, unit)
    through = band is None
    if band is None:
        band = _dense_band(strokes, unit)
        if band is None:
            # Print and strokes cannot be told apart: all is left to be read, in doubt.
            return Marks(erased=np.zeros_like(strokes), through_print=True)
    top, bottom = band
    erased = np.zeros_like(strokes)
    for i in printed:
        # Bits wholly above or below the print's band are bits of the strokes the pen left apart.
        y, h = int(stats[i, cv2.CC_STAT_TOP]), int(stats[i, cv2.CC_STAT_HEIGHT])
        if y + h <= top or y >= bottom:
            erased |= labels == i
    for i in marked:
        stroke = labels == i
        outside = stroke.copy()
        outside[top:bottom] = False
        erased |= outside | _follow(stroke, band, unit, -1) | _follow(stroke, band, unit, 1)
    margin = round(_BAND_MARGIN * unit)
    erased |= _scraps(strokes & ~erased, (top + margin, bottom - margin), unit)
    # A stroke cut out among the print's own rows may have taken some of the print along.
    through |= bool(np.count_nonzero(erased[top + margin:bottom - margin]) > _THROUGH * unit * unit)
    if through and np.count_nonzero(strokes & ~erased) < _LEFT * np.count_nonzero(strokes):
        # Hardly anything left of what a stroke ran through: the print went with it. All of it is
        # read instead, the stroke too, in doubt.
        return Marks(erased=np.zeros_like(strokes), through_print=True)
    return Marks(erased=erased, through_print=through)


def _unmarked(region: np.ndarray, unit: float) -> bool:
    """True where no blob can be a mark, told from the rows that hold ink (most cells): none reaches
    the top or bottom border, and no run of rows with ink is as tall as a mark."""
    rows = np.flatnonzero(region.any(axis=1))
    if len(rows) == 0:
        return True
    if rows[0] <= _EDGE or rows[-1] >= region.shape[0] - 1 - _EDGE:
        return False
    ends = np.flatnonzero(np.diff(rows) > 1)
    starts = np.concatenate([[rows[0]], rows[ends + 1]])
    stops = np.concatenate([rows[ends], [rows[-1]]])
    return bool((stops - starts + 1).max() <= _TALL * unit)


def _scraps(left: np.ndarray, core: tuple[int, int], unit: float) -> np.ndarray:
    """Bits of a stroke left at the band's edges, outside the rows of the print itself, too small
    to be part of a figure the stroke ran through."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(left.astype(np.uint8), connectivity=8)
    top, height = stats[:, cv2.CC_STAT_TOP], stats[:, cv2.CC_STAT_HEIGHT]
    small = (height < _SCRAP_HEIGHT * unit) & (stats[:, cv2.CC_STAT_AREA] < _SCRAP_AREA * unit * unit)
    beside = (top + height <= core[0] + 1) | (top >= core[1] - 1)
    chosen = small & beside
    chosen[0] = False
    return chosen[labels]

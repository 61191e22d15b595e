"""What the recognisers misread, told again from the glyph's shape.

PP-OCR models read ≦ and ≧ (a chevron over two bars, as Chinese fonts print them) as ≤ and ≥ (a
chevron over one bar). A form prints its comparison first in the cell, so the leading glyph of a
line read as ≤ or ≥ is looked at: under the same chevron, the second bar makes ≦ and ≧ markedly
taller than wide, while ≤ and ≥ are about square. Measured on the corpus text PDFs scanned at
100 and 150 dpi (one font printing ≦≧, another ≤≥): height over width 1.27-1.38 for ≦≧ and
0.83-1.09 for ≤≥, on the line images as recognised (stretched 1.3 sideways, see page.py).

A blurred glyph (a phone photo, a turned page scanned again) can measure short of the line: ≧
at 1.13-1.15, where a glyph is 12-17 pixels tall and one pixel moves the ratio by 0.07. There its
strokes are counted too, as the peaks of its rows' darkness: one bar under the chevron gives two
(the chevron's point, the bar), two bars give three. A glyph a little short of the line that shows
three strokes is in doubt (`UNDECIDED`), not chosen. The count is trusted only on a glyph drawn in
shades of grey (a 1-bit fax's jagged edges make strokes of their own: ≥ counted three there), and
never to doubt a tall glyph (at 100 dpi the two bars of ≧ blur into one).
"""
from __future__ import annotations

import cv2
import numpy as np

_DOUBLE = {"≤": "≦", "≥": "≧"}
_TALL = 1.18
# Proportions this far below `_TALL` are told by the strokes as well.
_NEAR = 0.10
# Strokes are counted on a glyph of which at least this share of pixels is neither paper nor ink.
_SHADED = 0.5
# A stroke stands this share of the darkest row above the rows between it and a darker one.
_PROMINENCE = 0.08
# The leading glyph ends at the first column without ink, or this wide (in line heights) at most
# where it touches the character after it.
_MAX_WIDTH = 0.75
# How sure a comparison is whose bars the glyph leaves undecided: under any threshold a user would set.
UNDECIDED = 0.5


def _leading(crop: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """The darkness (0 paper .. 255 ink) of the first glyph of a line image, its height and width."""
    _, ink = cv2.threshold(crop, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    cols = np.flatnonzero(ink.any(axis=0))
    rows = np.flatnonzero(ink.any(axis=1))
    if len(cols) == 0:
        return None
    line_height = rows[-1] - rows[0] + 1
    start = end = int(cols[0])
    while end + 1 < ink.shape[1] and ink[:, end + 1].any() and end - start < _MAX_WIDTH * line_height:
        end += 1
    glyph_rows = np.flatnonzero(ink[:, start:end + 1].any(axis=1))
    top, bottom = int(glyph_rows[0]), int(glyph_rows[-1])
    darkness = 255.0 - crop[top:bottom + 1, start:end + 1].astype(np.float64)
    return darkness, bottom - top + 1, end - start + 1


def leading_glyph(crop: np.ndarray) -> tuple[int, int] | None:
    """Height and width of the first glyph of a line image (dark print on light paper)."""
    glyph = _leading(crop)
    return None if glyph is None else glyph[1:]


def strokes(darkness: np.ndarray) -> int:
    """Horizontal strokes of a glyph: peaks of its rows' mean darkness standing at least `_PROMINENCE`
    of the darkest row above the lower of the lowest rows on either side before a darker one (the
    glyph's top and bottom edge are paper)."""
    profile = darkness.mean(axis=1)
    n = len(profile)
    least = _PROMINENCE * float(profile.max(initial=0.0))
    count = 0
    for k in range(n):
        if (k > 0 and profile[k] <= profile[k - 1]) or (k + 1 < n and profile[k] < profile[k + 1]):
            continue
        left = right = 0.0
        if k > 0:
            higher = np.flatnonzero(profile[:k] > profile[k])
            left = float(profile[(higher[-1] + 1 if len(higher) else 0):k + 1].min())
        if k + 1 < n:
            higher = np.flatnonzero(profile[k + 1:] > profile[k])
            right = float(profile[k:(k + 1 + higher[0] if len(higher) else n)].min())
        count += profile[k] - max(left, right) >= least
    return count


def _shaded(darkness: np.ndarray) -> bool:
    """Whether the glyph is drawn in shades of grey, not in black and white."""
    return float(np.mean((darkness > 40) & (darkness < 215))) >= _SHADED


def comparison_as_printed(text: str, crop: np.ndarray) -> tuple[str, bool]:
    """The reading with a leading ≤ or ≥ made ≦ or ≧ where the glyph printed has two bars, and whether
    the glyph leaves that undecided."""
    if text[:1] not in _DOUBLE:
        return text, False
    glyph = _leading(crop)
    if glyph is None:
        return text, False
    darkness, height, width = glyph
    ratio = height / width
    tall = ratio >= _TALL
    undecided = bool(_TALL - _NEAR <= ratio < _TALL and _shaded(darkness) and strokes(darkness) >= 3)
    return (_DOUBLE[text[0]] + text[1:] if tall else text), undecided

"""What the recognisers misread, told again from the glyph's shape.

PP-OCR models read ≦ and ≧ (a chevron over two bars, as Chinese fonts print them) as ≤ and ≥ (a
chevron over one bar). A form prints its comparison first in the cell, so the leading glyph of a
line read as ≤ or ≥ is looked at: under the same chevron, the second bar makes ≦ and ≧ markedly
taller than wide, while ≤ and ≥ are about square. Measured on the corpus text PDFs scanned at
100 and 150 dpi (one font printing ≦≧, another ≤≥): height over width 1.27-1.38 for ≦≧ and
0.83-1.09 for ≤≥, on the line images as recognised (stretched 1.3 sideways, see page.py).
"""
from __future__ import annotations

import cv2
import numpy as np

_DOUBLE = {"≤": "≦", "≥": "≧"}
_TALL = 1.18
# The leading glyph ends at the first column without ink, or this wide (in line heights) at most
# where it touches the character after it.
_MAX_WIDTH = 0.75


def leading_glyph(crop: np.ndarray) -> tuple[int, int] | None:
    """Height and width of the first glyph of a line image (dark print on light paper)."""
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
    return int(glyph_rows[-1] - glyph_rows[0] + 1), end - start + 1


def comparison_as_printed(text: str, crop: np.ndarray) -> str:
    """The reading with a leading ≤ or ≥ made ≦ or ≧ where the glyph printed has two bars."""
    if text[:1] not in _DOUBLE:
        return text
    size = leading_glyph(crop)
    if size is None or size[0] < _TALL * size[1]:
        return text
    return _DOUBLE[text[0]] + text[1:]

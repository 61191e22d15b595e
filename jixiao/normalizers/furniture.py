"""Running headers inside a form: the line a page prints at its top, again on other pages.

Where a table goes on over a page break, the text extractor drops the page's furniture
when it can prove the table goes on; OCR and tables that the break cut into two pieces
leave it in the row stream, between rows of one form. Such a line can read like a title
("某市2024年度绩效自评报告"), and must then neither end the form nor be read as part of it.
"""
from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

from jixiao.normalizers.rows import Row

# A running header is one short line (one or two cells).
_MAX_CELLS = 2
# The same line read on two pages (OCR may misread a character or two).
_SAME_TEXT = 0.9
# A page that prints no running header (a chapter's first) does not hide the next pages' from each other.
_LOOK_AHEAD = 3
_FIGURES = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def _opens_page(rows: list[Row], i: int) -> bool:
    page = rows[i].page
    before = next((rows[k].page for k in range(i - 1, -1, -1) if rows[k].page is not None), None)
    return page is not None and (before is None or page > before)


def _key(row: Row) -> str:
    """The line's text with figures (page numbers, dates) and spacing aside."""
    return _SPACE.sub("", _FIGURES.sub("#", " ".join(c.text for c in row.printed())))


def running_headers(rows: list[Row]) -> set[int]:
    """Indexes of lines that open a page and open one of the next pages with the same text."""
    tops = [i for i in range(len(rows))
            if 0 < len(rows[i].printed()) <= _MAX_CELLS and _opens_page(rows, i)]
    keys = {i: _key(rows[i]) for i in tops}
    found: set[int] = set()
    for a, i in enumerate(tops):
        for j in tops[a + 1:a + 1 + _LOOK_AHEAD]:
            if keys[i] and Levenshtein.normalized_similarity(keys[i], keys[j]) >= _SAME_TEXT:
                found.update((i, j))
    return found

"""Page furniture: page numbers, and running headers and footers.

A page number printed first or last on a page is left out. A line that every page
(the first aside) prints at the same place is a running header or footer only
when it is proven so: when it stands between two parts of one table (see flow.py).
Otherwise it might as well be the title every page of a one-form-per-page file starts with.
"""
from __future__ import annotations

import re

from jixiao.extractors.pdf.lines import TextLine
from jixiao.extractors.pdf.page import PageLayout

# Page furniture lives in the top or bottom band of this share of the page height.
MARGIN_BAND = 0.12
# Lines at the same height on two pages are within this many points of each other.
_SAME_PLACE = 3.0
_PAGE_NUMBER = re.compile(
    r"^(?:[-–—\s]*\d{1,4}[-–—\s]*"
    r"|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?"
    r"|共\s*\d+\s*页\s*[,，]?\s*第\s*\d+\s*页"
    r"|\d+\s*/\s*\d+"
    r"|page\s*\d+(?:\s*(?:of|/)\s*\d+)?)$",
    re.IGNORECASE,
)
_FIGURES = re.compile(r"\d+")


def in_margin_band(line: TextLine, page: PageLayout) -> bool:
    band = MARGIN_BAND * page.height
    return line.bottom <= band or line.top >= page.height - band


def without_page_numbers(page: PageLayout) -> list[TextLine]:
    """The page's loose lines, top to bottom, less a page number printed first or last."""
    lines = sorted(page.lines, key=lambda line: line.top)
    content_top = min((t.bbox[1] for t in page.tables), default=page.height)
    content_bottom = max((t.bbox[3] for t in page.tables), default=0.0)
    kept = []
    for k, line in enumerate(lines):
        first = k == 0 and line.bottom <= content_top
        last = k == len(lines) - 1 and line.top >= content_bottom
        if (first or last) and in_margin_band(line, page) and _PAGE_NUMBER.match(line.text):
            continue
        kept.append(line)
    return kept


def repeated_lines(pages: list[PageLayout]) -> dict[int, str]:
    """Lines in a page's margin band that every page but the first prints at the same
    height with the same text, figures aside: id(line) -> that text."""
    if len(pages) < 2:
        return {}
    later = {page.number for page in pages[1:]}
    places: dict[str, list[tuple[int, float, int]]] = {}
    for page in pages:
        for line in page.lines:
            if in_margin_band(line, page):
                places.setdefault(_FIGURES.sub("#", line.text), []).append((page.number, line.top, id(line)))
    repeated: dict[int, str] = {}
    for key, seen in places.items():
        for _, top, line_id in seen:
            pages_here = {n for n, t, _ in seen if abs(t - top) <= _SAME_PLACE}
            if len(pages_here) >= 2 and later <= pages_here:
                repeated[line_id] = key
    return repeated

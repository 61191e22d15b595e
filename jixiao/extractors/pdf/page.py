"""One page read from its text layer: its ruled tables and the lines of text outside them."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jixiao.extractors.pdf.lattice import PageTable, find_page_tables
from jixiao.extractors.pdf.lines import TextLine, text_lines

# What pdfminer prints for a glyph without a Unicode mapping. On a page whose text
# layer is trusted (few such glyphs), it stays visible as U+FFFD and lowers the
# cell's confidence, rather than vanishing.
_UNMAPPED = re.compile(r"^\(cid:\d+\)$")
UNMAPPED_CHAR = "\ufffd"


@dataclass(slots=True)
class PageLayout:
    number: int
    height: float
    tables: list[PageTable] = field(default_factory=list)
    lines: list[TextLine] = field(default_factory=list)


def read_page(page: Any, number: int) -> PageLayout:
    """`page` is a pdfplumber page; `number` is 1-based."""
    chars = [{**c, "text": UNMAPPED_CHAR} if _UNMAPPED.match(c["text"]) else c
             for c in page.chars if c["text"].strip()]
    tables, outside = find_page_tables(page, number, chars)
    return PageLayout(number=number, height=float(page.height), tables=tables, lines=text_lines(outside))

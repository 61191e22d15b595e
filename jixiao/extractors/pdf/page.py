"""One page read from its text layer: its ruled tables and the lines of text outside them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jixiao.extractors.pdf.chars import ActualText, page_chars
from jixiao.extractors.pdf.lattice import PageTable, find_page_tables
from jixiao.extractors.pdf.lines import TextLine, text_lines


@dataclass(slots=True)
class PageLayout:
    number: int
    height: float
    tables: list[PageTable] = field(default_factory=list)
    lines: list[TextLine] = field(default_factory=list)


def read_page(page: Any, number: int, actual: ActualText) -> PageLayout:
    """`page` is a pdfplumber page; `number` is 1-based."""
    tables, outside = find_page_tables(page, number, page_chars(page, number, actual))
    return PageLayout(number=number, height=float(page.height), tables=tables, lines=text_lines(outside))

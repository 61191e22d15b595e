"""The characters a page prints, as its readers see them.

Two things in a text layer are not what a reader sees:
- watermarks ("内部资料" in large grey letters across the page): drawn at an
  oblique angle, they would land in whichever cells they cross; table text never
  runs at a slant, so characters at an angle that is not a multiple of 90° are left out;
- characters whose font maps them to a CJK radical (⻔ for 门, ⽬ for 目), as
  Chromium's PDFs do, while the right character is given in an /ActualText span
  that pdfminer ignores; pdfium reads the span, so those characters are taken from it.
"""
from __future__ import annotations

import math
import re
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from jixiao.extractors.pdf.lines import Char

# What pdfminer prints for a glyph without a Unicode mapping. On a page whose text
# layer is trusted (few such glyphs), it stays visible as U+FFFD and lowers the
# cell's confidence, rather than vanishing.
_UNMAPPED = re.compile(r"^\(cid:\d+\)$")
UNMAPPED_CHAR = "\ufffd"
# Slant (degrees) beyond which a character is not set along the page's lines.
_MAX_SLANT = 2.0
# Search radius (points) around a character's centre for pdfium's reading of it.
_TOLERANCE = 2.0


def _radical(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u2fdf"


def _slanted(char: dict[str, Any]) -> bool:
    a, b = char["matrix"][0], char["matrix"][1]
    angle = math.degrees(math.atan2(b, a)) % 90
    return min(angle, 90 - angle) > _MAX_SLANT


class ActualText:
    """pdfium's reading of the character at a place on a page, which honours /ActualText."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._document: pdfium.PdfDocument | None = None

    def reader(self, number: int, height: float) -> Any:
        if self._document is None:
            self._document = pdfium.PdfDocument(self._data)
        page = self._document[number - 1]
        textpage = page.get_textpage()

        def char_at(char: dict[str, Any]) -> str | None:
            x = (char["x0"] + char["x1"]) / 2
            y = height - (char["top"] + char["bottom"]) / 2
            index = pdfium_c.FPDFText_GetCharIndexAtPos(textpage.raw, x, y, _TOLERANCE, _TOLERANCE)
            return chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, index)) if index >= 0 else None

        return char_at, (textpage, page)

    def close(self) -> None:
        if self._document is not None:
            self._document.close()


def page_chars(page: Any, number: int, actual: ActualText) -> list[Char]:
    """`page` is a pdfplumber page; `number` is 1-based."""
    chars = [{**c, "text": UNMAPPED_CHAR} if _UNMAPPED.match(c["text"]) else c
             for c in page.chars if c["text"].strip() and not _slanted(c)]
    if not any(_radical(c["text"]) for c in chars):
        return chars
    char_at, handles = actual.reader(number, float(page.height))
    try:
        fixed = []
        for char in chars:
            if _radical(char["text"]):
                read = char_at(char)
                if read and read.strip() and not _radical(read):
                    char = {**char, "text": read}
            fixed.append(char)
        return fixed
    finally:
        for handle in handles:
            handle.close()

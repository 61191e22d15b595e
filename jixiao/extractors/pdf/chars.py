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

import ctypes
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
# Margin (points) around a run of characters for pdfium's reading of it.
_TOLERANCE = 1.0


def _radical(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u2fdf"


def _slanted(char: dict[str, Any]) -> bool:
    a, b = char["matrix"][0], char["matrix"][1]
    angle = math.degrees(math.atan2(b, a)) % 90
    return min(angle, 90 - angle) > _MAX_SLANT


class ActualText:
    """pdfium's reading of a stretch of a page, which honours /ActualText."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._document: pdfium.PdfDocument | None = None

    def reader(self, number: int, height: float) -> Any:
        if self._document is None:
            self._document = pdfium.PdfDocument(self._data)
        page = self._document[number - 1]
        textpage = page.get_textpage()
        placed = []  # (character, x centre, y centre) in PDF space
        box = [ctypes.c_double() for _ in range(4)]
        for index in range(pdfium_c.FPDFText_CountChars(textpage.raw)):
            ch = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, index))
            if ch.strip() and pdfium_c.FPDFText_GetCharBox(textpage.raw, index, *box):
                left, right, bottom, top = (v.value for v in box)
                placed.append((ch, (left + right) / 2, (bottom + top) / 2))

        def text_of(run: list[dict[str, Any]]) -> str:
            """The text pdfium reads inside the box of a run of characters. pdfium gives the characters of
            an /ActualText span boxes of their own inside the glyphs' box (flat ones, in newer pdfium), so a
            whole run is asked for, never one glyph."""
            left, right = min(c["x0"] for c in run), max(c["x1"] for c in run)
            low, high = height - max(c["bottom"] for c in run), height - min(c["top"] for c in run)
            return "".join(ch for ch, x, y in placed
                           if left - _TOLERANCE <= x <= right + _TOLERANCE and low - _TOLERANCE <= y <= high + _TOLERANCE)

        return text_of, (textpage, page)

    def close(self) -> None:
        if self._document is not None:
            self._document.close()


def _runs(chars: list[dict[str, Any]]) -> list[list[int]]:
    """Indexes of characters set one after the other on one line, in pdfplumber's order."""
    runs: list[list[int]] = []
    for k, char in enumerate(chars):
        if runs:
            last = chars[runs[-1][-1]]
            size = max(last["bottom"] - last["top"], 1.0)
            if abs(char["top"] - last["top"]) < size / 2 and 0 <= char["x0"] - last["x1"] < size / 2:
                runs[-1].append(k)
                continue
        runs.append([k])
    return runs


def page_chars(page: Any, number: int, actual: ActualText) -> list[Char]:
    """`page` is a pdfplumber page; `number` is 1-based."""
    chars = [{**c, "text": UNMAPPED_CHAR} if _UNMAPPED.match(c["text"]) else c
             for c in page.chars if c["text"].strip() and not _slanted(c)]
    if not any(_radical(c["text"]) for c in chars):
        return chars
    text_of, handles = actual.reader(number, float(page.height))
    try:
        for run in _runs(chars):
            if not any(_radical(chars[k]["text"]) for k in run):
                continue
            read = text_of([chars[k] for k in run])
            if len(read) != len(run):
                continue  # pdfium sees other text there: nothing to align the radicals with
            for k, ch in zip(run, read):
                if _radical(chars[k]["text"]) and not _radical(ch):
                    chars[k] = {**chars[k], "text": ch}
        return chars
    finally:
        for handle in handles:
            handle.close()

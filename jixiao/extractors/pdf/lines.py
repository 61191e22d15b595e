"""Characters of a text layer gathered into lines of text in reading order.

Coordinates are pdfplumber's: points from the page's top-left corner, `top` < `bottom`.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Char = Mapping[str, Any]

# A horizontal gap wider than this share of the font size separates words. Between
# two CJK characters only a much wider gap does: justified Chinese text is spaced out.
_WORD_GAP = 0.3
_CJK_WORD_GAP = 1.5


@dataclass(frozen=True, slots=True)
class TextLine:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float


def is_wide(ch: str) -> bool:
    """A full-width character: Han, kana, full-width punctuation and forms."""
    return unicodedata.east_asian_width(ch) in "WF"


def text_lines(chars: Iterable[Char]) -> list[TextLine]:
    """Lines top to bottom; a character joins the line whose band holds its middle."""
    ordered = sorted(chars, key=lambda c: (c["top"], c["x0"]))
    bands: list[list[Char]] = []
    band_top = band_bottom = 0.0
    for char in ordered:
        middle = (char["top"] + char["bottom"]) / 2
        if bands and band_top <= middle <= band_bottom:
            bands[-1].append(char)
            band_bottom = max(band_bottom, char["bottom"])
        else:
            bands.append([char])
            band_top, band_bottom = char["top"], char["bottom"]
    return [line for band in bands if (line := _line(band)) is not None]


def _line(band: list[Char]) -> TextLine | None:
    band.sort(key=lambda c: c["x0"])
    parts: list[str] = []
    previous: Char | None = None
    for char in band:
        text = char["text"]
        if previous is not None and text.strip() and previous["text"].strip():
            gap = char["x0"] - previous["x1"]
            size = max(char["size"], previous["size"], 1.0)
            both_wide = is_wide(text[0]) and is_wide(previous["text"][-1])
            if gap > (_CJK_WORD_GAP if both_wide else _WORD_GAP) * size:
                parts.append(" ")
        parts.append(text)
        previous = char
    text = "".join(parts).strip()
    if not text:
        return None
    return TextLine(
        text=text,
        x0=min(c["x0"] for c in band),
        top=min(c["top"] for c in band),
        x1=max(c["x1"] for c in band),
        bottom=max(c["bottom"] for c in band),
    )

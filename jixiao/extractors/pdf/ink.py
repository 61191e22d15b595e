"""Whether text is drawn where the text layer puts it.

A text layer may hold text nobody sees: spreadsheet exports draw a merged cell's
label at the middle of the whole merged range and clip it where a page break cuts
the range, leaving the label's text outside the table in the margin. Such a line
is checked against the page's image: no ink, no text.
"""
from __future__ import annotations

import pypdfium2 as pdfium

from jixiao.extractors.errors import LIMIT, ExtractError
from jixiao.extractors.pdf.lines import TextLine

# Points to pixels: a coarse image is enough to see ink.
_SCALE = 0.5
# A pixel darker than this (0-255 grey) is ink.
_INK = 160


def check_render_size(page: pdfium.PdfPage, scale: float, max_pixels: int, number: int) -> None:
    """Refuse, before rendering, a page whose image at `scale` pixels per point would be too large."""
    width, height = page.get_size()
    pixels = abs(width * scale) * abs(height * scale)
    if pixels > max_pixels:
        raise ExtractError(f"PDF page {number} is too large to render: {width:.0f} x {height:.0f} points make "
                           f"{pixels:,.0f} pixels, more than the limit of {max_pixels:,}", LIMIT)


class Ink:
    """Renders pages on demand, once each; `visible` answers for one line of text."""

    def __init__(self, data: bytes, max_pixels: int) -> None:
        self._data = data
        self._max_pixels = max_pixels
        self._document: pdfium.PdfDocument | None = None
        self._images: dict[int, object] = {}

    def visible(self, page_number: int, line: TextLine) -> bool:
        image = self._images.get(page_number)
        if image is None:
            if self._document is None:
                self._document = pdfium.PdfDocument(self._data)
            page = self._document[page_number - 1]
            try:
                check_render_size(page, _SCALE, self._max_pixels, page_number)
                image = page.render(scale=_SCALE, grayscale=True).to_pil()
            finally:
                page.close()
            self._images[page_number] = image
        box = (int(line.x0 * _SCALE), int(line.top * _SCALE), int(line.x1 * _SCALE) + 1, int(line.bottom * _SCALE) + 1)
        darkest, _ = image.crop(box).getextrema()  # type: ignore[attr-defined]
        return darkest < _INK

    def close(self) -> None:
        if self._document is not None:
            self._document.close()

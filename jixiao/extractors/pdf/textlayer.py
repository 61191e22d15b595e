"""Per page: can its text layer be trusted, or must the page be read from its image?

Chinese government PDFs often carry fonts without a usable Unicode map: the text
comes out as control characters, U+FFFD, `(cid:123)`, or characters that do not
match the glyphs. Scans have no text at all, or an invisible OCR layer over a
page image with no ruling lines to find a table by. Such pages go to OCR.
"""
from __future__ import annotations

import math
import unicodedata
from collections import Counter
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# Why a page's text layer is not used; each names what a reader would see.
NO_TEXT = "no text layer"
UNMAPPED = "cid fonts"
GARBLED = "text does not match the glyphs"
SCANNED = "scanned image"

# Share of a page's printed characters that may be unmapped or implausible
# before the whole layer is distrusted: a stray symbol font is tolerated.
_MAX_UNMAPPED_SHARE = 0.05
_MAX_IMPLAUSIBLE_SHARE = 0.15
# An image covering this share of the page, with no vector lines, is a scan.
_SCAN_AREA_SHARE = 0.5


# Characters sampled to find which way a page's text runs.
_DIRECTION_SAMPLE = 400


@dataclass(frozen=True, slots=True)
class PageRoute:
    """The routing decision for one page (1-based `number`). `turn`: degrees the page
    must turn clockwise for its text to read upright (a table printed sideways)."""

    number: int
    trusted: bool
    reason: str | None = None
    blank: bool = False
    turn: int = 0


def route_pages(document: pdfium.PdfDocument) -> list[PageRoute]:
    routes = []
    for index in range(len(document)):
        page = document[index]
        try:
            routes.append(route_page(page, index + 1))
        finally:
            page.close()
    return routes


def route_page(page: pdfium.PdfPage, number: int) -> PageRoute:
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        # pdfium measures angles on the unrotated page; the reader sees it rotated.
        turn = (_turn(textpage) - page.get_rotation()) % 360
    finally:
        textpage.close()
    width, height = page.get_size()
    kinds: dict[int, int] = {}
    image_area = 0.0
    for obj in page.get_objects(max_depth=2):
        kinds[obj.type] = kinds.get(obj.type, 0) + 1
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            left, bottom, right, top = obj.get_bounds()
            image_area += max(0.0, right - left) * max(0.0, top - bottom)
    printed = [ch for ch in text if not ch.isspace()]
    if not printed:
        if not kinds:
            return PageRoute(number, trusted=True, blank=True)
        return PageRoute(number, trusted=False, reason=NO_TEXT)
    reason = text_problem(printed)
    if reason is not None:
        return PageRoute(number, trusted=False, reason=reason)
    if image_area >= _SCAN_AREA_SHARE * width * height and not kinds.get(pdfium_c.FPDF_PAGEOBJ_PATH):
        return PageRoute(number, trusted=False, reason=SCANNED)
    return PageRoute(number, trusted=True, turn=turn)


def _turn(textpage: pdfium.PdfTextPage) -> int:
    """The clockwise turn of the unrotated page that sets most of its characters upright."""
    count = textpage.count_chars()
    step = max(1, count // _DIRECTION_SAMPLE)
    angles: Counter[int] = Counter()
    for index in range(0, count, step):
        if chr(pdfium_c.FPDFText_GetUnicode(textpage, index)).isspace():
            continue
        angle = pdfium_c.FPDFText_GetCharAngle(textpage, index)
        if angle >= 0:
            angles[round(math.degrees(angle) / 90) % 4 * 90] += 1
    if not angles:
        return 0
    angle, seen = angles.most_common(1)[0]
    return (360 - angle) % 360 if seen > sum(angles.values()) / 2 else 0


def text_problem(printed: list[str]) -> str | None:
    """Why these characters (whitespace removed) are not a readable text layer, or None."""
    unmapped = sum(1 for ch in printed if _unmapped(ch))
    if unmapped > _MAX_UNMAPPED_SHARE * len(printed):
        return UNMAPPED
    implausible = sum(1 for ch in printed if _implausible(ch))
    if implausible > _MAX_IMPLAUSIBLE_SHARE * len(printed):
        return GARBLED
    return None


def _unmapped(ch: str) -> bool:
    """What a glyph without a Unicode mapping comes out as: a control code, U+FFFD, private use."""
    return ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs")


def _implausible(ch: str) -> bool:
    """A character a Chinese or English form rarely prints: accented Latin letters and
    Han characters outside GB2312, which a wrong glyph map produces in bulk."""
    if ch.isascii():
        return False
    if "\u00c0" <= ch <= "\u024f":
        return True
    if unicodedata.category(ch) == "Lo":
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            return True
    return False

"""PDFs: ruled tables from the text layer; pages without a usable text layer go to OCR.

`extract_pdf(data, ocr_pages)` decides per page (`textlayer.route_pages`)
whether the text layer can be trusted. Trusted pages are read here; the others
are handed to `ocr_pages(data, page_numbers)` (1-based), which returns those
pages' tables with page and bbox set. Without an OCR route such a file fails
with a reason naming the pages and why.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from io import BytesIO

import pdfplumber
import pypdfium2 as pdfium
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from jixiao.extractors.errors import LIMIT, ExtractError
from jixiao.extractors.options import Limits
from jixiao.extractors.pdf.chars import ActualText
from jixiao.extractors.pdf.flow import assemble
from jixiao.extractors.pdf.ink import Ink
from jixiao.extractors.pdf.loops import guard_reference_loops
from jixiao.extractors.pdf.page import PageLayout, read_page
from jixiao.extractors.pdf.textlayer import PageRoute, route_pages
from jixiao.grid import Grid, Table

# pdfminer warns about every font quirk it works around ("Could not get FontBBox …"),
# which would flood a run's output; what matters reaches the manifest as an error.
logging.getLogger("pdfminer").setLevel(logging.ERROR)
guard_reference_loops()

# The OCR route's seam: (the file's bytes, 1-based page numbers) -> those pages'
# tables, each cell with its page and bbox set.
OcrPages = Callable[[bytes, list[int]], list[Table]]


def extract_pdf(data: bytes, ocr_pages: OcrPages | None = None, limits: Limits | None = None) -> Grid:
    try:
        return _extract(data, ocr_pages, limits or Limits())
    except pdfium.PdfiumError as exc:
        # Opening is checked first; this is a page or object pdfium cannot load.
        raise ExtractError(f"damaged PDF: {_pdfium_detail(str(exc))}") from exc


def _extract(data: bytes, ocr_pages: OcrPages | None, limits: Limits) -> Grid:
    routes = _routes(data, limits)
    text_pages = [r.number for r in routes if r.trusted and not r.blank]
    image_pages = [r.number for r in routes if not r.trusted]
    if image_pages and ocr_pages is None:
        raise ExtractError(f"{untrusted_summary(routes)}; OCR is not available", "unsupported")
    upright = _upright(data, routes)
    ink = Ink(upright, limits.max_pixels)
    try:
        tables = [(_first_page(t), t) for t in assemble(_read_text_pages(upright, text_pages), ink.visible)]
    finally:
        ink.close()
    if image_pages:
        assert ocr_pages is not None
        tables.extend((_first_page(t), t) for t in ocr_pages(data, image_pages))
    # Stable: tables of one page keep the order their reader gave them.
    tables.sort(key=lambda item: item[0])
    scanned = bool(image_pages) and not text_pages
    return Grid(
        source_format="pdf_scanned" if scanned else "pdf",
        # Some pages of a text PDF read by OCR: both readers made the grid.
        extractor="ocr" if scanned else "pdf_text+ocr" if image_pages else "pdf_text",
        tables=[t for _, t in tables],
    )


def untrusted_summary(routes: list[PageRoute]) -> str:
    """'pages 2-3 have no usable text layer (cid fonts)', one clause per reason."""
    by_reason: dict[str, list[int]] = {}
    for route in routes:
        if not route.trusted and route.reason is not None:
            by_reason.setdefault(route.reason, []).append(route.number)
    clauses = []
    for reason, numbers in by_reason.items():
        label = "page" if len(numbers) == 1 else "pages"
        verb = "has" if len(numbers) == 1 else "have"
        clauses.append(f"{label} {page_ranges(numbers)} {verb} no usable text layer ({reason})")
    return "; ".join(clauses)


def page_ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5'."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _routes(data: bytes, limits: Limits) -> list[PageRoute]:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _open_error(str(exc)) from exc
    try:
        check_page_count(len(document), limits)
        return route_pages(document)
    finally:
        document.close()


def _upright(data: bytes, routes: list[PageRoute]) -> bytes:
    """The document with each page that prints its text sideways turned to read upright."""
    turns = {r.number: r.turn for r in routes if r.turn}
    if not turns:
        return data
    document = pdfium.PdfDocument(data)
    try:
        for number, turn in turns.items():
            page = document[number - 1]
            page.set_rotation((page.get_rotation() + turn) % 360)
            page.close()
        buffer = BytesIO()
        document.save(buffer)
        return buffer.getvalue()
    finally:
        document.close()


def check_page_count(count: int, limits: Limits) -> None:
    if count > limits.max_pages:
        raise ExtractError(f"PDF has {count} pages, more than the limit of {limits.max_pages}", LIMIT)


def _open_error(message: str) -> ExtractError:
    if "password" in message.lower():
        return ExtractError("encrypted PDF: a password is needed to open it", "unsupported")
    return ExtractError(f"damaged PDF, cannot be opened: {_pdfium_detail(message)}")


def _pdfium_detail(message: str) -> str:
    detail = message.split("(PDFium:", 1)[-1].strip(" ).") if "PDFium:" in message else message
    return detail.lower() or "unknown error"


def _read_text_pages(data: bytes, numbers: list[int]) -> list[PageLayout]:
    if not numbers:
        return []
    layouts = []
    actual = ActualText(data)
    try:
        pdf = pdfplumber.open(BytesIO(data))
        # Closing walks the pages again, so a document whose pages cannot be made is left to
        # the garbage collector: it holds nothing but the bytes given.
        pages = _plumber_pages(pdf)
        try:
            for number in numbers:
                if number > len(pages):
                    # pdfium found the page; pdfminer, reading a damaged page tree its own way, did not.
                    raise ExtractError(f"damaged PDF, its text layer cannot be read: page {number} is missing "
                                       "from its page tree")
                page = pages[number - 1]
                try:
                    layouts.append(read_page(page, number, actual))
                finally:
                    page.close()
        finally:
            pdf.close()
    except PdfminerException as exc:
        if isinstance(exc.args[0] if exc.args else None, PDFPasswordIncorrect):
            raise ExtractError("encrypted PDF: a password is needed to open it", "unsupported") from exc
        raise ExtractError(f"damaged PDF, its text layer cannot be read: {exc}") from exc
    except (PSException, MalformedPDFException) as exc:
        raise ExtractError(f"damaged PDF, its text layer cannot be read: {exc}") from exc
    except RecursionError as exc:
        # pdfminer resolves nested objects recursively, without noticing one that contains itself.
        raise ExtractError("damaged PDF, its text layer cannot be read: objects nest too deeply or contain "
                           "themselves") from exc
    finally:
        actual.close()
    return layouts


def _plumber_pages(pdf: pdfplumber.PDF) -> list[pdfplumber.page.Page]:
    try:
        return pdf.pages
    except (TypeError, IndexError) as exc:
        # pdfplumber reads each page's boxes as given: a MediaBox missing or of the wrong length fails.
        raise ExtractError(f"damaged PDF, its text layer cannot be read: a page's MediaBox is missing or damaged "
                           f"({exc})") from exc


def _first_page(table: Table) -> int:
    return min((c.page for c in table.cells if c.page is not None), default=0)

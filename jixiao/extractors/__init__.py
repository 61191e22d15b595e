"""One extractor per format, each ending at a Grid; chosen by content, not by file name.

Each format's extractor module (and the libraries it needs: pdfplumber, openpyxl,
OpenCV, …) is imported on its first use, so a process pays at start only for what
it reads: the run's own process reads nothing, and a scan's reader needs no openpyxl.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from jixiao.extractors.errors import BAD_INPUT, UNSUPPORTED, ExtractError
from jixiao.extractors.options import ExtractOptions
from jixiao.extractors.sniff import sniff_format
from jixiao.grid import Grid

Extractor = Callable[[bytes, ExtractOptions], Grid]


# Each format's reader is imported when a file of that format first comes, so the command line
# starts without loading every parser library, and a process reads with only those it needs.
def _text(data: bytes, _: ExtractOptions) -> Grid:
    from jixiao.extractors.text import extract_text

    return extract_text(data)


def _html(data: bytes, _: ExtractOptions) -> Grid:
    from jixiao.extractors.html import extract_html

    return extract_html(data)


def _mht(data: bytes, _: ExtractOptions) -> Grid:
    from jixiao.extractors.mht import extract_mht

    return extract_mht(data)


def _docx(data: bytes, options: ExtractOptions) -> Grid:
    from jixiao.extractors.docx import extract_docx

    return extract_docx(data, limits=options.limits)


def _doc(data: bytes, options: ExtractOptions) -> Grid:
    from jixiao.extractors.legacy import extract_doc

    return extract_doc(data, options.limits)


def _rtf(data: bytes, options: ExtractOptions) -> Grid:
    from jixiao.extractors.legacy import extract_rtf

    return extract_rtf(data, options.limits)


def _xlsx(data: bytes, options: ExtractOptions) -> Grid:
    from jixiao.extractors.xlsx import extract_xlsx

    return extract_xlsx(data, options.limits)


def _xls(data: bytes, _: ExtractOptions) -> Grid:
    from jixiao.extractors.xls import extract_xls

    return extract_xls(data)


def _spreadsheetml(data: bytes, _: ExtractOptions) -> Grid:
    from jixiao.extractors.spreadsheetml import extract_spreadsheetml

    return extract_spreadsheetml(data)


def _pdf(data: bytes, options: ExtractOptions) -> Grid:
    from jixiao.extractors.ocr import ocr_pdf_pages
    from jixiao.extractors.pdf import extract_pdf

    # Pages whose text layer cannot be trusted go to OCR with the run's options.
    return extract_pdf(data, partial(ocr_pdf_pages, options=options), options.limits)


def _image(data: bytes, options: ExtractOptions) -> Grid:
    from jixiao.extractors.ocr import extract_image

    return extract_image(data, options)


EXTRACTORS: dict[str, Extractor] = {
    "txt": _text, "html": _html, "mht": _mht, "docx": _docx, "doc": _doc, "rtf": _rtf, "xlsx": _xlsx, "xls": _xls,
    "spreadsheetml": _spreadsheetml, "pdf": _pdf, "image": _image,
}

# Formats the sniffer recognises that no extractor reads, and why.
UNREAD_FORMATS = {
    "encrypted": (UNSUPPORTED, "password-protected Office document"),
    "ole2": (UNSUPPORTED, "a legacy Office file that is neither a Word document nor an Excel workbook, or is damaged"),
    "zip": (UNSUPPORTED, "a zip archive that is not a Word or Excel document"),
    "damaged_zip": (BAD_INPUT, "a damaged zip container (a truncated .docx or .xlsx?): its directory cannot be read"),
}


def extract(fmt: str, data: bytes, options: ExtractOptions | None = None) -> Grid:
    """Run the extractor for a sniffed format; formats without one fail as `unsupported`."""
    if fmt == "empty":
        return Grid(source_format="txt", extractor="txt")
    extractor = EXTRACTORS.get(fmt)
    if extractor is None:
        category, message = UNREAD_FORMATS.get(fmt, (UNSUPPORTED, f"no extractor for {fmt} content yet"))
        raise ExtractError(message, category)
    options = options or ExtractOptions.from_env()
    grid = extractor(data, options)
    # Cells read with less confidence (OCR, glyphs a text layer cannot map) are flagged, never trusted.
    grid.min_confidence = options.ocr_min_confidence
    return grid


__all__ = ["EXTRACTORS", "UNREAD_FORMATS", "ExtractError", "ExtractOptions", "extract", "sniff_format"]

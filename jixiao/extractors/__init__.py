"""One extractor per format, each ending at a Grid; chosen by content, not by file name.

Text exports and Excel workbooks (.xlsx, and Excel 2003's XML), the formats that
come in hundreds of megabytes, are read from the open file as a stream
(`STREAM_EXTRACTORS`, giving a GridStream); the others from the file's bytes.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import BinaryIO

from jixiao.extractors.docx import extract_docx
from jixiao.extractors.errors import BAD_INPUT, UNSUPPORTED, ExtractError
from jixiao.extractors.html import extract_html
from jixiao.extractors.legacy import extract_doc, extract_rtf
from jixiao.extractors.mht import extract_mht
from jixiao.extractors.ocr import extract_image, ocr_pdf_pages
from jixiao.extractors.options import ExtractOptions
from jixiao.extractors.pdf import extract_pdf
from jixiao.extractors.sniff import SNIFF_BYTES, sniff_file, sniff_format
from jixiao.extractors.spreadsheetml import extract_spreadsheetml, stream_spreadsheetml
from jixiao.extractors.text import extract_text, stream_text
from jixiao.extractors.xls import extract_xls
from jixiao.extractors.xlsx import extract_xlsx, stream_xlsx
from jixiao.grid import Grid, GridStream

Extractor = Callable[[bytes, ExtractOptions], Grid]
StreamExtractor = Callable[[BinaryIO, ExtractOptions], Grid | GridStream]

EXTRACTORS: dict[str, Extractor] = {
    "txt": lambda data, _: extract_text(data),
    "html": lambda data, _: extract_html(data),
    "mht": lambda data, _: extract_mht(data),
    "docx": lambda data, options: extract_docx(data, limits=options.limits),
    "doc": lambda data, options: extract_doc(data, options.limits),
    "rtf": lambda data, options: extract_rtf(data, options.limits),
    "xlsx": lambda data, options: extract_xlsx(data, options.limits),
    "xls": lambda data, _: extract_xls(data),
    "spreadsheetml": lambda data, _: extract_spreadsheetml(data),
    # Pages whose text layer cannot be trusted go to OCR with the run's options.
    "pdf": lambda data, options: extract_pdf(data, partial(ocr_pdf_pages, options=options), options.limits),
    "image": extract_image,
}

# Formats read from a seekable open file, in the memory of a few rows whatever its size.
STREAM_EXTRACTORS: dict[str, StreamExtractor] = {
    "txt": lambda handle, _: stream_text(handle),
    "xlsx": lambda handle, options: stream_xlsx(handle, options.limits),
    "spreadsheetml": lambda handle, _: stream_spreadsheetml(handle),
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


def extract_file(fmt: str, handle: BinaryIO, options: ExtractOptions | None = None) -> Grid | GridStream:
    """`extract` from an open file: read as a stream where the format has a stream extractor (its
    rows then come as they are walked, and may still raise), else whole."""
    options = options or ExtractOptions.from_env()
    streamer = STREAM_EXTRACTORS.get(fmt)
    handle.seek(0)
    if streamer is None:
        return extract(fmt, handle.read(), options)
    grid = streamer(handle, options)
    grid.min_confidence = options.ocr_min_confidence
    return grid


__all__ = ["EXTRACTORS", "SNIFF_BYTES", "STREAM_EXTRACTORS", "UNREAD_FORMATS", "ExtractError", "ExtractOptions",
           "extract", "extract_file", "sniff_file", "sniff_format"]

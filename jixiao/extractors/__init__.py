"""One extractor per format, each ending at a Grid; chosen by content, not by file name.

Each format's extractor module (and the libraries it needs: pdfplumber, openpyxl,
OpenCV, …) is imported on its first use, so a process pays at start only for what
it reads: the run's own process reads nothing, and a scan's reader needs no openpyxl.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from typing import Any

from jixiao.extractors.errors import BAD_INPUT, UNSUPPORTED, ExtractError
from jixiao.extractors.options import ExtractOptions
from jixiao.extractors.sniff import sniff_format
from jixiao.grid import Grid

Extractor = Callable[[bytes, ExtractOptions], Grid]


def _call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call `jixiao.extractors.<module>.<function>`, importing its module on the first call."""
    module, function = name.rsplit(".", 1)
    return getattr(importlib.import_module(f"jixiao.extractors.{module}"), function)(*args, **kwargs)


EXTRACTORS: dict[str, Extractor] = {
    "txt": lambda data, _: _call("text.extract_text", data),
    "html": lambda data, _: _call("html.extract_html", data),
    "mht": lambda data, _: _call("mht.extract_mht", data),
    "docx": lambda data, options: _call("docx.extract_docx", data, limits=options.limits),
    "doc": lambda data, options: _call("legacy.extract_doc", data, options.limits),
    "rtf": lambda data, options: _call("legacy.extract_rtf", data, options.limits),
    "xlsx": lambda data, options: _call("xlsx.extract_xlsx", data, options.limits),
    "xls": lambda data, _: _call("xls.extract_xls", data),
    "spreadsheetml": lambda data, _: _call("spreadsheetml.extract_spreadsheetml", data),
    # Pages whose text layer cannot be trusted go to OCR with the run's options.
    "pdf": lambda data, options: _call("pdf.extract_pdf", data, partial(_call, "ocr.ocr_pdf_pages", options=options),
                                       options.limits),
    "image": lambda data, options: _call("ocr.extract_image", data, options),
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

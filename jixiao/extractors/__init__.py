"""One extractor per format, each ending at a Grid; chosen by content, not by file name."""
from __future__ import annotations

from collections.abc import Callable

from jixiao.extractors.docx import extract_docx
from jixiao.extractors.errors import ExtractError
from jixiao.extractors.html import extract_html
from jixiao.extractors.legacy import extract_doc, extract_rtf
from jixiao.extractors.mht import extract_mht
from jixiao.extractors.pdf import extract_pdf
from jixiao.extractors.sniff import sniff_format
from jixiao.extractors.spreadsheetml import extract_spreadsheetml
from jixiao.extractors.text import extract_text
from jixiao.extractors.xls import extract_xls
from jixiao.extractors.xlsx import extract_xlsx
from jixiao.grid import Grid

Extractor = Callable[[bytes], Grid]

EXTRACTORS: dict[str, Extractor] = {
    "txt": extract_text,
    "html": extract_html,
    "docx": extract_docx,
    "xlsx": extract_xlsx,
    "xls": extract_xls,
    "doc": extract_doc,
    "rtf": extract_rtf,
    "mht": extract_mht,
    "spreadsheetml": extract_spreadsheetml,
    "pdf": extract_pdf,
}

_UNREAD = {
    "encrypted": "password-protected Office document",
    "ole2": "a legacy Office file that is neither a Word document nor an Excel workbook, or is damaged",
    "zip": "a zip archive that is not a Word or Excel document",
}


def extract(fmt: str, data: bytes) -> Grid:
    """Run the extractor for a sniffed format; formats without one fail as `unsupported`."""
    if fmt == "empty":
        return Grid(source_format="txt", extractor="txt")
    extractor = EXTRACTORS.get(fmt)
    if extractor is None:
        raise ExtractError(_UNREAD.get(fmt, f"no extractor for {fmt} content yet"), "unsupported")
    return extractor(data)


__all__ = ["EXTRACTORS", "ExtractError", "extract", "sniff_format"]

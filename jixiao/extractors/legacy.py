"""Word 97-2003 .doc and RTF, read as .docx after a LibreOffice conversion."""
from __future__ import annotations

from jixiao.extractors.convert import convert
from jixiao.extractors.docx import extract_docx
from jixiao.extractors.options import Limits
from jixiao.grid import Grid


def extract_doc(data: bytes, limits: Limits | None = None) -> Grid:
    return extract_docx(convert(data, ".doc", "docx"), source_format="doc", limits=limits)


def extract_rtf(data: bytes, limits: Limits | None = None) -> Grid:
    # RTF is what many ".doc" downloads really are; SCHEMA names it as a Word document.
    return extract_docx(convert(data, ".rtf", "docx"), source_format="doc", limits=limits)

"""One extractor per format, each ending at a Grid; chosen by content, not by file name."""
from __future__ import annotations

from collections.abc import Callable

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.pdf import extract_pdf
from jixiao.extractors.sniff import sniff_format
from jixiao.extractors.text import extract_text
from jixiao.grid import Grid

Extractor = Callable[[bytes], Grid]

EXTRACTORS: dict[str, Extractor] = {
    "txt": extract_text,
    "pdf": extract_pdf,
}


def extract(fmt: str, data: bytes) -> Grid:
    """Run the extractor for a sniffed format; formats without one fail as `unsupported`."""
    if fmt == "empty":
        return Grid(source_format="txt", extractor="txt")
    extractor = EXTRACTORS.get(fmt)
    if extractor is None:
        raise ExtractError(f"no extractor for {fmt} content yet", "unsupported")
    return extractor(data)


__all__ = ["EXTRACTORS", "ExtractError", "extract", "sniff_format"]

"""One extractor per format, each ending at a Grid; chosen by content, not by file name."""
from __future__ import annotations

from collections.abc import Callable

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.ocr import extract_image, extract_scanned_pdf
from jixiao.extractors.options import ExtractOptions
from jixiao.extractors.sniff import sniff_format
from jixiao.extractors.text import extract_text
from jixiao.grid import Grid

Extractor = Callable[[bytes, ExtractOptions], Grid]

EXTRACTORS: dict[str, Extractor] = {
    "txt": lambda data, _options: extract_text(data),
    "pdf": extract_scanned_pdf,
    "image": extract_image,
}


def extract(fmt: str, data: bytes, options: ExtractOptions | None = None) -> Grid:
    """Run the extractor for a sniffed format; formats without one fail as `unsupported`."""
    if fmt == "empty":
        return Grid(source_format="txt", extractor="txt")
    extractor = EXTRACTORS.get(fmt)
    if extractor is None:
        raise ExtractError(f"no extractor for {fmt} content yet", "unsupported")
    return extractor(data, options or ExtractOptions())


__all__ = ["EXTRACTORS", "ExtractError", "ExtractOptions", "extract", "sniff_format"]

"""The version of jixiao's reading, recorded with every row it produces (SCHEMA: `reader_version`).

Bump READER_REVISION whenever an extractor or normaliser change can change what is read
from a file that was read before: a run re-reads unchanged files whose rows an older
reading produced.

The form is `VERSION+rREVISION`, e.g. `0.1.0+r1`; a scan (`pdf_scanned`, `image`), or a text PDF some
pages of which were read by OCR, adds the OCR engine that read it: `0.1.0+r1 ocr=rapidocr`. Readings are
ordered by VERSION, then REVISION; the OCR engine does not order them (reading scans with another engine
is a choice, `--force` re-reads them).
"""
from __future__ import annotations

import functools
import re

from jixiao import __version__

READER_REVISION = 7
READER_VERSION = f"{__version__}+r{READER_REVISION}"
# Rows migrated from an OUT written before reader versions were recorded.
LEGACY_READER_VERSION = "0.1.0+r0"
SCANNED_FORMATS = frozenset({"pdf_scanned", "image"})

_FORM = re.compile(r"(\d+(?:\.\d+)*)\+r(\d+)(?: ocr=\S+)?")


def reader_version(source_format: str | None, ocr_engine: str, extractor: str | None = None) -> str:
    """The reader_version of a file read now, in the format it was read as, by `extractor` (the grid's:
    a text PDF some pages of which OCR read names the engine too)."""
    by_ocr = source_format in SCANNED_FORMATS or "ocr" in (extractor or "").split("+")
    return f"{READER_VERSION} ocr={ocr_engine}" if by_ocr else READER_VERSION


@functools.lru_cache(maxsize=256)
def _order(version: str | None) -> tuple[tuple[int, ...], int]:
    match = _FORM.fullmatch(version or "")
    if match is None:
        return (), -1  # none recorded, or not a form this release writes: older than any
    return tuple(int(n) for n in match.group(1).split(".")), int(match.group(2))


def is_older(version: str | None, than: str = READER_VERSION) -> bool:
    """Whether a reading recorded as `version` is older than `than` (this release's, by default)."""
    return _order(version) < _order(than)

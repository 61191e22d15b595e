"""The version of jixiao's reading, recorded with every row it produces (SCHEMA: `reader_version`).

Bump READER_REVISION whenever an extractor or normaliser change can change what is read
from a file that was read before: a run re-reads unchanged files whose rows an older
reading produced.
"""
from __future__ import annotations

from jixiao import __version__

READER_REVISION = 2
READER_VERSION = f"{__version__}+r{READER_REVISION}"

"""Why a file could not be read: raised, caught per file, written to the manifest.

Every failure has a stage (where it happened) and a category (what kind of
failure), so ops can tell a broken download from a limit or a bug in jixiao.
"""
from __future__ import annotations

# Stages of one file's way through a run.
SNIFF, EXTRACT, NORMALISE, WRITE = "sniff", "extract", "normalise", "write"

# The file is broken or is not what it claims to be.
BAD_INPUT = "bad_input"
# A format, or a feature of one (encryption, a missing optional engine), that jixiao does not read.
UNSUPPORTED = "unsupported"
# The file exceeds a configured limit: size, pages, unpacked bytes, pixels, time or memory.
LIMIT = "limit"
# A failure that may pass on its own (a worker killed, a file still being copied): tried again.
TRANSIENT = "transient"
# A bug in jixiao or a library it uses; the traceback goes to the run's log.
INTERNAL = "internal"

CATEGORIES = (BAD_INPUT, UNSUPPORTED, LIMIT, TRANSIENT, INTERNAL)


class ExtractError(Exception):
    """The file cannot be read as its format; the message is one line for the manifest."""

    def __init__(self, message: str, category: str = BAD_INPUT) -> None:
        # Library messages (lxml's, openpyxl's) run over several lines; the manifest holds one.
        super().__init__(" ".join(message.split()))
        self.category = category

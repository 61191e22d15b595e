"""What a file's name promises, used only to say so when the content breaks the promise.

The format is always decided by the content (`sniff.py`); a name never changes how a file
is read, only how its failure is explained: a download named `.pdf` that holds random
bytes is "not a PDF", which says more than "not text".
"""
from __future__ import annotations

from pathlib import PurePosixPath

# Suffix -> (what it promises, the sniffed formats that keep the promise). Office names
# are loose in practice: a `.doc` is often RTF or a web archive, an `.xls` HTML.
_WORD = frozenset({"doc", "docx", "rtf", "mht", "html", "ole2", "encrypted", "zip", "damaged_zip"})
_EXCEL = frozenset({"xls", "xlsx", "spreadsheetml", "mht", "html", "ole2", "encrypted", "zip", "damaged_zip"})
_IMAGE = ("an image", frozenset({"image"}))
_PROMISES: dict[str, tuple[str, frozenset[str]]] = {
    ".pdf": ("a PDF", frozenset({"pdf"})),
    ".docx": ("a Word document", _WORD), ".doc": ("a Word document", _WORD), ".rtf": ("an RTF document", _WORD),
    ".xlsx": ("an Excel workbook", _EXCEL), ".xls": ("an Excel workbook", _EXCEL),
    ".html": ("an HTML page", frozenset({"html", "mht"})), ".htm": ("an HTML page", frozenset({"html", "mht"})),
    ".mht": ("a web archive", frozenset({"mht", "html"})), ".mhtml": ("a web archive", frozenset({"mht", "html"})),
    ".txt": ("text", frozenset({"txt"})), ".csv": ("text", frozenset({"txt"})), ".tsv": ("text", frozenset({"txt"})),
    ".png": _IMAGE, ".jpg": _IMAGE, ".jpeg": _IMAGE, ".tif": _IMAGE, ".tiff": _IMAGE, ".bmp": _IMAGE, ".gif": _IMAGE,
}


def promise(name: str) -> tuple[str, frozenset[str]] | None:
    """What the name's suffix promises, and the formats that keep that promise; None for other names."""
    return _PROMISES.get(PurePosixPath(name).suffix.lower())


def unread_reason(name: str, fmt: str, message: str) -> str:
    """The reason a file jixiao could not read, saying when its name promised another format.

    `fmt` is the sniffed format; `txt` is the sniffer's fallback for content with no known
    signature, so a file that fails as text is of no format jixiao reads at all.
    """
    promised = promise(name)
    broken = promised[0] if promised is not None and fmt not in promised[1] else None
    if fmt == "txt" and (promised is None or broken):
        return f"not {broken}, nor any format jixiao reads ({message})" if broken else \
            f"not any format jixiao reads ({message})"
    return f"not {broken}: {message}" if broken else message

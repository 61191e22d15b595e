"""File names as OUT and every message show them: UTF-8 text, with what is not printable text escaped.

A Linux file name is bytes. jixiao decodes them as UTF-8 whatever the locale (so CJK names read the
same under `LC_ALL=POSIX`), and writes what cannot be shown as one line of UTF-8 as an escape:
a byte that is not UTF-8, a control character (a newline in a name) and DEL become `\\xHH`, and
a backslash becomes `\\\\`. Nothing else is touched, so ordinary names, CJK included, read as
themselves, and the form is reversible: `original_bytes(shown)` gives the name's bytes back.
"""
from __future__ import annotations

import codecs
import os
import re

_NEEDS_ESCAPE = re.compile(r"[\\\x00-\x1f\x7f\udc80-\udcff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\\":
        return "\\\\"
    code = ord(char)
    return f"\\x{code - 0xDC00 if code >= 0xDC80 else code:02x}"


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def shown(name: str | bytes | os.PathLike[str]) -> str:
    """A file name or path (as the OS gave it: bytes, or str decoded with the file-system encoding)
    in the escaped form."""
    raw = os.fsencode(name)
    return _NEEDS_ESCAPE.sub(_escape, raw.decode("utf-8", "surrogateescape"))


def printable(text: str) -> str:
    """Any text (a message naming a path, a library's error) with bytes that were not UTF-8 escaped,
    so that it can be written to Parquet and printed; valid text is left as it is."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(_escape_surrogate, text)


def original_bytes(name: str) -> bytes:
    """The bytes of the name `shown(name)` made."""
    return codecs.escape_decode(name.encode("utf-8"))[0]  # type: ignore[attr-defined, no-any-return]

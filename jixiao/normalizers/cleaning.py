"""Cell text as SCHEMA.md wants it: NFKC, export markup removed, line breaks resolved.

In-cell line breaks are removed between CJK characters ("社会效益\\n指标" is one
word) and become one space elsewhere; runs of spaces collapse to one.
"""
from __future__ import annotations

import html
import re
import unicodedata

# Empty, dash, slash and 无 mean "nothing printed here".
NULL_TOKENS = frozenset({"", "—", "——", "-", "--", "–", "―", "/", "无", "\\"})

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")
_BREAK_RUN = re.compile(r"[ \t\u3000]*\n[\s]*")
_SPACE_RUN = re.compile(r"[ \t\u3000\xa0\f\v]+")


def is_cjk(ch: str) -> bool:
    """Han, kana and the punctuation used inside Chinese running text."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0x3000 <= o <= 0x30FF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF
        or 0x2E80 <= o <= 0x2FDF
        or 0x20000 <= o <= 0x2FA1F
        or ch in "“”‘’—…·《》"
    )


def _join_break(match: re.Match[str]) -> str:
    text = match.string
    before = text[match.start() - 1] if match.start() > 0 else ""
    after = text[match.end()] if match.end() < len(text) else ""
    if before and after and is_cjk(before) and is_cjk(after):
        return ""
    return " "


def clean_text(raw: str | None) -> str:
    """Normalise one cell's text; never returns None."""
    if not raw:
        return ""
    text = unicodedata.normalize("NFKC", raw)
    if "[" in text:
        text = _BOOKMARK.sub("", text)
    if "<" in text:
        # A removed tag (<p>, <br>) separates text like a line break does.
        text = _TAG.sub("\n", text)
    if "&" in text and _ENTITY.search(text):
        text = unicodedata.normalize("NFKC", html.unescape(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if "\n" in text:
        text = _BREAK_RUN.sub(_join_break, text)
    return _SPACE_RUN.sub(" ", text).strip()


def is_null_text(text: str) -> bool:
    return text in NULL_TOKENS


def or_none(text: str) -> str | None:
    """Cleaned text, or None where the cell prints nothing."""
    return None if is_null_text(text) else text

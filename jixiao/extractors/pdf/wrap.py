"""Soft wraps: where a line in a cell ended because the next word did not fit.

A wrap is the cell's width, not the text: the source printed those words on one
line. So a wrapped line is joined to the next directly where either side is CJK or
a word was cut in two ("58.6" / "2%"), and with a space between Latin words. Where
a line ended with room to spare, the text itself broke there: a line break, which
the normaliser resolves as SCHEMA.md says.
"""
from __future__ import annotations

import re

from jixiao.extractors.pdf.lines import TextLine, is_wide

# A run that line breaking keeps whole: Latin letters, figures and their punctuation.
_WORD = re.compile(r"[0-9A-Za-z.,%‰+\-_/:]+")
# Characters a line may not start with, or end with (kinsoku): they travel with
# the character before, or after, them.
_NO_LINE_START = set("。，、；：？！）」』】》〉”’,.;:?!)]}%")
_NO_LINE_END = set("（「『【《〈“‘([{")
# Advance of a narrow (Latin) character relative to the font size.
_NARROW = 0.55
# Widths here are estimates from the font size: a unit within this share of the
# size of fitting is taken not to have fitted.
_WIDTH_TOLERANCE = 0.3


def text_width(text: str, size: float) -> float:
    return sum(size if is_wide(ch) else _NARROW * size for ch in text)


def first_unit(text: str) -> str:
    """The start of `text` that line breaking cannot split: a Latin/figure run or one
    character, with the opening punctuation before it and the closing after it."""
    start = 0
    while start < len(text) - 1 and text[start] in _NO_LINE_END:
        start += 1
    word = _WORD.match(text, start)
    end = word.end() if word else start + 1
    while end < len(text) and text[end] in _NO_LINE_START:
        end += 1
    return text[:end]


def wrapped(line: TextLine, following: str, inner_width: float) -> bool:
    """`following` went to the next line because its first unit did not fit beside `line`."""
    size = line.bottom - line.top
    return (line.x1 - line.x0) + text_width(first_unit(following), size) > inner_width - _WIDTH_TOLERANCE * size


def join_lines(lines: list[TextLine], inner_width: float) -> str:
    parts: list[str] = []
    for k, line in enumerate(lines):
        if k:
            parts.append(_separator(lines[k - 1], line.text, inner_width))
        parts.append(line.text)
    return "".join(parts)


def _separator(line: TextLine, following: str, inner_width: float) -> str:
    if _broken_word(line, following, inner_width):
        return ""
    if not wrapped(line, following, inner_width):
        return "\n"
    return "" if is_wide(line.text[-1]) or is_wide(following[0]) else " "


def _broken_word(line: TextLine, following: str, inner_width: float) -> bool:
    """A word ("58.62%", "40分") cut at the cell's edge: the line ends inside it, the next
    line goes on with it, and not even its next character fitted beside the line."""
    if not (_WORD.fullmatch(line.text[-1]) and _WORD.match(following)):
        return False
    size = line.bottom - line.top
    return (line.x1 - line.x0) + text_width(following[0], size) > inner_width - _WIDTH_TOLERANCE * size

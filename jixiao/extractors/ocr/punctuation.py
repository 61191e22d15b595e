"""Punctuation between Chinese characters, as the recognisers misread it.

A Chinese text never prints a full stop "." between two characters: its full stop is "。" and
its commas "，" "、". PP-OCR models read a comma whose tail is faint (a fax, a 100 dpi scan, a
copy of a copy) as "." and the middle dot of a compound unit (元/生·月, 平方米·天) as "." too. On
scans of the corpus in every condition of tests/scanlib.py, every "." read between two Chinese
characters was one of these two, and the gold of every corpus document prints none. A "." that
ends a line of a cell between a Chinese character and the next line's is the comma too (a cell's
text wraps at its edge wherever the line is full).

The recognisers also read a space between a Chinese character and a figure or a Latin letter
("保险费 300元", "HIS 系统") and after a comparison ("≤ 600"), where forms print none: no text of the
corpus gold has one.
"""
from __future__ import annotations

import re

HAN = r"[\u3400-\u4dbf\u4e00-\u9fff]"  # a Chinese character
# After "/" and a unit of up to three characters, the dot joins two units (人·次, 千瓦·时).
_UNIT_DOT = re.compile(rf"(/{HAN}{{1,3}})\s*[.．]\s*(?={HAN})")
_COMMA = re.compile(rf"(?<={HAN})\s*[.．]\s*(?={HAN})")
_SPACE = re.compile(rf"(?<={HAN}) +(?=[0-9A-Za-z])|(?<=[0-9A-Za-z%]) +(?={HAN})|(?<=[≤≥≦≧<>=]) +(?=\d)")
_COMMA_AT_BREAK = re.compile(rf"(?<={HAN})[ \t]*[.．][ \t]*\n(?=[ \t]*{HAN})")


def punctuation_as_printed(text: str) -> str:
    """The text with a "." read between two Chinese characters put back as "·" or "，"."""
    return _COMMA.sub("，", _UNIT_DOT.sub(r"\1·", text))


def spacing_as_printed(text: str) -> str:
    """The text without the spaces read between a Chinese character and a figure or a Latin letter,
    and after a comparison."""
    return _SPACE.sub("", text)


def punctuation_across_lines(text: str) -> str:
    """A cell's lines (joined by newlines) with a "." between a line's last Chinese character and
    the next line's first put back as "，"."""
    return _COMMA_AT_BREAK.sub("，\n", text)

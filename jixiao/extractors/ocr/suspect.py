"""Readings that cannot be what was printed, whatever the recogniser's confidence.

- Brackets that do not pair: a recogniser drops the ")" of "(10分)" or the "(" before a line, and
  reads the ruled edge of a cell as "[" beside its print (a fax, a 100 dpi scan). Round and square
  brackets (〔〕 and 【】 with them) pair in every text of the corpus gold; 《》 do not always (a
  title quoted across a list), so they are no evidence.
- A cell that is one or two Latin letters and nothing else: a figure read as the letters its strokes
  look like ("1" as "I" or "TT", "0" as "Do", "11" as "m"); the Chinese forms read here print no such
  cell.
- A sign read twice in a row ("95%%", "，，"): CTC decoding emits a glyph twice where a blank step splits
  its run; no text of the corpus gold or the seeds' gold doubles a percent sign or a full-width mark (a
  title's ".." does occur, so points are no evidence).
"""
from __future__ import annotations

import re

_PAIRS = (("(（", ")）"), ("[〔【", "]〕】"))
_LETTERS = re.compile(r"\s*[A-Za-z]{1,2}\s*")
_DOUBLED = re.compile(r"([%，。、：；,])\1")
# How sure a reading is that cannot be as printed: under any threshold a user would set.
SUSPECT = 0.5


def cannot_be_printed(text: str) -> bool:
    """Brackets that do not pair, a letter or two alone, or a sign read twice."""
    return bool(_LETTERS.fullmatch(text) or _DOUBLED.search(text)) or any(
        not _paired(text, opening, closing) for opening, closing in _PAIRS)


def _paired(text: str, opening: str, closing: str) -> bool:
    depth = 0
    for ch in text:
        if ch in opening:
            depth += 1
        elif ch in closing:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0

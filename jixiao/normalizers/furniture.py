"""Running headers inside a form: the line a page prints at its top, again on other pages.

Where a table goes on over a page break, the text extractor drops the page's furniture
when it can prove the table goes on; OCR and tables that the break cut into two pieces
leave it in the row stream, between rows of one form. Such a line can read like a title
("某市2024年度绩效自评报告"), and must then neither end the form nor be read as part of it.
"""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator

from rapidfuzz.distance import Levenshtein

from jixiao.normalizers.rows import Row

# A running header is one short line (one or two cells).
_MAX_CELLS = 2
# The same line read on two pages (OCR may misread a character or two).
_SAME_TEXT = 0.9
# A page that prints no running header (a chapter's first) does not hide the next pages' from each other.
_LOOK_AHEAD = 3
_FIGURES = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def _key(row: Row) -> str:
    """The line's text with figures (page numbers, dates) and spacing aside."""
    return _SPACE.sub("", _FIGURES.sub("#", " ".join(c.text for c in row.printed())))


class RunningHeaders:
    """Lines that open a page and open one of the next pages with the same text, marked in a
    stream of rows. Whether a line opening a page is one is known once the next pages have
    opened, so the rows from it on wait until then: a few pages' rows, and none at all for rows
    without a page (text exports, sheets)."""

    def __init__(self) -> None:
        self._recent: deque[tuple[int, str]] = deque(maxlen=_LOOK_AHEAD)  # the last page tops: (index, key)
        self._undecided: deque[list[int]] = deque()  # page tops and how many tops came after each
        self._found: set[int] = set()
        self._page: int | None = None  # of the last row printed on a page

    def marked(self, rows: Iterable[Row]) -> Iterator[tuple[Row, bool]]:
        """Each row, in order, and whether it is a running header."""
        waiting: deque[tuple[int, Row]] = deque()
        for k, row in enumerate(rows):
            self._look(k, row)
            waiting.append((k, row))
            while waiting and (not self._undecided or waiting[0][0] < self._undecided[0][0]):
                yield self._decided(*waiting.popleft())
        for k, row in waiting:
            yield self._decided(k, row)

    def _look(self, k: int, row: Row) -> None:
        page = row.page
        opens = page is not None and (self._page is None or page > self._page)
        if page is not None:
            self._page = page
        if not (opens and 0 < len(row.printed()) <= _MAX_CELLS):
            return
        key = _key(row)
        for i, earlier in self._recent:
            if earlier and Levenshtein.normalized_similarity(earlier, key) >= _SAME_TEXT:
                self._found.update((i, k))
        self._recent.append((k, key))
        for top in self._undecided:
            top[1] += 1
        while self._undecided and self._undecided[0][1] >= _LOOK_AHEAD:
            self._undecided.popleft()
        self._undecided.append([k, 0])

    def _decided(self, k: int, row: Row) -> tuple[Row, bool]:
        if k in self._found:
            self._found.discard(k)
            return row, True
        return row, False

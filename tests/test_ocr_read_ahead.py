"""The next page is prepared while this one is recognised: in order, from one thread, errors in turn."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.ocr import _one_ahead


def test_the_next_item_is_made_while_the_caller_works_on_this_one() -> None:
    second_started = threading.Event()
    drawn_on: set[int] = set()

    def pages() -> Iterator[int]:
        for number in (1, 2, 3):
            drawn_on.add(threading.get_ident())
            if number == 2:
                second_started.set()
            yield number

    seen = []
    for number in _one_ahead(pages()):
        if number == 1:
            # Page 2 is being made while page 1 is still in the caller's hands.
            assert second_started.wait(10)
        seen.append(number)
    assert seen == [1, 2, 3]
    # One thread draws every page (pdfium may only be entered from one thread at a time), not the caller's.
    assert len(drawn_on) == 1 and threading.get_ident() not in drawn_on


def test_a_page_that_cannot_be_made_fails_in_its_turn() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise ExtractError("PDF has 2 pages, no page 3")

    seen: list[int] = []
    with pytest.raises(ExtractError, match="no page 3"):
        seen.extend(_one_ahead(pages()))
    assert seen == [1, 2]

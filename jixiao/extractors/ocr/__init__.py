"""OCR of scanned pages into the same grid as every other format.

Public seam:
- `ocr_pdf_pages(data, page_numbers, options)` — the tables of some 1-based pages
  of a PDF, in page order (for a PDF whose other pages have a text layer);
- `extract_scanned_pdf(data, options)` — a Grid of every page of a PDF
  (source_format "pdf_scanned");
- `extract_image(data, options)` — a Grid of every frame of a PNG/JPEG/TIFF/BMP/GIF
  (source_format "image").
Cell bboxes are in PDF points for PDF pages and in source pixels for images,
top-left origin, on the page as given (every turn, warp, enlargement and deskew
of page preparation undone; an image as its EXIF orientation shows it).

Pages are rendered and read one at a time, with one engine per process, so
memory stays flat over thousands of pages; the next page is rendered and prepared
(cleaned, laid out, its lines cut) in a thread while this one is recognised, so
that the core recognition leaves idle between its batches does that work. The heavy
libraries load on first use: without the `ocr` extra installed, a scan fails with a
one-line reason. The engine is made in a thread while the first page is prepared,
so its loading mostly hides behind that work.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.options import ExtractOptions
from jixiao.grid import Grid, Table

if TYPE_CHECKING:
    from jixiao.extractors.ocr.render import PageImage

_DEFAULT = ExtractOptions()


def ocr_pdf_pages(data: bytes, page_numbers: list[int], options: ExtractOptions = _DEFAULT) -> list[Table]:
    return _read("scanned pages", lambda render: render.pdf_pages(data, page_numbers, limits=options.limits), options)


def extract_scanned_pdf(data: bytes, options: ExtractOptions = _DEFAULT) -> Grid:
    tables = _read("scanned pages", lambda render: render.pdf_pages(data, limits=options.limits), options)
    return Grid("pdf_scanned", "ocr", tables)


def extract_image(data: bytes, options: ExtractOptions = _DEFAULT) -> Grid:
    tables = _read("images", lambda render: render.image_pages(data, options.limits), options)
    return Grid("image", "ocr", tables)


def _read(what: str, pages: Callable[[ModuleType], Iterable[PageImage]], options: ExtractOptions) -> list[Table]:
    try:
        from jixiao.extractors.ocr import render
        from jixiao.extractors.ocr.engines import get_engine
        from jixiao.extractors.ocr.page import prepare_page, read_prepared
    except ImportError as exc:
        raise _not_installed(what, exc) from exc
    rendered = iter(pages(render))
    # The first page is rendered before the engine loads, so a file refused on its first
    # page (damaged, too many pixels) fails without the cost of loading a model.
    first = next(rendered, None)
    if first is None:
        return []
    engine = _Loading(_LOADER.submit(get_engine, options.ocr_engine, options.ocr_models, options.ocr_runtime), what)
    tables: list[Table] = []
    for prepared in _one_ahead(prepare_page(page) for page in itertools.chain([first], rendered)):
        tables.extend(read_prepared(prepared, engine))  # type: ignore[arg-type]
    return tables


_T = TypeVar("_T")
_END = object()


def _one_ahead(items: Iterator[_T]) -> Iterator[_T]:
    """The items in order, the next one made in a thread while the caller works on this one.

    One thread draws every item, one at a time, so the renderer (pdfium is not thread-safe)
    is only ever entered from it; what making an item raises is raised in its turn.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="ocr-page") as ahead:
        future = ahead.submit(next, items, _END)
        while (item := future.result()) is not _END:
            future = ahead.submit(next, items, _END)
            yield cast(_T, item)


def _not_installed(what: str, exc: ImportError) -> ExtractError:
    """The reason a file fails without the `ocr` extra: what needs it and how to install it."""
    return ExtractError(f"{what} need OCR, which is not installed ({exc.name} missing): pip install 'jixiao[ocr]'",
                        "unsupported")


class _Loading:
    """An engine being made in a thread: reading waits for it (and raises what making it raised)."""

    def __init__(self, future: Future[Any], what: str) -> None:
        self._future = future
        self._what = what

    def read_lines(self, images: Sequence[Any]) -> list[Any]:
        try:
            engine = self._future.result()
        except ImportError as exc:
            raise _not_installed(self._what, exc) from exc
        return engine.read_lines(images)  # type: ignore[no-any-return]


# One thread (started on first use), so that engines are made one after the other: get_engine keeps one.
_LOADER = ThreadPoolExecutor(1, thread_name_prefix="ocr-engine")


__all__ = ["extract_image", "extract_scanned_pdf", "ocr_pdf_pages"]

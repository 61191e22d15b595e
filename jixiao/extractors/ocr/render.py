"""Page images from PDFs and image files, one page at a time, in memory.

Every page comes as 8-bit RGB with square pixels, whatever the file held (1-bit fax, 16-bit grey,
palette, alpha, CMYK, 204 x 196 dpi), with the matrix that carries its pixels back to the page as
given: PDF points of the page as rendered, or pixels of the image as shown (EXIF orientation applied).
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from jixiao.extractors.errors import LIMIT, ExtractError
from jixiao.extractors.ocr.geometry import Matrix, scaling
from jixiao.extractors.options import Limits
from jixiao.extractors.pdf import check_page_count
from jixiao.extractors.pdf.ink import check_render_size

PDF_DPI = 200
POINTS_PER_INCH = 72
# Photos are shrunk to this longest side: print stays legible and time stays bounded.
MAX_IMAGE_SIDE = 4000
# Pixels whose resolution across and down differ by more than this share (a fax's 204 x 196 or
# 204 x 98 dpi) are made square.
_SQUARE_TOLERANCE = 0.02


_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class PageImage:
    rgb: np.ndarray
    number: int  # 1-based
    to_page: Matrix  # a pixel of `rgb` -> the page as given: PDF points for PDFs, source pixels for images


def _open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ExtractError(f"cannot open PDF: {exc}") from exc


def pdf_pages(data: bytes, numbers: list[int] | None = None, dpi: int = PDF_DPI,
              limits: Limits = _LIMITS) -> Iterator[PageImage]:
    """The 1-based pages `numbers` (all when None) rendered at `dpi`; a page outside the file is an error,
    and so is one whose image would exceed `limits.max_pixels`."""
    pdf = _open_pdf(data)
    try:
        count = len(pdf)
        check_page_count(count, limits)
        for number in numbers if numbers is not None else range(1, count + 1):
            if not 1 <= number <= count:
                raise ExtractError(f"PDF has {count} pages, no page {number}")
            page = pdf[number - 1]
            try:
                check_render_size(page, dpi / POINTS_PER_INCH, limits.max_pixels, number)
                bitmap = page.render(scale=dpi / POINTS_PER_INCH, rev_byteorder=True)
                rgb = np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
            finally:
                page.close()
            yield PageImage(rgb=rgb, number=number, to_page=scaling(dpi / POINTS_PER_INCH))
    finally:
        pdf.close()


def _check_pixels(image: Image.Image, number: int, max_pixels: int) -> None:
    width, height = image.size
    if width * height > max_pixels:
        raise ExtractError(f"image bomb: frame {number} is {width} x {height} pixels, more than the limit of "
                           f"{max_pixels:,}", LIMIT)


def image_pages(data: bytes, limits: Limits = _LIMITS) -> Iterator[PageImage]:
    """Every frame of an image file (a multi-page TIFF has several), upright as its EXIF says; a frame
    larger than `limits.max_pixels` is refused from its header, before it is decoded."""
    try:
        image = Image.open(BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ExtractError(f"image bomb: {exc}", LIMIT) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ExtractError(f"cannot read image: {exc}") from exc
    frames = ImageSequence.Iterator(image)
    for number in itertools.count(1):
        try:
            frame = next(frames)
            _check_pixels(frame, number, limits.max_pixels)
            frame.load()
        except StopIteration:
            return
        except Image.DecompressionBombError as exc:
            raise ExtractError(f"image bomb: {exc}", LIMIT) from exc
        except (OSError, ValueError, EOFError, SyntaxError) as exc:
            raise ExtractError(f"cannot read image: {exc}") from exc
        yield _page(frame, number)


def _page(frame: Image.Image, number: int) -> PageImage:
    """One frame upright as its EXIF says, as 8-bit RGB on white, with square pixels and bounded in size."""
    upright = _rgb(ImageOps.exif_transpose(frame) or frame)
    sx = sy = 1.0
    xdpi, ydpi = _resolution(frame)
    if xdpi and ydpi and abs(xdpi / ydpi - 1) > _SQUARE_TOLERANCE:
        # Stretch the coarser direction to the finer one: nothing printed is lost.
        if xdpi > ydpi:
            sy = xdpi / ydpi
        else:
            sx = ydpi / xdpi
    longest = max(upright.width * sx, upright.height * sy)
    if longest > MAX_IMAGE_SIDE:
        sx, sy = sx * MAX_IMAGE_SIDE / longest, sy * MAX_IMAGE_SIDE / longest
    if (sx, sy) != (1.0, 1.0):
        size = (max(1, round(upright.width * sx)), max(1, round(upright.height * sy)))
        sx, sy = size[0] / upright.width, size[1] / upright.height
        upright = upright.resize(size, Image.Resampling.LANCZOS if min(sx, sy) < 1 else Image.Resampling.BICUBIC)
    return PageImage(rgb=np.asarray(upright), number=number, to_page=scaling(sx, sy))


# EXIF orientations that turn the image a quarter (across becomes down).
_QUARTER_TURNS = {5, 6, 7, 8}


def _resolution(frame: Image.Image) -> tuple[float, float]:
    """The frame's dots per inch across and down, as shown (swapped when EXIF turns it); 0 if unknown."""
    try:
        xdpi, ydpi = (float(v) for v in frame.info.get("dpi", (0, 0)))
    except (TypeError, ValueError):
        return 0.0, 0.0
    return (ydpi, xdpi) if frame.getexif().get(0x0112) in _QUARTER_TURNS else (xdpi, ydpi)


def _rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB: 16-bit and float grey scaled to its range, transparency laid on white paper."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") else max(float(values.max()), 1.0)
        return Image.fromarray(np.clip(values / top * 255, 0, 255).astype(np.uint8)).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("RGB")
    return image.convert("RGB")

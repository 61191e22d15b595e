"""Page images from PDFs and image files, one page at a time, in memory."""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from jixiao.extractors.errors import LIMIT, ExtractError
from jixiao.extractors.options import Limits
from jixiao.extractors.pdf import check_page_count
from jixiao.extractors.pdf.ink import check_render_size

PDF_DPI = 200
POINTS_PER_INCH = 72
# Photos are shrunk to this longest side: print stays legible and time stays bounded.
MAX_IMAGE_SIDE = 4000


_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class PageImage:
    rgb: np.ndarray
    number: int  # 1-based
    scale: float  # output bbox units per pixel: PDF points for PDFs, source pixels for images


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
            yield PageImage(rgb=rgb, number=number, scale=POINTS_PER_INCH / dpi)
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
        upright = ImageOps.exif_transpose(frame).convert("RGB")
        scale = 1.0
        longest = max(upright.size)
        if longest > MAX_IMAGE_SIDE:
            scale = longest / MAX_IMAGE_SIDE
            upright = upright.resize((round(upright.width / scale), round(upright.height / scale)),
                                     Image.Resampling.LANCZOS)
        yield PageImage(rgb=np.asarray(upright), number=number, scale=scale)

"""Page images from PDFs and image files, one page at a time, in memory."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from jixiao.extractors.errors import ExtractError

PDF_DPI = 200
POINTS_PER_INCH = 72
# Photos are shrunk to this longest side: print stays legible and time stays bounded.
MAX_IMAGE_SIDE = 4000


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


def pdf_pages(data: bytes, numbers: list[int] | None = None, dpi: int = PDF_DPI) -> Iterator[PageImage]:
    """The 1-based pages `numbers` (all when None) rendered at `dpi`; a page outside the file is an error."""
    pdf = _open_pdf(data)
    try:
        count = len(pdf)
        for number in numbers if numbers is not None else range(1, count + 1):
            if not 1 <= number <= count:
                raise ExtractError(f"PDF has {count} pages, no page {number}")
            page = pdf[number - 1]
            try:
                bitmap = page.render(scale=dpi / POINTS_PER_INCH, rev_byteorder=True)
                rgb = np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
            finally:
                page.close()
            yield PageImage(rgb=rgb, number=number, scale=POINTS_PER_INCH / dpi)
    finally:
        pdf.close()


def image_pages(data: bytes) -> Iterator[PageImage]:
    """Every frame of an image file (a multi-page TIFF has several), upright as its EXIF says."""
    try:
        image = Image.open(BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ExtractError(f"cannot read image: {exc}") from exc
    for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
        upright = ImageOps.exif_transpose(frame).convert("RGB")
        scale = 1.0
        longest = max(upright.size)
        if longest > MAX_IMAGE_SIDE:
            scale = longest / MAX_IMAGE_SIDE
            upright = upright.resize((round(upright.width / scale), round(upright.height / scale)),
                                     Image.Resampling.LANCZOS)
        yield PageImage(rgb=np.asarray(upright), number=number, scale=scale)

"""Crops of the source at each value's box, and page thumbnails with the form's boxes drawn, for PDFs,
scans and images: rendered one page at a time, written as small JPEGs beside the page that shows them."""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageOps, ImageSequence

from jixiao.extractors.pdf.textlayer import route_page
from jixiao.grid import BBox

# Pixels per PDF point of the page a crop is cut from (108 dpi: CJK print at 9 pt stays legible).
CROP_SCALE = 1.5
# A box is cut out with this margin around it (PDF points, or pixels of an image).
MARGIN = 3.0
# Crops of long texts (goals, notes) are shrunk to fit this; thumbnails are this wide.
MAX_CROP = (560, 220)
THUMB_WIDTH = 300
JPEG_QUALITY = 72
# A page larger than this many pixels at CROP_SCALE is rendered smaller (a poster, a damaged size).
MAX_PIXELS = 12_000_000
COLOURS = {"ok": (46, 139, 87), "low": (230, 140, 0), "flag": (210, 30, 40)}


@dataclass(frozen=True, slots=True)
class Box:
    """A box on a page to crop (`name`: the crop's file name) and draw on its thumbnail."""

    name: str
    bbox: BBox
    status: str


class SourceImages:
    """The pages of one PDF or image file, rendered on demand, one at a time."""

    def __init__(self, data: bytes, source_format: str) -> None:
        self.data, self.source_format = data, source_format

    def pages(self, numbers: list[int]) -> Iterator[tuple[int, Image.Image, float]]:
        """(page, grey image, pixels per box unit) for each 1-based page asked for, in order."""
        if self.source_format == "image":
            yield from self._frames(numbers)
        else:
            yield from self._pdf_pages(numbers)

    def _pdf_pages(self, numbers: list[int]) -> Iterator[tuple[int, Image.Image, float]]:
        document = pdfium.PdfDocument(self.data)
        try:
            for number in numbers:
                if not 1 <= number <= len(document):
                    continue
                page = document[number - 1]
                try:
                    # A text page printed sideways was read turned upright, and its boxes are on that page.
                    turn = route_page(page, number).turn if self.source_format == "pdf" else 0
                    width, height = page.get_size()
                    scale = min(CROP_SCALE, (MAX_PIXELS / max(width * height, 1.0)) ** 0.5)
                    image = page.render(scale=scale, rotation=turn, grayscale=True).to_pil().convert("L")
                finally:
                    page.close()
                yield number, image, scale
        finally:
            document.close()

    def _frames(self, numbers: list[int]) -> Iterator[tuple[int, Image.Image, float]]:
        wanted = set(numbers)
        with Image.open(BytesIO(self.data)) as image:
            for number, frame in zip(itertools.count(1), ImageSequence.Iterator(image)):
                if number > max(wanted, default=0):
                    break
                if number in wanted:
                    # Boxes are in pixels of the image as given, turned upright as its EXIF says.
                    upright = ImageOps.exif_transpose(frame).convert("L")
                    yield number, upright, 1.0


def write_crops(image: Image.Image, scale: float, boxes: list[Box], folder: Path) -> None:
    width, height = image.size
    for box in boxes:
        x0, top, x1, bottom = box.bbox
        area = (max(0, round((x0 - MARGIN) * scale)), max(0, round((top - MARGIN) * scale)),
                min(width, round((x1 + MARGIN) * scale)), min(height, round((bottom + MARGIN) * scale)))
        if area[2] <= area[0] or area[3] <= area[1]:
            area = (0, 0, 1, 1)  # a box off the page: a blank crop rather than none
        crop = image.crop(area)
        crop.thumbnail(MAX_CROP)
        crop.save(folder / box.name, "JPEG", quality=JPEG_QUALITY)


def write_thumbnail(image: Image.Image, scale: float, boxes: list[Box], target: Path) -> tuple[int, int]:
    """The page shrunk to THUMB_WIDTH with each box drawn in its status colour; its size."""
    ratio = THUMB_WIDTH / image.width
    thumb = image.resize((THUMB_WIDTH, max(1, round(image.height * ratio))), Image.Resampling.BILINEAR).convert("RGB")
    draw = ImageDraw.Draw(thumb)
    # Flags last, so they are drawn over the boxes around them.
    for box in sorted(boxes, key=lambda b: list(COLOURS).index(b.status)):
        x0, top, x1, bottom = (v * scale * ratio for v in box.bbox)
        draw.rectangle((x0, top, max(x0 + 1, x1), max(top + 1, bottom)), outline=COLOURS[box.status], width=2)
    thumb.save(target, "JPEG", quality=JPEG_QUALITY)
    return thumb.size

"""Make "scanned" pages from text PDFs: print, stamp, tilt, light, grain, JPEG, as a copier would.

Used by the tests, and by hand to make scans in other styles than the corpus:

    python tests/scanlib.py OUT_DIR FILE.pdf... [--dpi 150] [--tilt 3] [--seed 1]

writes OUT_DIR/FILE.pdf (image-only, one JPEG per page) for each input.
"""
from __future__ import annotations

import argparse
import io
import math
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter


def render(pdf: bytes, dpi: int) -> list[Image.Image]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(doc))]
    finally:
        doc.close()


def stamp(page: Image.Image, center: tuple[float, float], radius: float) -> Image.Image:
    """A red seal (ring, star, a row of marks along the ring) multiplied over the page."""
    seal = Image.new("L", page.size, 0)
    draw = ImageDraw.Draw(seal)
    cx, cy = center
    width = max(3, round(radius / 14))
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=255, width=width)
    star = [(cx + 0.35 * radius * math.cos(math.pi / 2 + k * 4 * math.pi / 5),
             cy - 0.35 * radius * math.sin(math.pi / 2 + k * 4 * math.pi / 5)) for k in range(5)]
    draw.polygon(star, fill=255)
    for k in range(14):  # the seal's characters, as blocky marks around the ring
        angle = math.pi * (0.9 + 1.2 * k / 13)
        x, y = cx + 0.72 * radius * math.cos(angle), cy - 0.72 * radius * math.sin(angle)
        s = radius / 9
        draw.rectangle((x - s, y - s, x + s, y + s), outline=255, width=max(2, width // 2))
    alpha = np.asarray(seal.filter(ImageFilter.GaussianBlur(1)), dtype=np.float32)[:, :, None] / 255 * 0.8
    red = np.array([215, 40, 45], dtype=np.float32) / 255
    rgb = np.asarray(page, dtype=np.float32)
    out = rgb * (1 - alpha + alpha * red)  # multiply: print under the seal stays dark
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def scan(page: Image.Image, tilt: float, rng: np.random.Generator, quality: int = 60) -> Image.Image:
    """Tilt, uneven light, grain, blur and JPEG."""
    tilted = page.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(248, 246, 242))
    rgb = np.asarray(tilted, dtype=np.float32)
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    light = 1.0 - 0.10 * ((xx / w - 0.3) ** 2 + (yy / h - 0.4) ** 2)
    rgb = rgb * light[:, :, None] + rng.normal(0, 6, rgb.shape)
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.6))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def scan_pdf(pdf: bytes, dpi: int = 150, tilt: float = 3.0, seed: int = 1) -> list[Image.Image]:
    """Every page of a text PDF, stamped over its lower right part and scanned."""
    rng = np.random.default_rng(seed)
    pages = []
    for k, page in enumerate(render(pdf, dpi)):
        w, h = page.size
        stamped = stamp(page, (w * (0.55 + 0.1 * rng.random()), h * (0.25 + 0.5 * rng.random())), dpi * 0.8)
        pages.append(scan(stamped, tilt if k % 2 == 0 else -tilt, rng))
    return pages


def to_pdf(pages: list[Image.Image], dpi: int) -> bytes:
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("pdfs", nargs="+", type=Path)
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--tilt", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for pdf in args.pdfs:
        pages = scan_pdf(pdf.read_bytes(), args.dpi, args.tilt, args.seed)
        (args.out / pdf.name).write_bytes(to_pdf(pages, args.dpi))


if __name__ == "__main__":
    main()

"""Make "scanned" pages from text PDFs, as a copier, a phone, a fax or a pen would leave them.

Used by the tests and by bench/bench_scans.py, and by hand to make scans in other styles than the corpus:

    python tests/scanlib.py OUT_DIR FILE.pdf... [--dpi 150] [--tilt 3] [--seed 1] [--condition flat]

writes OUT_DIR/FILE.<ext> for each input, in the condition named (see CONDITIONS).

Conditions, each from the text PDF's own pages:
- `flat`: printed, stamped with a red seal, tilted ±3°, uneven light, grain, blur, JPEG (the copier);
- `rotated`: the same, with the sheets fed turned 90°, 180° or 270° (a different turn page by page),
  as a PDF; `rotated_tiff`: the same as a multi-page TIFF;
- `exif`: a JPEG per page whose pixels are stored turned, with the EXIF orientation that sets them upright;
- `photo`: a phone photo: page slightly curled, keystoned 3-8% on a dark background, a soft shadow over
  part of it, colour cast, JPEG q50-70 (one JPEG per page, and the pages as a PDF of photos);
- `lowres`: the copier at 100 dpi;
- `fax`: 1-bit, 204 x 196 dpi (non-square pixels), Group 4 TIFF, every page;
- `marks`: blue and black pen ticks over the scores, a signature across the total row, a seal over
  the execution rate; the pages saved as palette (256-colour) PNGs.
More conditions (each function below says how it is made):
- the scanner: `crooked` (sheets laid 6-9° askew, the lid round them), `border` (a wide black
  border on two sides and a strip of the next page beyond a gutter), `hires_tiff` (300 dpi colour,
  multi-page TIFF), `hires_jpeg` (400 dpi JPEG), `small_grey` (printed at 70%, 150 dpi grey),
  `jpeg_low` (150 dpi, JPEG q20-30), `copy_of_copy` (an 85 lpi halftone copy scanned at 150 dpi);
- the paper and toner: `faint` (toner at 40-60%, the back page showing through), `aged` (yellowed or
  grey recycled paper, mottled, fibre specks, stronger show-through);
- the table's style: `shaded` (grey header rows, light blue label cells, light green rows),
  `thin_rules` (rules dashed, dotted or broken one-pixel hairlines), `dropout` (an inner rule down
  and one across faded out over 40-70% of their length);
- faxes and photos: `fax_speckle` (the fax with salt and pepper), `keystone` (a photo keystoned
  10-15%, every other one with a flash's glare), `glare` (the phone photo with a glare spot).
"""
from __future__ import annotations

import argparse
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pdfplumber
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter

PAPER = (248, 246, 242)
BLUE_PEN = (35, 55, 165)
BLACK_PEN = (28, 28, 34)
SEAL_RED = (215, 40, 45)


def render(pdf: bytes, dpi: float, pages: list[int] | None = None) -> list[Image.Image]:
    """The 1-based `pages` (all when None) at `dpi`."""
    doc = pdfium.PdfDocument(pdf)
    try:
        numbers = pages or list(range(1, len(doc) + 1))
        return [doc[n - 1].render(scale=dpi / 72).to_pil().convert("RGB") for n in numbers]
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
    return _multiply(page, seal.filter(ImageFilter.GaussianBlur(1)), SEAL_RED, 0.8)


def _multiply(page: Image.Image, mask: Image.Image, colour: tuple[int, int, int], strength: float) -> Image.Image:
    """Ink of `colour` where `mask` is set, multiplied over the page: print under it stays dark."""
    alpha = np.asarray(mask, dtype=np.float32)[:, :, None] / 255 * strength
    ink = np.array(colour, dtype=np.float32) / 255
    rgb = np.asarray(page, dtype=np.float32)
    return Image.fromarray(np.clip(rgb * (1 - alpha + alpha * ink), 0, 255).astype(np.uint8))


def scan(page: Image.Image, tilt: float, rng: np.random.Generator, quality: int = 60,
         blur: float = 0.6) -> Image.Image:
    """Tilt, uneven light, grain, blur and JPEG."""
    tilted = page.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=PAPER)
    rgb = np.asarray(tilted, dtype=np.float32)
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    light = 1.0 - 0.10 * ((xx / w - 0.3) ** 2 + (yy / h - 0.4) ** 2)
    rgb = rgb * light[:, :, None] + rng.normal(0, 6, rgb.shape)
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(blur))
    return _jpeg(img, quality)


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def scan_pdf(pdf: bytes, dpi: int = 150, tilt: float = 3.0, seed: int = 1,
             pages: list[int] | None = None) -> list[Image.Image]:
    """Every page of a text PDF (or the 1-based `pages`), stamped over its lower right part and scanned."""
    rng = np.random.default_rng(seed)
    out = []
    for k, page in enumerate(render(pdf, dpi, pages)):
        w, h = page.size
        stamped = stamp(page, (w * (0.55 + 0.1 * rng.random()), h * (0.25 + 0.5 * rng.random())), dpi * 0.8)
        out.append(scan(stamped, tilt if k % 2 == 0 else -tilt, rng, blur=0.6 * dpi / 150))
    return out


def turn(page: Image.Image, degrees: int) -> Image.Image:
    """The sheet fed turned `degrees` clockwise (0, 90, 180, 270)."""
    return page.rotate(-degrees, expand=True) if degrees % 360 else page


# Pages of a rotated set turn in this order, so that a document mixes turns and each turn is seen.
TURNS = (90, 180, 270, 0)


def rotated_pages(pdf: bytes, seed: int = 1, pages: list[int] | None = None, first: int = 0) -> list[Image.Image]:
    """Scans (200 dpi, tilted 1.5°) of the pages, page k turned TURNS[(first + k) % 4]."""
    scanned = scan_pdf(pdf, dpi=200, tilt=1.5, seed=seed, pages=pages)
    return [turn(page, TURNS[(first + k) % len(TURNS)]) for k, page in enumerate(scanned)]


# EXIF orientation -> how the pixels are stored (turned counter-clockwise by these degrees) for it to
# display upright (EXIF 6: "rotate 90 CW to view", so the pixels lie turned 90 CCW).
EXIF_STORED_CCW = {3: 180, 6: 90, 8: 270}


def exif_jpeg(page: Image.Image, orientation: int, quality: int = 75) -> bytes:
    """A JPEG whose pixels lie turned, with the EXIF orientation that shows them upright."""
    stored = page.rotate(EXIF_STORED_CCW[orientation], expand=True)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", quality=quality, exif=exif)
    return buf.getvalue()


@dataclass(frozen=True)
class Photo:
    image: Image.Image
    corners: np.ndarray  # the page's corners in the photo: top-left, top-right, bottom-right, bottom-left


def photograph(page: Image.Image, rng: np.random.Generator, keystone: float | None = None,
               quality: int | None = None, long_side: int = 2600) -> Photo:
    """A phone photo of a page lying on a dark desk: curl, keystone, shadow, colour cast, JPEG q50-70.

    `page` is rendered at about 200 dpi; the photo's longest side is `long_side` pixels, the page
    filling about 80% of it, so the print ends up near 160-190 dpi.
    """
    keystone = float(rng.uniform(0.03, 0.08)) if keystone is None else keystone
    quality = int(rng.integers(50, 71)) if quality is None else quality
    paper = _curl(np.asarray(page), rng)
    ph, pw = paper.shape[:2]
    canvas_h = long_side
    canvas_w = round(long_side * 0.75)
    fill = float(rng.uniform(0.74, 0.84))
    scale = fill * min(canvas_w / pw, canvas_h / ph)
    w, h = pw * scale, ph * scale
    cx, cy = canvas_w / 2 + rng.uniform(-0.03, 0.03) * canvas_w, canvas_h / 2 + rng.uniform(-0.03, 0.03) * canvas_h
    # Keystone: the far (top) edge is shorter; a small turn and corner jitter as a hand holds a phone.
    top_inset = keystone * w / 2
    quad = np.array([[-w / 2 + top_inset, -h / 2], [w / 2 - top_inset, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    quad += rng.normal(0, 0.004 * w, quad.shape)
    angle = math.radians(rng.uniform(-3, 3))
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    quad = quad @ rot.T + [cx, cy]
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    desk = _desk(canvas_h, canvas_w, rng)
    warped = cv2.warpPerspective(paper, matrix, (canvas_w, canvas_h), flags=cv2.INTER_AREA,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (canvas_w, canvas_h))
    mask = cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32)[:, :, None] / 255
    photo = warped.astype(np.float32) * mask + desk * (1 - mask)
    photo *= _shadow(canvas_h, canvas_w, rng)[:, :, None]
    cast = np.array([1.0, rng.uniform(0.95, 0.99), rng.uniform(0.85, 0.93)], dtype=np.float32)
    photo = photo * cast + rng.normal(0, 4, photo.shape)
    img = Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(float(rng.uniform(0.6, 1.0))))
    return Photo(_jpeg(img, quality), quad)


def _curl(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The sheet bows a little: its rows bend by up to about 0.4% of the height, most at one side."""
    h, w = page.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    amount = float(rng.uniform(0.002, 0.005)) * h
    side = xx / w if rng.random() < 0.5 else 1 - xx / w
    map_y = yy + amount * side ** 2 * np.sin(np.pi * yy / h)
    return cv2.remap(page, xx, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=PAPER)


def _desk(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A dark desk: brown-grey, a gradient and a coarse grain."""
    base = np.array([rng.uniform(45, 75), rng.uniform(38, 60), rng.uniform(30, 50)], dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gradient = 0.8 + 0.4 * (xx / w * 0.5 + yy / h * 0.5)
    grain = cv2.resize(rng.normal(0, 10, (h // 16 + 1, w // 16 + 1)).astype(np.float32), (w, h))
    return base[None, None, :] * gradient[:, :, None] + grain[:, :, None]


def _shadow(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Light falling off across the photo, and the soft shadow of the phone or a hand over one part."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1.0 - 0.15 * ((xx / w - rng.uniform(0.2, 0.8)) ** 2 + (yy / h - rng.uniform(0.2, 0.8)) ** 2)
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    rx, ry = rng.uniform(0.2, 0.4) * w, rng.uniform(0.15, 0.3) * h
    blob = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1
    soft = cv2.GaussianBlur(blob.astype(np.float32), (0, 0), 0.08 * w)
    return light * (1.0 - float(rng.uniform(0.25, 0.4)) * soft)


def fax_pages(pdf: bytes, pages: list[int] | None = None, dpi: tuple[int, int] = (204, 196),
              seed: int = 1) -> list[Image.Image]:
    """1-bit pages as a fax machine sends them: `dpi` across and down, thresholded, a little tilt and noise."""
    rng = np.random.default_rng(seed)
    out = []
    for page in render(pdf, dpi[0], pages):
        w, h = page.size
        page = page.resize((w, round(h * dpi[1] / dpi[0])), Image.Resampling.LANCZOS)
        gray = np.asarray(page.convert("L").rotate(float(rng.uniform(-0.8, 0.8)), resample=Image.Resampling.BILINEAR,
                                                   fillcolor=255), dtype=np.float32)
        gray = gray + rng.normal(0, 25, gray.shape)
        bits = Image.fromarray((gray > 150).astype(np.uint8) * 255).convert("1")
        bits.info["dpi"] = dpi
        out.append(bits)
    return out


# --- Marks over the print -------------------------------------------------------------------------

_NUMBER = re.compile(r"^\d+(\.\d+)?%?$")
_TOTAL_LABELS = ("总分", "总计", "合计")


@dataclass(frozen=True)
class Spots:
    """Where on a page (PDF points, top-left origin) marks go."""

    scores: list[tuple[float, float, float, float]]  # boxes of the figures under each 得分 header
    totals: list[tuple[float, float, float, float]]  # boxes of the total rows, label to last figure
    rates: list[tuple[float, float, float, float]]  # boxes of the figures under 执行率


def spots(pdf: bytes, number: int) -> Spots:
    """Where the scores, total rows and execution rates of page `number` (1-based) are printed."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        words = doc.pages[number - 1].extract_words()
    box = lambda w: (w["x0"], w["top"], w["x1"], w["bottom"])
    numbers = [w for w in words if _NUMBER.match(w["text"])]

    heads = [w for w in words if not _NUMBER.match(w["text"])]

    def under(header: str, first: bool = False) -> list[tuple[float, float, float, float]]:
        """Figures whose nearest word above, in the same column, is `header` (with `first`, only the
        figure right under each such header)."""
        found: dict[int, list[tuple[float, float, float, float]]] = {}
        for w in sorted(numbers, key=lambda w: w["top"]):
            centre = (w["x0"] + w["x1"]) / 2
            above = [h for h in heads if h["bottom"] <= w["top"] and h["x0"] - 2 <= centre <= h["x1"] + 2]
            nearest = max(above, key=lambda h: h["top"]) if above else None
            if nearest is not None and nearest["text"] == header:
                found.setdefault(id(nearest), []).append(box(w))
        return [b for boxes in found.values() for b in (boxes[:1] if first else boxes)]

    totals = []
    for label in (w for w in words if w["text"] in _TOTAL_LABELS):
        row = [w for w in numbers if abs(w["top"] - label["top"]) < 4 and w["x0"] > label["x1"]]
        if row:
            totals.append((label["x0"], min(label["top"], *(w["top"] for w in row)), max(w["x1"] for w in row),
                           max(label["bottom"], *(w["bottom"] for w in row))))
    return Spots(under("得分"), totals, under("执行率", first=True))


def _pen(page: Image.Image, strokes: list[np.ndarray], colour: tuple[int, int, int], width: float) -> Image.Image:
    mask = Image.new("L", page.size, 0)
    draw = ImageDraw.Draw(mask)
    for points in strokes:
        draw.line([tuple(p) for p in points], fill=255, width=max(1, round(width)), joint="curve")
    return _multiply(page, mask.filter(ImageFilter.GaussianBlur(0.7)), colour, 0.92)


def tick(centre: tuple[float, float], size: float, rng: np.random.Generator) -> np.ndarray:
    """A hand-drawn tick ✓ about `size` pixels high, centred on `centre`."""
    x, y = centre
    jitter = lambda: rng.normal(0, 0.05 * size)
    corners = np.array([[x - 0.35 * size + jitter(), y - 0.05 * size + jitter()],
                        [x - 0.05 * size + jitter(), y + 0.35 * size + jitter()],
                        [x + 0.45 * size + jitter(), y - 0.6 * size + jitter()]])
    return _smooth(corners, 12)


def signature(centre: tuple[float, float], width: float, height: float, rng: np.random.Generator) -> np.ndarray:
    """A cursive scrawl of loops `width` wide and about `height` high, centred on `centre`."""
    t = np.linspace(0, 1, 400)
    turns = float(rng.uniform(4, 7))
    # Sideways swings larger than the forward motion make loops, as a hand writing fast does.
    x = width * (t - 0.5) + 0.12 * width * np.sin(2 * np.pi * turns * t) * rng.uniform(0.6, 1.0)
    y = height / 2 * (np.sin(2 * np.pi * turns * t + rng.uniform(0, np.pi)) * rng.uniform(0.6, 1.0)
                      + 0.4 * np.sin(2 * np.pi * rng.uniform(0.5, 1.5) * t))
    return np.stack([centre[0] + x, centre[1] + y], axis=1)


def _smooth(points: np.ndarray, steps: int) -> np.ndarray:
    """A Catmull-Rom curve through the points."""
    padded = np.vstack([points[0], points, points[-1]])
    out = []
    for k in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[k - 1], padded[k], padded[k + 1], padded[k + 2]
        for t in np.linspace(0, 1, steps, endpoint=False):
            out.append(0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                              + (-p0 + 3 * p1 - 3 * p2 + p3) * t ** 3))
    out.append(points[-1])
    return np.array(out)


def marked_pages(pdf: bytes, dpi: int = 200, seed: int = 1, pages: list[int] | None = None,
                 pens: tuple[tuple[int, int, int], ...] = (BLUE_PEN, BLACK_PEN)) -> list[Image.Image]:
    """Scans of the pages with pen ticks (in the `pens`' colours by turns) over the scores, a signature
    across each total row and a red seal over each execution rate."""
    rng = np.random.default_rng(seed)
    numbers = pages or list(range(1, len(pdfium.PdfDocument(pdf)) + 1))
    out = []
    k = 0
    for number, page in zip(numbers, render(pdf, dpi, numbers), strict=True):
        found = spots(pdf, number)
        px = dpi / 72
        for x0, y0, x1, y1 in found.scores:
            size = (y1 - y0) * px * rng.uniform(1.4, 2.2)
            centre = (x1 * px + rng.uniform(-0.2, 0.6) * size, (y0 + y1) / 2 * px + rng.uniform(-0.2, 0.2) * size)
            page = _pen(page, [tick(centre, size, rng)], pens[k % len(pens)], 0.012 * dpi)
            k += 1
        for x0, y0, x1, y1 in found.totals:
            # Over the total's last figure (the score), overshooting the row above and below.
            centre = ((x1 - rng.uniform(0, 30)) * px, (y0 + y1) / 2 * px)
            scrawl = signature(centre, rng.uniform(80, 130) * px, (y1 - y0) * px * rng.uniform(2.0, 3.0), rng)
            page = _pen(page, [scrawl], pens[k % len(pens)], 0.012 * dpi)
        for x0, y0, x1, y1 in found.rates:
            page = stamp(page, ((x0 + x1) / 2 * px + rng.uniform(-10, 10), (y0 + y1) / 2 * px), dpi * 0.7)
        out.append(scan(page, float(rng.uniform(-1.5, 1.5)), rng, quality=70))
    return out


# --- Containers ---------------------------------------------------------------------------------

def to_pdf(pages: list[Image.Image], dpi: int) -> bytes:
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return buf.getvalue()


def to_tiff(pages: list[Image.Image], compression: str = "tiff_lzw", dpi: tuple[int, int] | None = None) -> bytes:
    buf = io.BytesIO()
    extra = {"dpi": dpi} if dpi else {}
    pages[0].save(buf, format="TIFF", save_all=True, append_images=pages[1:], compression=compression, **extra)
    return buf.getvalue()


def to_png(page: Image.Image, palette: bool = False) -> bytes:
    buf = io.BytesIO()
    (page.quantize(256, method=Image.Quantize.MEDIANCUT) if palette else page).save(buf, format="PNG")
    return buf.getvalue()


def to_jpeg(page: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    page.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


# --- Conditions: pages of a text PDF -> one file ----------------------------------------------------

@dataclass(frozen=True)
class Condition:
    suffix: str
    multipage: bool  # one file holds a whole document; else one file per page
    make: Callable[[bytes, list[int], int], bytes]  # (text PDF, 1-based pages, seed) -> the file


def _flat(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_pdf(scan_pdf(pdf, dpi=150, tilt=3.0, seed=seed, pages=pages), 150)


def _rotated(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_pdf(rotated_pages(pdf, seed=seed, pages=pages, first=seed), 200)


def _rotated_tiff(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_tiff(rotated_pages(pdf, seed=seed, pages=pages, first=seed + 1), dpi=(200, 200))


def _exif(pdf: bytes, pages: list[int], seed: int) -> bytes:
    page = scan_pdf(pdf, dpi=200, tilt=1.0, seed=seed, pages=pages)[0]
    return exif_jpeg(page, (6, 3, 8)[seed % 3])


def _photo_pdf(pdf: bytes, pages: list[int], seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    return to_pdf([photograph(page, rng).image for page in render(pdf, 200, pages)], 200)


def _photo_jpeg(pdf: bytes, pages: list[int], seed: int) -> bytes:
    photo = photograph(render(pdf, 200, pages)[0], np.random.default_rng(seed))
    return to_jpeg(photo.image, 90)


def _lowres(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_pdf(scan_pdf(pdf, dpi=100, tilt=1.5, seed=seed, pages=pages), 100)


def _fax(pdf: bytes, pages: list[int], seed: int) -> bytes:
    dpi = (204, 196) if seed % 2 else (200, 200)
    return to_tiff(fax_pages(pdf, pages, dpi=dpi, seed=seed), "group4", dpi=dpi)


def _marks(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_pdf(marked_pages(pdf, seed=seed, pages=pages), 200)


def _marks_palette(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_png(marked_pages(pdf, seed=seed, pages=pages)[0], palette=True)


# --- Other conditions: the scanner, the paper, the toner, the table's own style -----------------------

LID = (226, 226, 222)


def crooked_pages(pdf: bytes, pages: list[int] | None = None, seed: int = 1, dpi: int = 200,
                  tilt: tuple[float, float] = (6.0, 9.0)) -> list[Image.Image]:
    """Sheets laid crooked on a flatbed, tilted 6-9° (sign alternating page by page): the grey scanner
    lid shows round the sheet, its edge a thin shadow; then the copier's light, grain and JPEG."""
    rng = np.random.default_rng(seed)
    out = []
    for k, page in enumerate(render(pdf, dpi, pages)):
        angle = float(rng.uniform(*tilt)) * (1 if k % 2 == 0 else -1)
        sheet = Image.new("L", page.size, 255)
        turned = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=LID)
        edge = np.asarray(sheet.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=0), dtype=np.float32)
        shadow = cv2.GaussianBlur(edge, (0, 0), 2.0) / 255  # a soft dark line where the sheet ends
        rgb = np.asarray(turned, dtype=np.float32) * (1 - 0.35 * (1 - np.abs(2 * shadow - 1)))[:, :, None]
        out.append(scan(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)), 0.0, rng))
    return out


def bordered_pages(pdf: bytes, pages: list[int] | None = None, seed: int = 1, dpi: int = 200) -> list[Image.Image]:
    """A sheet scanned with the lid up, off the glass's corner: a wide black border on two sides
    (8-14% of the width and height), the sheet tilted up to 2°, and beyond a dark gutter on the far
    side, a strip (6-10% of the width) of the next page of a bound report, its print cut off."""
    rng = np.random.default_rng(seed)
    rendered = render(pdf, dpi, pages)
    out = []
    for k, page in enumerate(rendered):
        w, h = page.size
        left, top = int(w * rng.uniform(0.08, 0.14)), int(h * rng.uniform(0.08, 0.14))
        strip = int(w * rng.uniform(0.06, 0.10))
        gutter = int(w * 0.015)
        canvas = Image.new("RGB", (left + w + gutter + strip, top + h + int(h * 0.02)), (18, 18, 20))
        canvas.paste(page.rotate(float(rng.uniform(-2, 2)), resample=Image.Resampling.BICUBIC, fillcolor=PAPER),
                     (left, top))
        neighbour = rendered[(k + 1) % len(rendered)]
        canvas.paste(neighbour.crop((0, 0, strip, h)), (left + w + gutter, top + int(h * 0.01)))
        rgb = np.asarray(canvas, dtype=np.float32)
        ch, cw = rgb.shape[:2]
        xx = np.mgrid[0:ch, 0:cw][1].astype(np.float32)
        # The far side, off the glass, is darker.
        rgb *= (1 - 0.25 * np.clip((xx - left - w) / max(strip, 1), 0, 1))[:, :, None]
        out.append(scan(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)), 0.0, rng))
    return out


def faint_pages(pdf: bytes, pages: list[int] | None = None, seed: int = 1, dpi: int = 200,
                toner: tuple[float, float] = (0.4, 0.6), paper: tuple[int, int, int] = (250, 250, 248),
                back: float = 0.12, fibres: bool = False) -> list[Image.Image]:
    """Printed with toner running out (print only `toner` as dark as it should be: 40-60%), on
    `paper` (with `fibres`: recycled or aged paper, mottled, specks of fibre), the back page's print
    showing through mirrored at `back` of its darkness; then the copier's scan."""
    rng = np.random.default_rng(seed)
    rendered = render(pdf, dpi, pages)
    out = []
    for k, page in enumerate(rendered):
        darkness = 1 - np.asarray(page.convert("L"), dtype=np.float32) / 255
        strength = float(rng.uniform(*toner))
        behind = 1 - np.asarray(rendered[(k + 1) % len(rendered)].convert("L").transpose(
            Image.Transpose.FLIP_LEFT_RIGHT), dtype=np.float32) / 255
        behind = cv2.GaussianBlur(behind, (0, 0), 1.5) * back
        h, w = darkness.shape
        base = np.array(paper, dtype=np.float32)[None, None, :] * np.ones((h, w, 1), np.float32)
        if fibres:
            mottle = cv2.resize(rng.normal(0, 1, (h // 40 + 1, w // 40 + 1)).astype(np.float32), (w, h),
                                interpolation=cv2.INTER_CUBIC)
            base *= (1 + 0.025 * mottle)[:, :, None]
            specks = (rng.random((h, w)) < 0.0004).astype(np.float32)
            specks = cv2.dilate(specks, np.ones((2, 3), np.uint8)) * rng.uniform(0.2, 0.5)
            base *= (1 - specks)[:, :, None]
        rgb = base * ((1 - strength * darkness) * (1 - behind))[:, :, None]
        out.append(scan(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)),
                        float(rng.uniform(-1.5, 1.5)), rng, quality=70))
    return out


def _cell_boxes(pdf: bytes, number: int) -> list[tuple[list[tuple[float, float, float, float]], list[str]]]:
    """The rows of every ruled table on page `number`: each row's cell boxes (PDF points) and texts."""
    rows = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for table in doc.pages[number - 1].find_tables():
            texts = table.extract()
            for row, values in zip(table.rows, texts, strict=True):
                cells = [(c, t or "") for c, t in zip(row.cells, values, strict=True) if c is not None]
                rows.append(([c for c, _ in cells], [t for _, t in cells]))
    return rows


GREY_FILL = (205, 205, 205)
BLUE_FILL = (214, 228, 246)
GREEN_FILL = (222, 240, 218)


def shaded_pages(pdf: bytes, pages: list[int] | None = None, seed: int = 1, dpi: int = 200) -> list[Image.Image]:
    """Tables styled as Word often leaves them: header rows (every cell a label, no figure) filled
    grey (15-25%), the label cell opening each other row light blue, every other row light green
    behind its figures; fills under the print (multiplied); then the copier's scan."""
    rng = np.random.default_rng(seed)
    numbers = pages or list(range(1, len(pdfium.PdfDocument(pdf)) + 1))
    out = []
    for number, page in zip(numbers, render(pdf, dpi, numbers), strict=True):
        px = dpi / 72
        rgb = np.asarray(page, dtype=np.float32).copy()
        grey = np.array(GREY_FILL, np.float32) * rng.uniform(0.97, 1.03)
        for r, (boxes, texts) in enumerate(_cell_boxes(pdf, number)):
            header = sum(1 for t in texts if t.strip()) >= 3 and not any(re.search(r"\d", t) for t in texts)
            for c, ((x0, y0, x1, y1), text) in enumerate(zip(boxes, texts, strict=True)):
                fill = grey if header else BLUE_FILL if c == 0 and text.strip() else GREEN_FILL if r % 2 else None
                if fill is None:
                    continue
                box = (slice(round(y0 * px), round(y1 * px)), slice(round(x0 * px), round(x1 * px)))
                rgb[box] *= np.asarray(fill, np.float32) / 255
        out.append(scan(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)), float(rng.uniform(-1.5, 1.5)),
                        rng, quality=70))
    return out


def _rule_masks(gray: np.ndarray, dpi: int) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rules of a clean render: runs of ink longer than a third of an inch."""
    ink = (gray < 160).astype(np.uint8)
    length = dpi // 3
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return horizontal > 0, vertical > 0


RULE_STYLES = ("dashed", "dotted", "hairline")


def restyle_rules(page: Image.Image, style: str, rng: np.random.Generator, dpi: int = 200) -> Image.Image:
    """The table's rules redrawn: `dashed` (dashes of 5 points, gaps of 2.5), `dotted` (dots a
    point apart), or `hairline` (one pixel, grey, broken every 15-30 points by a gap of 1-2)."""
    gray = np.asarray(page.convert("L"))
    horizontal, vertical = _rule_masks(gray, dpi)
    rules = horizontal | vertical
    rgb = np.asarray(page).copy()
    rgb[rules] = 255
    yy, xx = np.mgrid[0:gray.shape[0], 0:gray.shape[1]]
    pt = dpi / 72
    if style in ("dashed", "dotted"):
        period, on = (7.5 * pt, 5 * pt) if style == "dashed" else (2 * pt, 0.8 * pt)
        keep = (horizontal & ((xx % period) < on)) | (vertical & ((yy % period) < on))
        rgb[keep] = 40
    else:
        # One pixel of each rule (its first row or column), broken at random places.
        thin_h = horizontal & ~np.roll(horizontal, 1, axis=0)
        thin_v = vertical & ~np.roll(vertical, 1, axis=1)
        step = rng.uniform(15, 30) * pt
        gap = rng.uniform(1, 2) * pt
        phase = rng.uniform(0, step, size=gray.shape[0] + gray.shape[1])
        keep = (thin_h & (((xx + phase[yy]) % step) > gap)) | (thin_v & (((yy + phase[gray.shape[0] + xx]) % step) > gap))
        rgb[keep] = 110
    return Image.fromarray(rgb)


def drop_rules(page: Image.Image, rng: np.random.Generator, dpi: int = 200) -> Image.Image:
    """A copier's dropout: one inner vertical rule and one inner horizontal rule of the page fade out
    over 40-70% of their length (the print across them stays)."""
    gray = np.asarray(page.convert("L"))
    rgb = np.asarray(page).copy()
    for mask, axis in zip(_rule_masks(gray, dpi), (1, 0), strict=True):
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        long_side = stats[1:, cv2.CC_STAT_WIDTH if axis == 1 else cv2.CC_STAT_HEIGHT]
        start = stats[1:, cv2.CC_STAT_LEFT if axis == 0 else cv2.CC_STAT_TOP]
        # Inner rules: not the outermost ones (the frame) of the page.
        inner = [k for k in range(n - 1) if start[k] > start.min() + 5 and start[k] < start.max() - 5
                 and long_side[k] > dpi]
        if not inner:
            continue
        k = int(rng.choice(inner)) + 1
        x, y, w, h = stats[k, :4]
        span = float(rng.uniform(0.4, 0.7))
        if axis == 1:
            a = x + int(rng.uniform(0, 1 - span) * w)
            region = (slice(y, y + h), slice(a, a + int(span * w)))
        else:
            a = y + int(rng.uniform(0, 1 - span) * h)
            region = (slice(a, a + int(span * h)), slice(x, x + w))
        rgb[region][labels[region] == k] = 255
    return Image.fromarray(rgb)


def ruled_pages(pdf: bytes, pages: list[int] | None = None, seed: int = 1, dpi: int = 200,
                dropout: bool = False) -> list[Image.Image]:
    """Scans whose table rules are dashed, dotted or broken hairlines (a style page by page), or
    (`dropout`) solid but with rules faded out in part."""
    rng = np.random.default_rng(seed)
    out = []
    for k, page in enumerate(render(pdf, dpi, pages)):
        page = drop_rules(page, rng, dpi) if dropout else restyle_rules(page, RULE_STYLES[(seed + k) % 3], rng, dpi)
        out.append(scan(page, float(rng.uniform(-1.5, 1.5)), rng, quality=70))
    return out


def halftone(gray: np.ndarray, cell: float, angle: float) -> np.ndarray:
    """A copier's halftone: each grey becomes round black dots on a screen `cell` pixels apart,
    turned by `angle` degrees (1-bit, 0 or 255)."""
    h, w = gray.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = math.radians(angle)
    u = (xx * math.cos(t) + yy * math.sin(t)) / cell
    v = (-xx * math.sin(t) + yy * math.cos(t)) / cell
    spot = (np.cos(2 * np.pi * u) + np.cos(2 * np.pi * v)) / 4 + 0.5  # 0..1, dot centres at 1
    darkness = 1 - gray.astype(np.float32) / 255
    return np.where(spot > 1 - darkness, 0, 255).astype(np.uint8)


def copied_pages(pdf: bytes, pages: list[int] | None = None, seed: int = 1, dpi: int = 150) -> list[Image.Image]:
    """A copy of a copy: the page copied at 300 dpi in a 45° halftone of 85 lines per inch (print
    blurred and grey first, as the first copy left it), that copy scanned at `dpi`, where the screen
    beats against the scanner's pixels into moiré; tilted ±1.5°, grain, JPEG."""
    rng = np.random.default_rng(seed)
    out = []
    for page in render(pdf, 300, pages):
        gray = np.asarray(page.convert("L").filter(ImageFilter.GaussianBlur(1.2)), dtype=np.float32)
        gray = 255 - 0.85 * (255 - gray) + 12  # the first copy's grey print and grey paper
        screened = halftone(np.clip(gray, 0, 255).astype(np.uint8), 300 / 85, 45.0)
        copy = Image.fromarray(screened).filter(ImageFilter.GaussianBlur(0.8)).convert("RGB")
        w, h = copy.size
        copy = copy.resize((round(w * dpi / 300), round(h * dpi / 300)), Image.Resampling.BILINEAR)
        out.append(scan(copy, float(rng.uniform(-1.5, 1.5)), rng, quality=75, blur=0.4))
    return out


def speckled_fax_pages(pdf: bytes, pages: list[int] | None = None, seed: int = 1,
                       dpi: tuple[int, int] = (204, 196)) -> list[Image.Image]:
    """The fax, with salt and pepper: black specks (0.3% of the pixels, some in clumps of 2-3) on the
    paper and white holes (2%) in the print, as a dirty line and a worn drum leave them."""
    rng = np.random.default_rng(seed)
    out = []
    for page in fax_pages(pdf, pages, dpi=dpi, seed=seed):
        bits = np.asarray(page.convert("L")) > 0
        pepper = rng.random(bits.shape) < 0.002
        pepper |= cv2.dilate(((rng.random(bits.shape) < 0.0005)).astype(np.uint8), np.ones((2, 2), np.uint8)) > 0
        salt = rng.random(bits.shape) < 0.02
        bits = np.where(pepper, False, np.where(salt, True, bits))
        speckled = Image.fromarray(bits.astype(np.uint8) * 255).convert("1")
        speckled.info["dpi"] = dpi
        out.append(speckled)
    return out


def glare(photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A flash's glare: a bright spot (a tenth to a sixth of the photo's width) that washes the print
    under it out to a third of its contrast, fading over its rim."""
    rgb = np.asarray(photo, dtype=np.float32)
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
    radius = rng.uniform(0.10, 0.17) * w
    d = np.sqrt(((xx - cx) / radius) ** 2 + ((yy - cy) / (0.8 * radius)) ** 2)
    wash = np.clip(1.3 - d, 0, 1)[:, :, None] * 0.7
    return Image.fromarray(np.clip(rgb * (1 - wash) + 255 * wash, 0, 255).astype(np.uint8))


def _crooked(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_pdf(crooked_pages(pdf, pages, seed), 200)


def _border(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_pdf(bordered_pages(pdf, pages, seed), 200)


def _hires_tiff(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_tiff(scan_pdf(pdf, dpi=300, tilt=1.5, seed=seed, pages=pages), "tiff_lzw", dpi=(300, 300))


def _hires_jpeg(pdf: bytes, pages: list[int], seed: int) -> bytes:
    page = scan_pdf(pdf, dpi=400, tilt=1.0, seed=seed, pages=pages)[0]
    buf = io.BytesIO()
    page.save(buf, format="JPEG", quality=85, dpi=(400, 400))
    return buf.getvalue()


def _small_grey(pdf: bytes, pages: list[int], seed: int) -> bytes:
    """Printed shrunk to 70% (a form fitted onto a smaller sheet), scanned grey at 150 dpi."""
    shrunk = []
    for page in scan_pdf(pdf, dpi=105, tilt=1.0, seed=seed, pages=pages):
        w, h = page.size
        sheet = Image.new("RGB", (round(w / 0.7), round(h / 0.7)), PAPER)
        sheet.paste(page, (round(w * 0.2), round(h * 0.15)))
        shrunk.append(sheet.convert("L"))
    return to_pdf(shrunk, 150)


def _jpeg_low(pdf: bytes, pages: list[int], seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    out = []
    for k, page in enumerate(render(pdf, 150, pages)):
        w, h = page.size
        stamped = stamp(page, (w * 0.6, h * (0.25 + 0.5 * rng.random())), 120)
        out.append(scan(stamped, 2.0 if k % 2 == 0 else -2.0, rng, quality=int(rng.integers(20, 31))))
    return to_pdf(out, 150)


def _faint(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_pdf(faint_pages(pdf, pages, seed), 200)


def _aged(pdf: bytes, pages: list[int], seed: int) -> bytes:
    paper = (236, 226, 192) if seed % 2 else (214, 214, 208)  # yellowed, or grey recycled
    return to_pdf(faint_pages(pdf, pages, seed, toner=(0.7, 0.85), paper=paper, back=0.18, fibres=True), 200)


def _shaded(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_pdf(shaded_pages(pdf, pages, seed), 200)


def _thin_rules(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_pdf(ruled_pages(pdf, pages, seed), 200)


def _dropout(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_pdf(ruled_pages(pdf, pages, seed, dropout=True), 200)


def _copy_of_copy(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_pdf(copied_pages(pdf, pages, seed), 150)


def _fax_speckle(pdf: bytes, pages: list[int], seed: int) -> bytes:
    return to_tiff(speckled_fax_pages(pdf, pages, seed=seed), "group4", dpi=(204, 196))


def _keystone(pdf: bytes, pages: list[int], seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    photo = photograph(render(pdf, 200, pages)[0], rng, keystone=float(rng.uniform(0.10, 0.15)))
    return to_jpeg(glare(photo.image, rng) if seed % 2 else photo.image, 90)


def _glare(pdf: bytes, pages: list[int], seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    return to_jpeg(glare(photograph(render(pdf, 200, pages)[0], rng).image, rng), 90)


CONDITIONS: dict[str, Condition] = {
    "flat": Condition(".pdf", True, _flat),
    "rotated": Condition(".pdf", True, _rotated),
    "rotated_tiff": Condition(".tif", True, _rotated_tiff),
    "exif": Condition(".jpg", False, _exif),
    "photo": Condition(".pdf", True, _photo_pdf),
    "photo_jpeg": Condition(".jpg", False, _photo_jpeg),
    "lowres": Condition(".pdf", True, _lowres),
    "fax": Condition(".tif", True, _fax),
    "marks": Condition(".pdf", True, _marks),
    "marks_palette": Condition(".png", False, _marks_palette),
    "crooked": Condition(".pdf", True, _crooked),
    "border": Condition(".pdf", True, _border),
    "hires_tiff": Condition(".tif", True, _hires_tiff),
    "hires_jpeg": Condition(".jpg", False, _hires_jpeg),
    "small_grey": Condition(".pdf", True, _small_grey),
    "jpeg_low": Condition(".pdf", True, _jpeg_low),
    "faint": Condition(".pdf", True, _faint),
    "aged": Condition(".pdf", True, _aged),
    "shaded": Condition(".pdf", True, _shaded),
    "thin_rules": Condition(".pdf", True, _thin_rules),
    "dropout": Condition(".pdf", True, _dropout),
    "copy_of_copy": Condition(".pdf", True, _copy_of_copy),
    "fax_speckle": Condition(".tif", True, _fax_speckle),
    "keystone": Condition(".jpg", False, _keystone),
    "glare": Condition(".jpg", False, _glare),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("pdfs", nargs="+", type=Path)
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--tilt", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--condition", choices=["copier", *CONDITIONS], default="copier",
                        help="copier: the flat scan at --dpi and --tilt; else one of the conditions above")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for pdf in args.pdfs:
        data = pdf.read_bytes()
        if args.condition == "copier":
            pages = scan_pdf(data, args.dpi, args.tilt, args.seed)
            (args.out / pdf.name).write_bytes(to_pdf(pages, args.dpi))
            continue
        condition = CONDITIONS[args.condition]
        count = len(pdfium.PdfDocument(data))
        groups = [list(range(1, count + 1))] if condition.multipage else [[k] for k in range(1, count + 1)]
        for pages in groups:
            name = pdf.stem if condition.multipage else f"{pdf.stem}_p{pages[0]}"
            (args.out / f"{name}{condition.suffix}").write_bytes(condition.make(data, pages, args.seed))


if __name__ == "__main__":
    main()

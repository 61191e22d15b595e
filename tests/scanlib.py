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

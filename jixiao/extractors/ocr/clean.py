"""Page preparation before reading, in this order: a photographed sheet found and warped flat; ink
that is not the form's print (coloured seals and pens) faded to paper; light evened; the page turned
upright; small print enlarged; skew undone.

Everything works on one page image at a time (RGB uint8) and returns new arrays, with the matrix that
carries a pixel of the prepared page back to the image given; nothing here knows about tables or text.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from jixiao.extractors.ocr.blobs import Blobs, find_blobs
from jixiao.extractors.ocr.geometry import Matrix, affine, identity, quarter_turns, scaling
from jixiao.extractors.ocr.orient import quarter_turns as upright_turns
from jixiao.extractors.ocr.photo import find_page, flatten
from jixiao.extractors.ocr.ruling import unit_of_blobs

# A sheet laid crooked on the glass or fed askew lies up to about 10° off; beyond 15° it is turned.
MAX_SKEW_DEG = 15.0
# Print is black or grey: its channels nearly agree. Seals and pens are coloured: their pixels'
# saturation (chroma over brightness) stands above paper's warmth and a JPEG's colour noise.
_GREY_SATURATION = 0.15
_COLOUR_RAMP = 0.2
_MIN_CHROMA = 25
# Paper tinted (a table's fill) no more than this saturation; ink is more saturated. Ink is this
# many times as coloured as the paper under it.
_FILL_SATURATION = 0.25
_OVER_PAPER = 2.0
# Paper is the brightest part of a page: this percentile of each channel is its colour.
_PAPER_PERCENTILE = 90
_PAPER_TINT = 15
# A colour of ink is measured where it covers at least this many pixels (a seal, a few ticks).
_MIN_INK_PIXELS = 200
_HUE_BINS = 16
# Ink lighter than a quarter of paper's brightness in its brightest channel is too dark to tell.
_MAX_GAIN = 4.0
# Print smaller than this (the height of a character, in pixels) is enlarged to it before the rules
# and lines are looked for: 200 dpi print is about 23 pixels high; 100 dpi print half that.
_UNIT = 22.0
_ENLARGE_BELOW = 17.0
_MAX_ENLARGE = 3.0
# The background estimate must not see the print: closing with a kernel wider
# than a stroke, on a page shrunk by this factor for speed.
_BACKGROUND_SCALE = 4
_BACKGROUND_KERNEL = 9
# Specks (a fax line's noise, fibres in recycled paper): blobs no more than _SPECK of a character's
# height across, with no other ink within _SPECK_REACH of them but one more such blob (a decimal
# point or a radical's dot lies beside its character's strokes, a dotted rule's dot between two
# others). Looked for only where a page has at least _MIN_SMALL small blobs (most pages have a few
# dozen), and taken out only where they are many (one in _SPECKLED pixels). On a page of hard-edged
# 1-bit print (fewer grey pixels than dark ones: a scan's soft edges give several times more), the
# dirty line or worn drum that left them also left one-pixel holes in the print, which would break
# its thin rules.
_SPECK = 0.2
_SPECK_REACH = 0.2
_MIN_SMALL = 200
_SPECKLED = 5000
# Skew search: coarse steps over ±MAX_SKEW_DEG on part of the sample, then finer steps around the
# best on all of it. A coarse step is narrower than the peak of sharpness a ruled table or a row of
# print makes (their ink spreads over more than a stroke's width once 0.5° off).
_SKEW_STEPS = (0.5, 0.1, 0.02)
_SKEW_FINE_STEP = _SKEW_STEPS[-1]
_SKEW_SAMPLE = 60_000
_SKEW_COARSE_SAMPLE = 30_000


@dataclass(slots=True)
class CleanPage:
    """A page ready to read: `gray` for recognition, `ink` (True = print) for layout,
    `faint` (ink and anything darker than halfway to paper) for finding thin rules;
    `to_input`: a pixel of them -> a pixel of the image given; `turns`: counter-clockwise
    quarter turns that set it upright; `enlarged`: how much small print was enlarged."""

    gray: np.ndarray
    ink: np.ndarray
    faint: np.ndarray
    skew_deg: float
    to_input: Matrix
    turns: int = 0
    flattened: bool = False
    enlarged: float = 1.0
    unit: float | None = None  # `ruling.text_unit(ink)`, where already known
    speckled: bool = False  # many specks were taken out (`despeckle`)


def drop_colour(rgb: np.ndarray) -> np.ndarray:
    """Grayscale in which coloured ink (red seals, blue and red pens) is paper and black print stays.

    Ink multiplies the light paper sends back, so where a pen or seal of some colour lies, with or
    without print under it, a pixel's brightest channel is the paper's brightness times the print's
    darkness times the ink's own brightness in that channel. Each colour of ink on the page (a hue
    seen on enough pixels) is measured by the brightest pixels of that hue, and divided out: pure ink
    becomes paper, print under it keeps its darkness. Pixels are weighed by how coloured they are,
    so grey print and its soft edges are left as they are.
    """
    r, g, b = _white_balanced(rgb)
    top = cv2.max(cv2.max(r, g), b)
    chroma = cv2.subtract(top, cv2.min(cv2.min(r, g), b))
    # Most of a page is grey (paper, print): only pixels of some chroma are weighed, the rest keep `top`.
    where = np.flatnonzero(chroma >= _MIN_CHROMA)
    if len(where) < _MIN_INK_PIXELS:
        return top
    # Print on a tinted fill (a table's light blue or green cells) takes the fill's colour at its
    # edges, and a JPEG smears it over dark strokes, which are then as saturated as a pen: a pixel
    # no more coloured than twice the paper around it is print. Pens and seals are far more so.
    chroma_at = chroma.reshape(-1)[where].astype(np.float32)
    keep = chroma_at > _OVER_PAPER * _paper_chroma((r, g, b), where)
    where, chroma_at = where[keep], chroma_at[keep]
    top_at = top.reshape(-1)[where]
    weight = np.clip((chroma_at / np.maximum(top_at, 1) - _GREY_SATURATION) / _COLOUR_RAMP, 0, 1)
    coloured = weight > 0.99
    if np.count_nonzero(coloured) < _MIN_INK_PIXELS:
        return top
    hue = cv2.cvtColor(rgb.reshape(-1, 3)[where][None], cv2.COLOR_RGB2HSV_FULL)[0, :, 0] // (256 // _HUE_BINS)
    paper = float(np.percentile(top[::4, ::4], 90))
    gain = np.ones(_HUE_BINS, np.float32)
    ink_hue, ink_top = hue[coloured], top_at[coloured]
    for k in range(_HUE_BINS):
        # A hue and its neighbours (round the circle: red is at both ends): one ink's pixels spread
        # over two bins, and a bin of its darkest pixels alone would be measured too dark.
        values = ink_top[(ink_hue == k) | (ink_hue == (k + 1) % _HUE_BINS) | (ink_hue == (k - 1) % _HUE_BINS)]
        if len(values) >= _MIN_INK_PIXELS:
            gain[k] = np.clip(paper / max(float(np.percentile(values, 90)), 1.0), 1.0, _MAX_GAIN)
    out = top.copy()
    out.reshape(-1)[where] = np.clip(top_at.astype(np.float32) * (1 + weight * (gain[hue] - 1)), 0, 255).astype(np.uint8)
    return out


def _paper_chroma(channels: tuple[np.ndarray, np.ndarray, np.ndarray], where: np.ndarray) -> np.ndarray:
    """The chroma of the paper (or fill) around the pixels `where` (flat indices): each channel's
    background, as `even_light` finds it, without the print or pen strokes over it."""
    w = channels[0].shape[1]
    backgrounds = [_background(c, upsize=False) for c in channels]
    top = cv2.max(cv2.max(*backgrounds[:2]), backgrounds[2])
    paper = cv2.subtract(top, cv2.min(cv2.min(*backgrounds[:2]), backgrounds[2]))
    # A tint is pale; a background as coloured as ink is ink (a seal's solid star, a broad marker).
    paper[paper.astype(np.float32) > _FILL_SATURATION * top] = 0
    ys, xs = np.divmod(where, w)
    rows = np.minimum(ys // _BACKGROUND_SCALE, paper.shape[0] - 1)
    cols = np.minimum(xs // _BACKGROUND_SCALE, paper.shape[1] - 1)
    return paper[rows, cols].astype(np.float32)


def _white_balanced(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The channels scaled so that paper is grey, where it is tinted: a photo's warm or cold cast is
    no colour of ink. Paper no more tinted than a scanner leaves it is left as it is."""
    sample = rgb[::8, ::8].reshape(-1, 3).astype(np.float32)
    paper = np.percentile(sample, _PAPER_PERCENTILE, axis=0)
    if float(paper.max() - paper.min()) <= _PAPER_TINT:
        return tuple(cv2.split(rgb))  # type: ignore[return-value]
    scale = float(paper.max()) / np.maximum(paper, 1.0)
    return tuple(cv2.convertScaleAbs(channel, alpha=float(k)) for channel, k in zip(cv2.split(rgb), scale))  # type: ignore[return-value]


def _background(gray: np.ndarray, upsize: bool = True) -> np.ndarray:
    """The paper's brightness under the print (on the page shrunk by _BACKGROUND_SCALE unless `upsize`)."""
    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // _BACKGROUND_SCALE), max(1, h // _BACKGROUND_SCALE)),
                       interpolation=cv2.INTER_AREA)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (_BACKGROUND_KERNEL, _BACKGROUND_KERNEL))
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    return cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR) if upsize else background


def even_light(gray: np.ndarray) -> np.ndarray:
    """Divide by the paper's own brightness, so shadows and uneven light vanish."""
    return cv2.divide(gray, np.maximum(_background(gray), 1), scale=255)


def binarize(gray: np.ndarray) -> np.ndarray:
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink > 0


def _threshold(gray: np.ndarray) -> float:
    level, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return float(level)


def estimate_skew(ink: np.ndarray) -> float:
    """The angle (degrees, counter-clockwise positive) that makes printed rows level.

    Rows of print and ruled lines are horizontal on the page, so the projection of
    the ink onto the vertical axis is sharpest at the true angle.
    """
    found = cv2.findNonZero(ink.astype(np.uint8))  # row by row, as np.nonzero, in a fraction of its time
    if found is None or len(found) < 100:
        return 0.0
    xs, ys = found[:, 0, 0], found[:, 0, 1]
    # A random sample, in random order (so that its first part is a smaller random sample).
    pick = np.random.default_rng(0).choice(len(ys), min(len(ys), _SKEW_SAMPLE), replace=False)
    ys, xs = ys[pick], xs[pick]
    ys = ys.astype(np.float64)
    xs = xs.astype(np.float64) - ink.shape[1] / 2

    def sharpness(deg: float, count: int) -> float:
        t = np.deg2rad(deg)
        proj = np.round(ys[:count] * np.cos(t) + xs[:count] * np.sin(t)).astype(np.int64)
        counts = np.bincount(proj - proj.min())
        return float(np.dot(counts, counts))

    coarse = np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-9, _SKEW_STEPS[0]).tolist()
    best = max(coarse, key=lambda deg: sharpness(deg, _SKEW_COARSE_SAMPLE))
    for wide, step in itertools.pairwise(_SKEW_STEPS):
        around = np.arange(best - wide, best + wide + 1e-9, step).tolist()
        best = max(around, key=lambda deg: sharpness(deg, len(ys)))
    return float(best)


def rotate(gray: np.ndarray, deg: float) -> np.ndarray:
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -deg, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(255,))


def enlargement(unit: float) -> float:
    """How much to enlarge a page whose print is `unit` high (`ruling.text_unit`): small print (low
    resolution, a fax) is enlarged; 1.0 for most pages."""
    if unit >= _ENLARGE_BELOW:
        return 1.0
    return min(_MAX_ENLARGE, _UNIT / unit)


def _is_bilevel(gray: np.ndarray) -> bool:
    """Only black and white (a fax, a 1-bit scan): no grey at the edges of the print."""
    sample = gray[::7, ::7]
    return bool(np.count_nonzero((sample > 16) & (sample < 240)) < 0.002 * sample.size)


def despeckle(gray: np.ndarray, ink: np.ndarray, blobs: Blobs,
              known: bool = False) -> tuple[np.ndarray, np.ndarray, Blobs, bool]:
    """`gray` and `ink` without their specks, the blobs of the ink left, and whether the page is
    speckled (one speck in _SPECKLED pixels); as they were where it is not. A speckled 1-bit page has
    its one-pixel holes filled first: a thin rule or a digit's stroke broken by them would fall apart
    into specks. With `known`, the page was found speckled before: its specks are taken out, however
    few are left, and its holes are not filled again."""
    specks = _specks(ink, blobs, 0 if known else _MIN_SMALL)
    if specks is None:
        return gray, ink, blobs, known
    if not known:
        if np.count_nonzero(specks) * _SPECKLED < gray.size:
            # A few specks do no harm; the same test on a clean fax also takes the thin strokes of
            # print that its threshold broke into crumbs (the two strokes of 二).
            return gray, ink, blobs, False
        if _hard_edged(gray):
            pair = np.array([[1, 0, 1]], np.uint8)
            gray = cv2.min(gray, cv2.min(cv2.dilate(gray, pair), cv2.dilate(gray, pair.T)))
            ink = binarize(gray)
            blobs = find_blobs(ink.view(np.uint8))
            specks = _specks(ink, blobs, 0)
    if specks is None or not specks.any():
        return gray, ink, blobs, True
    x, y, w, h = blobs.boxes()
    rows, cols = ink.shape
    # Each speck's box and a pixel round it (its blurred rim) made paper.
    x, y = np.maximum(x[specks] - 1, 0), np.maximum(y[specks] - 1, 0)
    w, h = np.minimum(w[specks] + 2, cols - x), np.minimum(h[specks] + 2, rows - y)
    paper = np.zeros(ink.shape, np.uint8)
    _fill_boxes(paper, x, y, w, h, int(max(w.max(), h.max())), 1)
    gray = gray.copy()
    gray[paper > 0] = 255
    return gray, ink & (paper == 0), blobs.without(specks), True


def _specks(ink: np.ndarray, blobs: Blobs, least: int) -> np.ndarray | None:
    """Which of the ink's blobs are specks; None where the page has fewer than `least` small blobs."""
    x, y, w, h = blobs.boxes()
    unit = unit_of_blobs(w, h, ink.shape, blobs.fills())
    size = max(2, round(_SPECK * unit))
    small = np.flatnonzero((w <= size) & (h <= size))
    if len(small) < max(least, 1):
        return None
    sx, sy, sw, sh = x[small], y[small], w[small], h[small]
    rows, cols = ink.shape
    large = ink.astype(np.uint8)
    _fill_boxes(large, sx, sy, sw, sh, size, 0)
    centres = np.zeros_like(large)
    centres[sy + sh // 2, sx + sw // 2] = 1
    reach = max(2, round(_SPECK_REACH * unit))
    x0, y0 = np.clip(sx - reach, 0, cols), np.clip(sy - reach, 0, rows)
    x1, y1 = np.clip(sx + sw + reach, 0, cols), np.clip(sy + sh + reach, 0, rows)

    def within(mask: np.ndarray) -> np.ndarray:
        total = cv2.integral(mask)
        return total[y1, x1] - total[y0, x1] - total[y1, x0] + total[y0, x0]

    specks = np.zeros(len(x), bool)
    specks[small[(within(large) == 0) & (within(centres) <= 2)]] = True
    return specks


def _fill_boxes(mask: np.ndarray, x: np.ndarray, y: np.ndarray, w: np.ndarray, h: np.ndarray, most: int,
                value: int) -> None:
    """`value` in each box (at most `most` pixels a side) of `mask`."""
    for dy in range(most):
        for dx in range(most):
            inside = (dy < h) & (dx < w)
            mask[y[inside] + dy, x[inside] + dx] = value


def _hard_edged(gray: np.ndarray) -> bool:
    """Print with hardly any grey at its edges: a 1-bit page (perhaps resampled to square pixels)."""
    sample = gray[::7, ::7]
    return bool(np.count_nonzero((sample > 16) & (sample < 240)) < np.count_nonzero(sample < 128))


def clean_page(rgb: np.ndarray) -> CleanPage:
    back = identity()
    corners = find_page(rgb)
    if corners is not None:
        rgb, back = flatten(rgb, corners)
    gray = drop_colour(rgb)
    if _is_bilevel(gray):
        # A 1-bit page's staircase edges read worse than the soft edges a recogniser learnt on.
        gray = cv2.GaussianBlur(gray, (3, 3), 0.7)
    gray = even_light(gray)
    # The ink's blobs are measured once: a quarter turn only swaps their widths and heights.
    ink = binarize(gray)
    gray, ink, blobs, speckled = despeckle(gray, ink, find_blobs(ink.astype(np.uint8)))
    _, _, widths, heights = blobs.boxes()
    fills = blobs.fills()
    turns = upright_turns(gray, unit_of_blobs(widths, heights, gray.shape, fills))
    if turns:
        h, w = gray.shape
        gray = np.ascontiguousarray(np.rot90(gray, turns))
        ink = np.ascontiguousarray(np.rot90(ink, turns))
        back = back @ quarter_turns(turns, w, h)
        if turns % 2:
            widths, heights = heights, widths
    unit = unit_of_blobs(widths, heights, gray.shape, fills)
    factor = enlargement(unit)
    if factor > 1.0:
        h, w = gray.shape
        size = (round(w * factor), round(h * factor))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_CUBIC)
        back = back @ scaling(size[0] / w, size[1] / h)
        ink = binarize(gray)
    skew = estimate_skew(ink)
    if abs(skew) >= _SKEW_FINE_STEP:
        h, w = gray.shape
        gray = rotate(gray, skew)
        back = back @ affine(cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0))
    level = _threshold(gray)
    # A hairline rule, blurred by the scan, is lighter than print: it is looked for in
    # a lighter mask, where grain is no trouble since only long runs count as rules.
    return CleanPage(gray=gray, ink=gray <= level, faint=gray <= (level + 255) / 2, skew_deg=skew, to_input=back,
                     turns=turns, flattened=corners is not None, enlarged=factor,
                     unit=unit if factor == 1.0 and abs(skew) < _SKEW_FINE_STEP else None,
                     speckled=speckled)

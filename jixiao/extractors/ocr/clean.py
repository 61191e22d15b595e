"""Page cleaning before reading: red seals out, light evened, skew undone.

Everything works on one page image at a time (RGB uint8) and returns new
arrays; nothing here knows about tables or text.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MAX_SKEW_DEG = 5.0
# A seal is red ink: red above both green and blue. Paper is a little warm, so
# redness up to this much is no seal. Black print under a seal stays dark in
# every channel, so it survives.
_PAPER_REDNESS = 8
_REDNESS_DIVISOR = 2
# The background estimate must not see the print: closing with a kernel wider
# than a stroke, on a page shrunk by this factor for speed.
_BACKGROUND_SCALE = 4
_BACKGROUND_KERNEL = 9
# Skew search: coarse steps over ±MAX_SKEW_DEG, then fine steps around the best.
_SKEW_COARSE_STEP = 0.25
_SKEW_FINE_STEP = 0.02
_SKEW_SAMPLE = 60_000


@dataclass(slots=True)
class CleanPage:
    """A page ready to read: `gray` for recognition, `ink` (True = print) for layout,
    `faint` (ink and anything darker than halfway to paper) for finding thin rules."""

    gray: np.ndarray
    ink: np.ndarray
    faint: np.ndarray
    skew_deg: float


def drop_seal(rgb: np.ndarray) -> np.ndarray:
    """Grayscale from the red channel, lifted a little more where the ink is red.

    Red ink is nearly paper-bright in the red channel while black print stays
    dark in it, also where print and seal overlap; the lift removes the faint
    trace the seal leaves there. Both change smoothly, so no outline is left.
    """
    r = rgb[:, :, 0].astype(np.int16)
    redness = r - np.maximum(rgb[:, :, 1], rgb[:, :, 2]).astype(np.int16)
    lifted = r + np.maximum(redness - _PAPER_REDNESS, 0) // _REDNESS_DIVISOR
    return np.clip(lifted, 0, 255).astype(np.uint8)


def even_light(gray: np.ndarray) -> np.ndarray:
    """Divide by the paper's own brightness, so shadows and uneven light vanish."""
    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // _BACKGROUND_SCALE), max(1, h // _BACKGROUND_SCALE)),
                       interpolation=cv2.INTER_AREA)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (_BACKGROUND_KERNEL, _BACKGROUND_KERNEL))
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, np.maximum(background, 1), scale=255)


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
    ys, xs = np.nonzero(ink)
    if len(ys) < 100:
        return 0.0
    if len(ys) > _SKEW_SAMPLE:
        pick = np.random.default_rng(0).choice(len(ys), _SKEW_SAMPLE, replace=False)
        ys, xs = ys[pick], xs[pick]
    ys = ys.astype(np.float64)
    xs = xs.astype(np.float64) - ink.shape[1] / 2

    def sharpness(deg: float) -> float:
        t = np.deg2rad(deg)
        proj = np.round(ys * np.cos(t) + xs * np.sin(t)).astype(np.int64)
        counts = np.bincount(proj - proj.min())
        return float(np.dot(counts, counts))

    coarse = np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-9, _SKEW_COARSE_STEP).tolist()
    best = max(coarse, key=sharpness)
    fine = np.arange(best - _SKEW_COARSE_STEP, best + _SKEW_COARSE_STEP + 1e-9, _SKEW_FINE_STEP).tolist()
    return float(max(fine, key=sharpness))


def rotate(gray: np.ndarray, deg: float) -> np.ndarray:
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -deg, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(255,))


def clean_page(rgb: np.ndarray) -> CleanPage:
    gray = even_light(drop_seal(rgb))
    skew = estimate_skew(binarize(gray))
    if abs(skew) >= _SKEW_FINE_STEP:
        gray = rotate(gray, skew)
    level = _threshold(gray)
    # A hairline rule, blurred by the scan, is lighter than print: it is looked for in
    # a lighter mask, where grain is no trouble since only long runs count as rules.
    return CleanPage(gray=gray, ink=gray <= level, faint=gray <= (level + 255) / 2, skew_deg=skew)


def source_box(box: tuple[int, int, int, int], deg: float, shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    """A box of the deskewed page, as the upright box around it on the page as given."""
    if abs(deg) < _SKEW_FINE_STEP:
        return tuple(float(v) for v in box)  # type: ignore[return-value]
    h, w = shape[:2]
    back = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64)
    pts = corners @ back.T
    return (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))

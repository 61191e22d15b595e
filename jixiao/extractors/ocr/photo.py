"""A photographed page: its four corners found on the desk around it, and the page warped flat.

A phone photo shows the sheet as a bright quadrilateral (keystoned: the far edge shorter) on a darker
background. The sheet is the largest bright region; its corners are the points of its outline furthest
along each diagonal. A scan, where paper fills the frame, has no such region and is left alone.
"""
from __future__ import annotations

import cv2
import numpy as np

from jixiao.extractors.ocr.geometry import Matrix

# The outline is found on the photo shrunk to this longest side.
_WORK_SIDE = 640
# The sheet covers between these shares of the photo; more is a scan (paper to the edges, perhaps
# dark wedges where the scanner turned it), left as it is.
_MIN_AREA, _MAX_AREA = 0.2, 0.9
# The sheet fills at least this share of the quadrilateral through its corners (a sheet, not a blob).
_MIN_FILL = 0.92
# Background and paper differ at least this much in brightness (0-255).
_MIN_CONTRAST = 40


def find_page(rgb: np.ndarray) -> np.ndarray | None:
    """The sheet's corners (top-left, top-right, bottom-right, bottom-left; pixels of `rgb`), or None."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    shrink = min(1.0, _WORK_SIDE / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * shrink)), max(1, round(h * shrink))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    _, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # Print on the sheet is dark too: closing fills it in, so the sheet is one region.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    bright = cv2.morphologyEx(cv2.morphologyEx(bright, cv2.MORPH_CLOSE, kernel), cv2.MORPH_OPEN, kernel)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if n < 2:
        return None
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    area = stats[k, cv2.CC_STAT_AREA]
    if not _MIN_AREA <= area / small.size <= _MAX_AREA:
        return None
    sheet = labels == k
    if float(small[sheet].mean()) - float(small[~sheet].mean()) < _MIN_CONTRAST:
        return None
    contours, _ = cv2.findContours(sheet.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(max(contours, key=cv2.contourArea)).reshape(-1, 2).astype(np.float64)
    corners = np.array([hull[np.argmin(hull.sum(1))], hull[np.argmax(hull[:, 0] - hull[:, 1])],
                        hull[np.argmax(hull.sum(1))], hull[np.argmin(hull[:, 0] - hull[:, 1])]])
    quad_area = cv2.contourArea(corners.astype(np.float32))
    if quad_area <= 0 or area / quad_area < _MIN_FILL:
        return None
    return (corners + 0.5) / shrink - 0.5


def flatten(rgb: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, Matrix]:
    """The sheet warped to a rectangle as large as its longer edges, and the matrix back to `rgb`."""
    tl, tr, br, bl = corners
    width = round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    rect = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    back = cv2.getPerspectiveTransform(rect, corners.astype(np.float32))
    flat = cv2.warpPerspective(rgb, back, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)
    return flat, back.astype(np.float64)

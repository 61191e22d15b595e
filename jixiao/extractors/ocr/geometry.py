"""Where a pixel of the prepared page lies on the page as given.

Every step that moves pixels (square pixels, a photo's page flattened, a quarter turn, upscaling,
deskewing) is a projective map, so one 3x3 matrix carries a box of the prepared page back to the
page as given, in its units (PDF points or source pixels).
"""
from __future__ import annotations

import numpy as np

Matrix = np.ndarray  # 3x3, float64: (x, y, 1) of one image -> of the image it was made from


def identity() -> Matrix:
    return np.eye(3)


def scaling(sx: float, sy: float | None = None) -> Matrix:
    """From an image `sx` (`sy`) times larger than its source."""
    return np.diag([1 / sx, 1 / (sy if sy is not None else sx), 1.0])


def quarter_turns(k: int, width: int, height: int) -> Matrix:
    """From `np.rot90(source, k)` (k counter-clockwise quarter turns) of a `width` x `height` source."""
    k %= 4
    if k == 0:
        return identity()
    if k == 1:
        return np.array([[0.0, -1.0, width], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    if k == 2:
        return np.array([[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]])
    return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, height], [0.0, 0.0, 1.0]])


def affine(matrix: np.ndarray) -> Matrix:
    """A 2x3 affine matrix (as OpenCV gives) as a 3x3 one."""
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def box_through(matrix: Matrix, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The upright box around `box` carried through `matrix`."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x1, y1, 1.0], [x0, y1, 1.0]]) @ matrix.T
    xs, ys = corners[:, 0] / corners[:, 2], corners[:, 1] / corners[:, 2]
    return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())

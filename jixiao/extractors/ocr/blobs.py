"""The 8-connected blobs of a mask, found by their outer borders, and what is measured on them.

Tracing the borders (`cv2.findContours`) costs a fraction of labelling every pixel
(`cv2.connectedComponentsWithStats`, which fills a label image as large as the page)
where a mask is mostly paper, and gives the same blobs: one outer border per blob,
a blob inside another's hole included, and every pixel of a blob that lies on a side
of its bounding box is on its outer border (nothing of the blob lies beyond it).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1, exclusive ends


@dataclass(frozen=True, slots=True)
class Blobs:
    """`points` (x, y) of every blob's outer border, blob after blob; blob k's run from `starts[k]`.
    `borders` are the same as OpenCV gives them; `nesting` is how many blobs' holes a blob lies in."""

    points: np.ndarray
    starts: np.ndarray
    borders: list[np.ndarray]
    nesting: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    def without(self, drop: np.ndarray) -> Blobs:
        """The blobs not marked in `drop` (one bool per blob)."""
        borders = [b for b, gone in zip(self.borders, drop, strict=True) if not gone]
        if not borders:
            return Blobs(np.zeros((0, 2), np.int32), np.zeros(0, np.intp), [], np.zeros(0, np.intp))
        sizes = np.fromiter(map(len, borders), np.intp, len(borders))
        return Blobs(np.concatenate(borders).reshape(-1, 2), np.concatenate([[0], np.cumsum(sizes)[:-1]]), borders,
                     self.nesting[~drop])

    def owner(self) -> np.ndarray:
        """The blob of each point."""
        sizes = np.diff(np.append(self.starts, len(self.points)))
        return np.repeat(np.arange(len(self.starts)), sizes)

    def low(self, values: np.ndarray) -> np.ndarray:
        """Each blob's least of `values` (one per point)."""
        return np.minimum.reduceat(values, self.starts)

    def high(self, values: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(values, self.starts)

    def fills(self) -> np.ndarray:
        """The share of each blob's bounding box inside its outer border (holes counted in)."""
        _, _, w, h = self.boxes()
        areas = np.fromiter((cv2.contourArea(b) for b in self.borders), np.float64, len(self.borders))
        return areas / np.maximum(w * h, 1)

    def boxes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """x, y, width and height of each blob's bounding box."""
        x, y = self.points[:, 0], self.points[:, 1]
        x0, y0 = self.low(x), self.low(y)
        return x0, y0, self.high(x) - x0 + 1, self.high(y) - y0 + 1


def find_blobs(mask: np.ndarray) -> Blobs:
    """The blobs of a uint8 mask (nonzero = set)."""
    found, hierarchy = cv2.findContours(mask, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)
    if not found:
        return Blobs(np.zeros((0, 2), np.int32), np.zeros(0, np.intp), [], np.zeros(0, np.intp))
    # The tree alternates: a blob's outer border, the borders of its holes, the blobs inside them...
    parent = hierarchy[0][:, 3]
    depth = np.zeros(len(found), np.intp)
    up = parent.copy()
    while (inside := up >= 0).any():
        depth += inside
        up = np.where(inside, parent[up], -1)
    outer = np.flatnonzero(depth % 2 == 0)
    borders = [found[k] for k in outer]
    sizes = np.fromiter(map(len, borders), np.intp, len(borders))
    return Blobs(np.concatenate(borders).reshape(-1, 2), np.concatenate([[0], np.cumsum(sizes)[:-1]]), borders,
                 depth[outer] // 2)


def keep_blobs(mask: np.ndarray, blobs: Blobs, keep: np.ndarray, box: Box | None = None) -> np.ndarray:
    """The mask (uint8, 0 or 255) with only the blobs marked in `keep` (one bool per blob); with
    `box` (x0, y0, x1, y1), that part of it only.

    Each blob kept is filled within its outer border, holes and all; a blob not kept that lies in
    such a hole is cleared after it, and so on inwards; what is not in the mask (the holes) is
    taken out at the end."""
    x0, y0, x1, y1 = box or (0, 0, mask.shape[1], mask.shape[0])
    out = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for level in range(int(blobs.nesting.max(initial=-1)) + 1):
        here = blobs.nesting == level
        for value, chosen in ((255, here & keep), (0, here & ~keep if level else None)):
            if chosen is not None and chosen.any():
                cv2.drawContours(out, [blobs.borders[k] for k in np.flatnonzero(chosen)], -1, (value,), cv2.FILLED,
                                 offset=(-x0, -y0))
    return cv2.bitwise_and(out, out, mask=np.ascontiguousarray(mask[y0:y1, x0:x1]))

"""A recogniser that reads what it is told: line image k (its first pixel's value) reads as `readings[k]`."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from jixiao.extractors.ocr.engines import Reading


class Scripted:
    def __init__(self, readings: Mapping[int, Reading] | Sequence[Reading]) -> None:
        self.readings = readings
        self.asked: list[int] = []  # the lines read, in the order asked

    def read_lines(self, images: Sequence[np.ndarray]) -> list[Reading]:
        self.asked.extend(int(im[0, 0]) for im in images)
        return [self.readings[int(im[0, 0])] for im in images]


def script_lines(count: int) -> list[np.ndarray]:
    """Line images 0 .. count-1, each telling a `Scripted` which reading it is."""
    return [np.full((4, 4), k, np.uint8) for k in range(count)]

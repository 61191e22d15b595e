"""A PP-OCR recognition model reading line images: batches of similar width, greedy CTC decoding.

The preprocessing and decoding are PaddleOCR's (as RapidOCR does them): each line
is scaled to the model's height of 48, its gray values mapped to -1..1 in three
equal channels and padded with zeros to the widest line of its batch; the text is
the best class at each time step, repeats merged and blanks dropped, and its
confidence the mean probability of the characters kept.

How sure its least sure character is (one misread digit hardly moves the mean) is told
from the two best classes at each step: a character is as sure as its probability
and that of a second reading it equals once normalised (a comma and its full-width
twin: NFKC, as the output is compared; ≤ and ≦, whose bars glyphs.py counts on the glyph
itself); a space is no character (whitespace counts for nothing); and a step read as blank
whose second reading is a character (other than the one it borders) is a character perhaps
dropped, as sure as that character is unlikely (a "/" lost from 元/人/天); so is a "。" that is
the second reading of a blank after the last character (`Reading.stop_dropped`: a sentence's
closing stop, faint or blurred). A character is as sure as the surest step of its run (at its
first step, the blank before it is often almost as likely). In prose
(after a Chinese character, before one or at the line's end) a comma and a full stop are
one reading too: a "." read there is put back as the "，" printed (punctuation.py), so a
comma whose second reading is "." (the tail of a faint comma, at 100 dpi or in a fax) is
in no doubt; and a comma read there with `_COMMA_TRUST` is trusted.

Lines are sorted by width and cut into batches so that padding stays a small part
of the pixels the model computes (a fixed batch of 16 padded a quarter of them).
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from jixiao.extractors.ocr.engines.base import Reading, model_file
from jixiao.extractors.ocr.engines.runtime import cores, load_model
from jixiao.extractors.ocr.punctuation import HAN

HEIGHT = 48
# A short line is padded to this width/height ratio (a lone "1" needs paper around it).
_MIN_RATIO = 2
# A line joins the batch while the padding stays under this share of the batch's pixels...
_MAX_PADDING = 0.1
# ... and the batch under these many lines and pixels (memory, and the output's size).
_MAX_LINES = 32
_MAX_PIXELS = 32 * HEIGHT * 320
_COMPARISONS = {"≦": "≤", "≧": "≥"}
_HAN = re.compile(HAN)
# A comma (or a full stop, put back as one) read in prose with at least this probability is as sure as
# `_COMMA_SURE`: at 100 dpi and in faxes, every such comma read with 0.4-0.9 was a comma printed
# (its rivals: the blank, a "." that is a comma's faint tail), while a "。" read there with less was
# a comma misread (bench/bench_scans.py --detail).
_COMMA_TRUST = 0.4
_COMMA_SURE = 0.95


class CtcRecognizer:
    def __init__(self, name: str, model: Path, runtime: str, characters: Path | None = None) -> None:
        self.name = name
        self._run, stored = load_model(model_file(model), runtime)
        self._workers = ThreadPoolExecutor(cores(), thread_name_prefix=f"ocr-{name}")
        if characters is not None:
            listed = model_file(characters).read_text(encoding="utf-8").splitlines()
        elif stored is not None:
            listed = stored
        else:
            raise ValueError(f"{model} holds no character list and none was given")
        self._alphabet = Alphabet(listed)

    def read_lines(self, images: Sequence[np.ndarray]) -> list[Reading]:
        readings: list[Reading] = [Reading("", 0.0)] * len(images)
        widths = [_width(im) for im in images]
        batches = list(_batches(widths))
        # Each batch is made, computed and decoded on one worker, one batch per core, so that one
        # core's Python (making a tensor, decoding) overlaps the other's model; only the batches
        # being computed are in memory, whatever the number of lines. The largest go first, so
        # that the cores finish together rather than one reading the widest batch alone at the end.
        largest_first = sorted(batches, key=lambda batch: -len(batch) * max(widths[k] for k in batch))
        read = self._workers.map(lambda batch: self._read_batch(batch, images, widths), largest_first)
        for batch, batch_readings in zip(largest_first, read, strict=True):
            for k, reading in zip(batch, batch_readings, strict=True):
                readings[k] = reading
        return readings

    def _read_batch(self, batch: list[int], images: Sequence[np.ndarray], widths: list[int]) -> list[Reading]:
        top2 = self._run(_tensor([images[k] for k in batch], [widths[k] for k in batch]))
        return [self._alphabet.decode(*steps) for steps in zip(*top2, strict=True)]


class Alphabet:
    """A model's classes: 0 is CTC's blank, then its character list, then the space."""

    def __init__(self, listed: list[str]) -> None:
        self._characters = ["", *listed, " "]
        # The characters as compared: NFKC, whitespace as nothing (the blank); a comparison with one bar
        # or two as one (which it is, glyphs.py tells from the glyph's shape, not from the recogniser).
        keys = [_COMPARISONS.get(key, key) for key in (unicodedata.normalize("NFKC", c).strip() for c in self._characters)]
        index = {key: k for k, key in reversed(list(enumerate(keys)))}
        self._key = np.array([index[key] for key in keys])
        self._comma = np.array([key in (",", ".") for key in keys])
        self._stop = index.get("。", -1)

    def decode(self, classes: np.ndarray, probs: np.ndarray, second: np.ndarray, second_probs: np.ndarray) -> Reading:
        """A line from the two best classes at each step and their probabilities."""
        keep = np.ones(len(classes), dtype=bool)
        keep[1:] = classes[1:] != classes[:-1]
        keep &= classes != 0
        if not keep.any():
            return Reading("", 0.0)
        kept = probs[keep]
        text = "".join(self._characters[c] for c in classes[keep])
        key, second_key = self._key[classes], self._key[second]
        sure = np.where(second_key == key, probs + second_probs, probs)
        sure[key == 0] = 1.0  # a space
        # A character is as sure as the surest step of its run: where a run begins or ends, the
        # blank is the second reading of a character that is not in doubt.
        run = np.cumsum(keep) - 1
        commas = self._comma[classes[keep]] & _in_prose(text)
        if commas.any():
            twin = commas[run] & self._comma[second] & (key != second_key) & (classes != 0)
            sure = np.where(twin, probs + second_probs, sure)
        steps = classes != 0
        chars = np.zeros(int(keep.sum()))
        np.maximum.at(chars, run[steps], sure[steps])
        trusted = commas & (chars >= _COMMA_TRUST)
        comma_read = float(chars[trusted].min(initial=1.0))
        chars[trusted] = np.maximum(chars[trusted], _COMMA_SURE)
        # A character perhaps dropped: a blank step inside the line whose second reading is a
        # character other than those of the steps beside it (where a run begins or ends).
        first, last = np.flatnonzero(keep)[[0, -1]]
        before = np.concatenate([[0], classes[:-1]])
        after = np.concatenate([classes[1:], [0]])
        dropped = (classes == 0) & (second_key != 0) & (second != before) & (second != after)
        dropped[:first] = dropped[last:] = False
        weakest = min(float(chars.min()), float((1.0 - second_probs[dropped]).min(initial=1.0)))
        # A full stop perhaps dropped where a sentence ends: a blank step after the last character whose
        # second reading is "。" (a faint or blurred stop, which sits low beside the character before it).
        stop = (classes == 0) & (second_key == self._stop) & (key[last] != self._stop)
        stop[:last] = False
        return Reading(text, float(kept.mean()), weakest, tuple(chars.tolist()),
                       float(second_probs[stop].max(initial=0.0)), comma_read)


def _in_prose(text: str) -> np.ndarray:
    """For each character: whether it follows a Chinese character and comes before one or ends the
    line (spaces aside), where a cell's text may go on on the next line."""
    solid = [k for k, ch in enumerate(text) if not ch.isspace()]
    prose = np.zeros(len(text), dtype=bool)
    for before, k, after in zip(solid, solid[1:], [*solid[2:], None]):
        prose[k] = bool(_HAN.match(text[before]) and (after is None or _HAN.match(text[after])))
    return prose


def _width(image: np.ndarray) -> int:
    h, w = image.shape[:2]
    return math.ceil(HEIGHT * w / h)


def _batches(widths: list[int]) -> Iterator[list[int]]:
    """Indexes of lines, narrowest first, in batches of similar width."""
    batch: list[int] = []
    area = 0
    for k in sorted(range(len(widths)), key=lambda k: widths[k]):
        width = max(widths[k], _MIN_RATIO * HEIGHT)
        padded = (len(batch) + 1) * width
        if batch and (len(batch) == _MAX_LINES or padded * HEIGHT > _MAX_PIXELS
                      or padded - area - width > _MAX_PADDING * padded):
            yield batch
            batch, area = [], 0
        batch.append(k)
        area += width
    if batch:
        yield batch


def _tensor(images: list[np.ndarray], widths: list[int]) -> np.ndarray:
    width = max(max(widths), _MIN_RATIO * HEIGHT)
    batch = np.zeros((len(images), 3, HEIGHT, width), np.float32)
    for k, (image, w) in enumerate(zip(images, widths, strict=True)):
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        batch[k, :, :, :w] = cv2.resize(gray, (w, HEIGHT)).astype(np.float32) / 127.5 - 1.0
    return batch

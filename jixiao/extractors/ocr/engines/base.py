"""What every OCR engine offers the extractor: read printed lines, one image each.

The extractor finds the lines itself (see ruling.py and lines.py), so an engine
only recognises: it gets line images (grayscale, uint8, one printed line each)
and returns their text and a 0..1 confidence, in the same order; where the engine
tells them apart, also the confidence of its least sure character.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Protocol

import numpy as np

from jixiao.extractors.errors import ExtractError


@dataclass(frozen=True, slots=True)
class Reading:
    text: str
    confidence: float  # the line's, over its characters
    weakest: float | None = None  # its least sure character's; None when the engine does not say
    # How sure each character of `text` is, where the engine says (see ctc.py).
    chars: tuple[float, ...] | None = None
    # How likely a "。" after the last character was dropped (ctc.py); apart from `least`, which
    # decides which lines a second model reads.
    stop_dropped: float = 0.0
    # How sure the least sure comma read in prose was before it was trusted as one (ctc.py): tiny puts
    # a comma between the characters of a word in a blurred line, and trusts it.
    comma_read: float = 1.0

    @property
    def least(self) -> float:
        """The confidence of the least sure character, or of the line where that is not known."""
        return self.confidence if self.weakest is None else self.weakest


class Engine(Protocol):
    name: str

    def read_lines(self, images: Sequence[np.ndarray]) -> list[Reading]: ...


def package_dir(package: str, extra: str) -> Path:
    """Where an installed package's files are, without importing it (its models are data to us)."""
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ExtractError(f"OCR needs the {package} package: pip install 'jixiao[{extra}]'", "unsupported")
    return Path(next(iter(spec.submodule_search_locations)))


def model_file(path: Path) -> Path:
    if not path.is_file():
        raise ExtractError(f"OCR model file missing: {path}", "unsupported")
    return path

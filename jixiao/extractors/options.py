"""What the user chooses about extraction, passed down from the command line to the extractors."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

OCR_ENGINES = ("rapidocr", "fast", "paddleocr")
DEFAULT_OCR_ENGINE = "rapidocr"
# Below this a cell's OCR text is flagged `unreadable_cell` (see SCHEMA.md).
DEFAULT_OCR_MIN_CONFIDENCE = 0.8


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """`ocr_engine`: one of OCR_ENGINES; `ocr_models`: a PaddleX recognition model folder
    for the paddleocr engine; `ocr_min_confidence`: cells read with less are flagged."""

    ocr_engine: str = DEFAULT_OCR_ENGINE
    ocr_models: Path | None = None
    ocr_min_confidence: float = DEFAULT_OCR_MIN_CONFIDENCE

    def __post_init__(self) -> None:
        if self.ocr_engine not in OCR_ENGINES:
            raise ValueError(f"unknown OCR engine {self.ocr_engine!r}; one of {', '.join(OCR_ENGINES)}")
        if not 0.0 <= self.ocr_min_confidence <= 1.0:
            raise ValueError(f"OCR minimum confidence {self.ocr_min_confidence} is not within 0..1")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ExtractOptions:
        """JIXIAO_OCR_ENGINE, JIXIAO_OCR_MODELS, JIXIAO_OCR_MIN_CONFIDENCE, where set."""
        models = environ.get("JIXIAO_OCR_MODELS")
        confidence = environ.get("JIXIAO_OCR_MIN_CONFIDENCE")
        return cls(
            ocr_engine=environ.get("JIXIAO_OCR_ENGINE", DEFAULT_OCR_ENGINE),
            ocr_models=Path(models) if models else None,
            ocr_min_confidence=float(confidence) if confidence else DEFAULT_OCR_MIN_CONFIDENCE,
        )

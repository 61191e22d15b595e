"""What the user chooses about extraction, passed down from the command line to the extractors."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

OCR_ENGINES = ("rapidocr", "small", "fast", "paddleocr")
DEFAULT_OCR_ENGINE = "rapidocr"
# Where the recognition models run (engines/runtime.py); paddleocr runs on its own.
OCR_RUNTIMES = ("onnxruntime", "openvino")
DEFAULT_OCR_RUNTIME = "onnxruntime"
# Below this a cell's OCR text is flagged `unreadable_cell` (see SCHEMA.md).
DEFAULT_OCR_MIN_CONFIDENCE = 0.9


@dataclass(frozen=True, slots=True)
class Limits:
    """What one file may cost before it fails with category `limit`.

    The extractors enforce pages, unpacked bytes and pixels; the run enforces
    the file size before reading, and time and memory around each file.
    """

    max_file_mb: float = 512.0
    max_pages: int = 500
    # Uncompressed bytes of a zip container (.docx, .xlsx), declared or actual.
    max_unpacked_mb: float = 1024.0
    # Pixels of one image or rendered page.
    max_pixels: int = 178_956_970
    time_limit_s: float = 1800.0
    memory_mb: int = 4096

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) <= 0:
                raise ValueError(f"limit {f.name} must be more than 0")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Limits:
        """JIXIAO_MAX_FILE_MB, JIXIAO_MAX_PAGES, JIXIAO_MAX_UNPACKED_MB, JIXIAO_MAX_PIXELS,
        JIXIAO_TIME_LIMIT_S, JIXIAO_MEMORY_MB, where set."""
        values: dict[str, float | int] = {}
        for f in fields(cls):
            variable = f"JIXIAO_{f.name.upper()}"
            text = environ.get(variable)
            if not text:
                continue
            try:
                value = int(text) if f.type in (int, "int") else float(text)
            except ValueError:
                raise ValueError(f"{variable}={text!r} is not a number") from None
            if value <= 0:
                raise ValueError(f"{variable} must be more than 0")
            values[f.name] = value
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """`ocr_engine`: one of OCR_ENGINES; `ocr_runtime`: one of OCR_RUNTIMES; `ocr_models`: a
    PaddleX recognition model folder for the paddleocr engine; `ocr_min_confidence`: cells
    read with less are flagged; `limits`: what one file may cost."""

    ocr_engine: str = DEFAULT_OCR_ENGINE
    ocr_runtime: str = DEFAULT_OCR_RUNTIME
    ocr_models: Path | None = None
    ocr_min_confidence: float = DEFAULT_OCR_MIN_CONFIDENCE
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.ocr_engine not in OCR_ENGINES:
            raise ValueError(f"unknown OCR engine {self.ocr_engine!r}; one of {', '.join(OCR_ENGINES)}")
        if self.ocr_runtime not in OCR_RUNTIMES:
            raise ValueError(f"unknown OCR runtime {self.ocr_runtime!r}; one of {', '.join(OCR_RUNTIMES)}")
        if not 0.0 <= self.ocr_min_confidence <= 1.0:
            raise ValueError(f"OCR minimum confidence {self.ocr_min_confidence} is not within 0..1")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ExtractOptions:
        """JIXIAO_OCR_ENGINE, JIXIAO_OCR_RUNTIME, JIXIAO_OCR_MODELS, JIXIAO_OCR_MIN_CONFIDENCE, where set."""
        models = environ.get("JIXIAO_OCR_MODELS")
        confidence = environ.get("JIXIAO_OCR_MIN_CONFIDENCE")
        return cls(
            ocr_engine=environ.get("JIXIAO_OCR_ENGINE", DEFAULT_OCR_ENGINE),
            ocr_runtime=environ.get("JIXIAO_OCR_RUNTIME", DEFAULT_OCR_RUNTIME),
            ocr_models=Path(models) if models else None,
            ocr_min_confidence=float(confidence) if confidence else DEFAULT_OCR_MIN_CONFIDENCE,
            limits=Limits.from_env(environ),
        )

"""OCR engines behind one interface (base.Engine); one instance per process, made on first use."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jixiao.extractors.ocr.engines.base import Engine, Reading
from jixiao.extractors.options import DEFAULT_OCR_RUNTIME


@lru_cache(maxsize=1)
def get_engine(name: str, models: Path | None = None, runtime: str = DEFAULT_OCR_RUNTIME) -> Engine:
    """The engine for `name` on `runtime`; asking for another one releases the previous (one at a time).
    The paddleocr engine runs on PaddleOCR's own runtime."""
    if name == "paddleocr":
        from jixiao.extractors.ocr.engines.paddle import PaddleEngine

        return PaddleEngine(models)
    from jixiao.extractors.ocr.engines.ppocr import default_engine, fast_engine, small_engine

    if name == "fast":
        return fast_engine(runtime)
    if name == "small":
        return small_engine(runtime)
    return default_engine(runtime)


__all__ = ["Engine", "Reading", "get_engine"]

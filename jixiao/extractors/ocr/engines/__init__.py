"""OCR engines behind one interface (base.Engine); one instance per process, made on first use."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jixiao.extractors.ocr.engines.base import Engine, Reading


@lru_cache(maxsize=1)
def get_engine(name: str, models: Path | None = None) -> Engine:
    """The engine for `name`; asking for another one releases the previous (one at a time)."""
    if name == "paddleocr":
        from jixiao.extractors.ocr.engines.paddle import PaddleEngine

        return PaddleEngine(models)
    from jixiao.extractors.ocr.engines.rapid import default_engine, fast_engine, small_engine

    if name == "fast":
        return fast_engine()
    if name == "small":
        return small_engine()
    return default_engine()


__all__ = ["Engine", "Reading", "get_engine"]

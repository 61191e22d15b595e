"""Shared fixtures: where ../shared is, the scorer, and one run over the seed exports."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

from jixiao.pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


def _shared() -> Path:
    return Path(os.environ.get("JIXIAO_SHARED", REPO.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared() -> Path:
    path = _shared()
    if not (path / "gold").is_dir() or not (path / "eval" / "score.py").is_file():
        pytest.fail(f"the shared folder (seeds, gold, scorer) is not at {path}; set JIXIAO_SHARED")
    return path


@pytest.fixture(scope="session")
def scorer(shared: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("jixiao_score", shared / "eval" / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def seeds_out(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seeds") / "out"
    assert main(["run", str(shared / "seeds"), "--out", str(out), "--quiet"]) == 0
    return out

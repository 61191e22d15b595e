"""Shared fixtures: where ../shared is, the scorer, one run over the seed exports, and one over every format."""
from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pandas as pd
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


@pytest.fixture(scope="session")
def corpus(shared: Path) -> Path:
    path = shared / "corpus"
    if not (path / "gold").is_dir():
        pytest.fail(f"the rendered corpus is not at {path}")
    return path


def score_run(scorer: ModuleType, gold_files: list[Path], out: Path) -> dict:
    """The scorer's report for a run, over the gold files given."""
    gold = scorer.load_gold([str(p) for p in gold_files])
    return scorer.score(gold, scorer.load_table(str(out), "projects"), scorer.load_table(str(out), "indicators"))


# What depends on the file itself rather than on the forms read from it.
FILE_COLUMNS = ["project_id", "source_path", "source_sha256", "source_format", "extractor"]


def read_forms(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Projects and indicators of a run without their file columns, in a stable order, to
    compare the forms two runs read from different files."""
    projects = pd.read_parquet(out / "projects")
    indicators = pd.read_parquet(out / "indicators").merge(
        projects[["project_id", "table_index"]], on="project_id")
    projects = projects.sort_values("table_index").drop(columns=FILE_COLUMNS).reset_index(drop=True)
    indicators = indicators.sort_values(["table_index", "seq"]).drop(columns=["project_id"]).reset_index(drop=True)
    return projects, indicators


LIBREOFFICE_MISSING = ("LibreOffice (soffice), which is not installed: on Debian/Ubuntu `sudo apt-get install "
                       "libreoffice-writer-nogui libreoffice-calc-nogui` (`bash .ci/run` installs it), or set "
                       "JIXIAO_SOFFICE=/path/to/soffice")


def pytest_report_header() -> list[str]:
    from jixiao.extractors.convert import soffice_path

    return [f"needs: LibreOffice ({soffice_path() or 'NOT FOUND'}); the shared seeds, gold and corpus ({_shared()})"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """What the selected tests need and this machine lacks stops the run at once, said once."""
    from jixiao.extractors.convert import soffice_path

    def needing(fixture: str) -> int:
        return sum(fixture in getattr(item, "fixturenames", ()) for item in items)

    if soffice_path() is None and needing("soffice"):
        pytest.exit(f"{needing('soffice')} of the selected tests need {LIBREOFFICE_MISSING}",
                    returncode=pytest.ExitCode.USAGE_ERROR)
    if not (_shared() / "gold").is_dir() and needing("shared"):
        pytest.exit(f"{needing('shared')} of the selected tests need the shared folder (seeds, gold, corpus, "
                    f"scorer), which is not at {_shared()}: set SHARED=/path/to/shared for make, or JIXIAO_SHARED",
                    returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def soffice() -> str:
    """LibreOffice, which reading .doc needs and which makes the .doc/.xls test files."""
    from jixiao.extractors.convert import soffice_path

    path = soffice_path()
    assert path is not None, LIBREOFFICE_MISSING
    return path


def lo_convert(soffice: str, source: Path, target: str, outdir: Path) -> Path:
    """A test file made by LibreOffice, the way agencies' files are made."""
    import subprocess

    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(outdir / '.profile').as_uri()}",
                    "--convert-to", target, "--outdir", str(outdir), str(source)],
                   check=True, capture_output=True, timeout=180)
    made = outdir / f"{source.stem}.{target.split(':')[0]}"
    assert made.is_file(), f"LibreOffice made no {made.name}"
    return made


def run_on(tmp_path: Path, name: str, data: bytes, code: int = 0) -> Path:
    """`jixiao run` over a folder holding one file `name` with `data`; the output folder."""
    folder = tmp_path / name.replace(".", "_")
    folder.mkdir()
    (folder / name).write_bytes(data)
    out = tmp_path / f"out_{name}"
    assert main(["run", str(folder), "--out", str(out), "--quiet"]) == code
    return out


@dataclass(frozen=True)
class ProvenanceRun:
    """One run over real documents of every format: the input folder and OUT."""

    folder: Path
    out: Path


# A scan made here from a text PDF's first page, upright: its boxes can be checked against the text layer.
MADE_SCAN = "made_scan_of_a_pdf_04_page_1.pdf"
MADE_SCAN_OF = ("a_pdf_04", 1)


@pytest.fixture(scope="session")
def provenance_run(shared: Path, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> ProvenanceRun:
    """The seeds (text exports), the corpus's Word, Excel and HTML files, two of its PDFs, one of its scans, and
    a scan made here: through `jixiao run`, which writes `cells`."""
    import numpy as np
    from scanlib import render, scan, to_pdf

    folder = tmp_path_factory.mktemp("provenance") / "in"
    folder.mkdir()
    documents = [*sorted((shared / "seeds").iterdir()), *(p for kind in ("docx", "xlsx", "html")
                                                         for p in sorted((corpus / kind).iterdir())),
                 corpus / "pdf" / "a_pdf_01.pdf", corpus / "pdf" / "a_pdf_04.pdf",
                 corpus / "pdf_scanned" / "a_scan_05.pdf"]
    for document in documents:
        shutil.copy(document, folder / document.name)
    name, page = MADE_SCAN_OF
    first = render((corpus / "pdf" / f"{name}.pdf").read_bytes(), 200)[page - 1]
    (folder / MADE_SCAN).write_bytes(to_pdf([scan(first, 0.0, np.random.default_rng(1))], 200))
    out = folder.parent / "out"
    assert main(["run", str(folder), "--out", str(out), "--quiet"]) == 0
    return ProvenanceRun(folder, out)

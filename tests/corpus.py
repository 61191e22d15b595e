"""Real documents for run-level tests: the seed exports, plus every corpus file whose format has an extractor.

Formats are taken from the extractors present, so Word, HTML and Excel corpus files
join these tests as their extractors land; each file's expected form and
indicator counts come from its gold JSON. Slow formats (PDF, scans) stay out:
run-level tests are about orchestration, not extraction.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from jixiao.extractors import EXTRACTORS, sniff_format

_FAST_FORMATS = {"txt", "docx", "xlsx", "html"}


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    forms: int
    indicators: int


def _expected(gold: Path) -> tuple[int, int]:
    forms = json.loads(gold.read_text(encoding="utf-8"))["forms"]
    return len(forms), sum(len(form["indicators"]) for form in forms)


def corpus_files(shared: Path) -> dict[str, CorpusFile]:
    """By file name: the seeds first (their order is fixed), then the corpus files that can be read."""
    files = {}
    for seed in sorted((shared / "seeds").iterdir()):
        files[seed.name] = CorpusFile(seed, *_expected(shared / "gold" / f"{seed.stem}.json"))
    for folder in sorted((shared / "corpus").iterdir()):
        if not folder.is_dir() or folder.name == "gold":
            continue
        for doc in sorted(folder.iterdir()):
            data = doc.read_bytes()
            fmt = sniff_format(data[:8192], data)
            if fmt in _FAST_FORMATS and fmt in EXTRACTORS:
                files[doc.name] = CorpusFile(doc, *_expected(shared / "corpus" / "gold" / f"{doc.stem}.json"))
    return files


def copy_corpus(shared: Path, target: Path) -> dict[str, CorpusFile]:
    """Copy them flat into `target`; returns what was copied, by file name (their source_path)."""
    target.mkdir(parents=True, exist_ok=True)
    files = corpus_files(shared)
    for name, doc in files.items():
        shutil.copy(doc.path, target / name)
    return files

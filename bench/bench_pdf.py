"""PDF tables: jixiao's grid recovery against camelot lattice and pdfplumber's `extract_tables`,
on the same pages in one run, and jixiao end to end (grid and forms).

    python bench/bench_pdf.py [--pdfs ../shared/corpus/pdf] [--gold ../shared/corpus/gold] [--repeat 3]

camelot is a bench-only extra (`pip install -e '.[bench]'`); without it its row is skipped.
Times are CPU seconds of this one process (steadier than wall time on a shared machine), the
best of `--repeat` runs. "whole" counts the gold's texts (project names, indicator names,
targets, notes) that come back whole in one cell, spacing aside: a merged cell read as one
cell, a cell cut by a page break joined again. Run by hand; not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pdfplumber

from jixiao.extractors.pdf import extract_pdf
from jixiao.pipeline.process import process_file

REPO = Path(__file__).resolve().parents[1]
_SPACE = re.compile(r"\s+")


def _key(text: str | None) -> str:
    return _SPACE.sub("", text or "")


def jixiao_cells(path: Path) -> list[str]:
    grid = extract_pdf(path.read_bytes())
    return [c.text for t in grid.tables for c in t.cells]


def pdfplumber_cells(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [cell or "" for page in pdf.pages for table in page.extract_tables() for row in table for cell in row]


def camelot_cells(path: Path) -> list[str]:
    import camelot

    tables = camelot.read_pdf(str(path), pages="all", flavor="lattice", backend="pdfium")
    return [str(cell) for table in tables for row in table.df.values.tolist() for cell in row]


def gold_texts(gold: Path, name: str) -> set[str]:
    path = gold / f"{Path(name).stem}.json"
    if not path.is_file():
        return set()
    texts: set[str] = set()
    for form in json.loads(path.read_text(encoding="utf-8"))["forms"]:
        texts.add(_key(form["project_name"]))
        for ind in form["indicators"]:
            texts.update(_key(ind[k]) for k in ("name", "target_raw", "deviation_note") if ind[k])
    return texts


def timed(method: Callable[[Path], list[str]], files: list[Path], repeat: int) -> tuple[float, dict[Path, list[str]]]:
    best, cells = float("inf"), {}
    for _ in range(repeat):
        started = time.process_time()
        cells = {path: method(path) for path in files}
        best = min(best, time.process_time() - started)
    return best, cells


def whole(cells: dict[Path, list[str]], gold: Path) -> tuple[int, int]:
    found = total = 0
    for path, texts in cells.items():
        keys = {_key(t) for t in texts}
        wanted = gold_texts(gold, path.name)
        found += len(wanted & keys)
        total += len(wanted)
    return found, total


def page_count(files: Iterable[Path]) -> int:
    count = 0
    for path in files:
        with pdfplumber.open(path) as pdf:
            count += len(pdf.pages)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=Path, default=REPO.parent / "shared" / "corpus" / "pdf")
    parser.add_argument("--gold", type=Path, default=REPO.parent / "shared" / "corpus" / "gold")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sorted(args.pdfs.glob("*.pdf"))
    pages = page_count(files)
    methods: list[tuple[str, Callable[[Path], list[str]]]] = [
        ("jixiao grid", jixiao_cells), ("pdfplumber extract_tables", pdfplumber_cells)]
    try:
        import camelot  # noqa: F401

        methods.append(("camelot lattice (pdfium)", camelot_cells))
    except ImportError:
        print("camelot not installed (pip install -e '.[bench]'): its row is skipped")
    print(f"{len(files)} files, {pages} pages, {os.cpu_count()} cores, one process, best of {args.repeat}")
    print(f"{'method':<28}{'s/page':>9}{'pages/s':>9}{'cells':>8}{'whole':>14}")
    baseline = None
    for name, method in methods:
        seconds, cells = timed(method, files, args.repeat)
        found, total = whole(cells, args.gold)
        printed = sum(1 for texts in cells.values() for t in texts if t.strip())
        baseline = baseline or seconds
        print(f"{name:<28}{seconds / pages:>9.3f}{pages / seconds:>9.1f}{printed:>8}{found:>7}/{total:<6}"
              f"  ({seconds / baseline:.2f}x jixiao's time)")
    best, forms = float("inf"), 0
    for _ in range(args.repeat):
        started = time.process_time()
        results = [process_file(path, path.name) for path in files]
        best = min(best, time.process_time() - started)
        forms = sum(len(r.forms) for r in results)
    print(f"jixiao end to end (read, grid, forms): {best / pages:.3f} s/page, {pages / best:.1f} pages/s per core, "
          f"{forms / best:.1f} forms/s ({forms} forms)")


if __name__ == "__main__":
    main()

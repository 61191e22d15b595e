"""Reading of scans in each condition of tests/scanlib.py, against the corpus gold, and how well
`unreadable_cell` tells the cells read wrong.

    python bench/bench_scans.py [--pdfs ../shared/corpus/pdf] [--gold ../shared/corpus/gold]
        [--conditions flat rotated ...] [--docs a_pdf_04 a_pdf_08] [--seed 1] [--keep DIR]

Each condition turns the text PDFs of the corpus into scans (one file per document, or one per page for
single-image formats, then only pages whose forms are whole on them), reads them as `jixiao run` does,
and prints per condition:
- the scorer's headline and its parts, forms found, indicator rows output that match no gold row (junk),
  accuracy of the numeric fields;
- `unreadable_cell`: recall = the share of cells read wrong whose row carries the flag (an indicator's
  cells: its row; the head, budget and total cells: the project), precision = the share of flagged rows
  that hold at least one cell read wrong. A cell is a printed value: the target cell feeds target_raw,
  _op, _value and _unit, and counts once; derived values (target_met, page numbers) are no cells. A gold
  row the reading lost counts as cells read wrong and not flagged. A row the gold flags itself (a cell
  printed as "#####") counts as one more cell to catch, read wrong or not.
- seconds per page (wall, this process; the engine loaded once).
Run by hand; not a test. The scans are made afresh (or taken from --keep DIR when already there).
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import importlib.util
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from scanlib import CONDITIONS

# Printed cells of an indicator row, by the fields each feeds.
INDICATOR_CELLS = {
    "level1": ("level1", "level1_raw", "level1_weight"),
    "level2": ("level2", "level2_raw"),
    "name": ("name",),
    "target": ("target_raw", "target_op", "target_value", "target_unit"),
    "actual": ("actual_raw", "actual_value", "actual_unit"),
    "weight": ("weight",),
    "score": ("score",),
    "note": ("deviation_note",),
}
DERIVED_PROJECT_FIELDS = {"page_start", "page_end"}
NUMERIC_INDICATOR = ("weight", "score", "target_value", "actual_value", "level1_weight")
FLAG = "unreadable_cell"


def load_scorer(shared: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("jixiao_score", shared / "eval" / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def whole_pages(gold: dict) -> list[int]:
    """Pages on which every form printed is whole (begins and ends there)."""
    pages: dict[int, bool] = {}
    for form in gold["forms"]:
        for page in range(form["page_start"], form["page_end"] + 1):
            pages[page] = pages.get(page, True) and form["page_start"] == form["page_end"]
    return sorted(p for p, whole in pages.items() if whole)


def page_gold(gold: dict, page: int, name: str) -> dict:
    """The gold of one page on its own (a file of that page alone)."""
    doc = copy.deepcopy(gold)
    doc["forms"] = [f for f in doc["forms"] if f["page_start"] == page]
    for index, form in enumerate(doc["forms"]):
        form.update(table_index=index, page_start=1, page_end=1, source_path=name)
    doc["source_path"] = name
    return doc


def make_set(condition: str, pdfs: Path, gold_dir: Path, docs: list[str], folder: Path, seed: int) -> list[dict]:
    """The files of one condition in `folder` (made unless there), and the gold of each."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = CONDITIONS[condition]
    golds = []
    for stem in docs:
        gold = json.loads((gold_dir / f"{stem}.json").read_text(encoding="utf-8"))
        data = (pdfs / f"{stem}.pdf").read_bytes()
        if spec.multipage:
            count = max(f["page_end"] for f in gold["forms"])
            groups = [(f"{stem}{spec.suffix}", list(range(1, count + 1)), None)]
        else:
            groups = [(f"{stem}_p{p}{spec.suffix}", [p], p) for p in whole_pages(gold)]
        for k, (name, pages, page) in enumerate(groups):
            path = folder / name
            if not path.exists():
                path.write_bytes(spec.make(data, pages, seed + k))
            doc = page_gold(gold, page, name) if page is not None else copy.deepcopy(gold)
            doc["source_path"] = name
            doc["_file"] = name
            golds.append(doc)
    return golds


def read_set(folder: Path, golds: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, int, float]:
    from jixiao.extractors import ExtractOptions
    from jixiao.pipeline.process import process_file

    options = ExtractOptions.from_env()
    projects, indicators = [], []
    pages = 0
    started = time.perf_counter()
    for doc in golds:
        result = process_file(folder / doc["source_path"], doc["source_path"], options)
        if result.status == "failed":
            print(f"  {doc['source_path']}: {result.error}")
        for form in result.forms:
            projects.append(dataclasses.asdict(form.project))
            indicators.extend(dataclasses.asdict(i) for i in form.indicators)
        pages += max((f["page_end"] for f in doc["forms"]), default=1)
    seconds = time.perf_counter() - started
    return pd.DataFrame(projects), pd.DataFrame(indicators), pages, seconds


@dataclasses.dataclass
class FlagCount:
    wrong: int = 0  # cells read wrong
    caught: int = 0  # of them, in a flagged row
    flagged: int = 0  # rows (indicators, projects) flagged
    flagged_wrong: int = 0  # of them, holding a cell read wrong

    def add(self, wrong_cells: int, flagged: bool) -> None:
        self.wrong += wrong_cells
        self.caught += wrong_cells if flagged else 0
        self.flagged += flagged
        self.flagged_wrong += flagged and wrong_cells > 0

    @property
    def recall(self) -> float | None:
        return self.caught / self.wrong if self.wrong else None

    @property
    def precision(self) -> float | None:
        return self.flagged_wrong / self.flagged if self.flagged else None


def flag_count(scorer: ModuleType, golds: list[dict], projects: pd.DataFrame, indicators: pd.DataFrame,
               detail: list[str]) -> tuple[FlagCount, int, int, int]:
    """`unreadable_cell` against the cells read wrong; also junk rows and numeric fields (right, compared)."""
    count = FlagCount()
    junk = numeric_ok = numeric_n = 0
    prows = scorer.records(projects) if len(projects) else []
    irows: dict[str, list[dict]] = defaultdict(list)
    for row in scorer.records(indicators) if len(indicators) else []:
        irows[row["project_id"]].append(row)
    for doc in golds:
        out = sorted((r for r in prows if r["source_path"] == doc["source_path"]), key=lambda r: r["table_index"])
        pairs = scorer.match_forms(doc["forms"], out)
        matched = {g for g, _ in pairs}
        for g, form in enumerate(doc["forms"]):
            if g not in matched:
                cells = sum(1 for i in form["indicators"] for c in INDICATOR_CELLS.values()
                            if any(not scorer.is_null(i.get(f)) for f in c))
                count.add(cells, False)
                detail.append(f"{doc['source_path']} form {g}: not found")
        for g, o in pairs:
            gold, got = doc["forms"][g], out[o]
            wrong = [f for f in scorer.PROJECT_FIELDS if f in gold and f not in DERIVED_PROJECT_FIELDS
                     and not scorer.compare(f, gold[f], got.get(f))[0]]
            flagged = FLAG in list(got["issues"])
            count.add(len(wrong) + (FLAG in gold.get("issues", [])), flagged)
            if flagged and not wrong and FLAG not in gold.get("issues", []):
                detail.append(f"{doc['source_path']} #{g} project flagged, nothing wrong")
            for f in wrong:
                detail.append(f"{doc['source_path']} #{g} {f}: {gold[f]!r} -> {got.get(f)!r}"
                              f"{' [flagged]' if flagged else ''}")
            for f in scorer.PROJECT_NUM_FIELDS:
                if f in gold and f not in DERIVED_PROJECT_FIELDS:
                    numeric_n += 1
                    numeric_ok += scorer.compare(f, gold[f], got.get(f))[0]
            rows = irows.get(got["project_id"], [])
            aligned = scorer.align_rows(gold["indicators"], rows)
            seen_g, seen_o = {a for a, _ in aligned}, {b for _, b in aligned}
            for a, want in enumerate(gold["indicators"]):
                if a not in seen_g:
                    count.add(sum(1 for c in INDICATOR_CELLS.values() if any(not scorer.is_null(want.get(f))
                                                                              for f in c)), False)
                    detail.append(f"{doc['source_path']} #{g} row {a} lost: {want['name']}")
            for b, row in enumerate(rows):
                if b not in seen_o:
                    junk += 1
                    count.add(1, FLAG in list(row["issues"]))
                    detail.append(f"{doc['source_path']} #{g} junk row: {row['name']!r}")
            for a, b in aligned:
                want, row = gold["indicators"][a], rows[b]
                bad = [cell for cell, fields in INDICATOR_CELLS.items()
                       if any(not scorer.compare(f, want[f], row.get(f))[0] for f in fields if f in want)]
                flagged = FLAG in list(row["issues"])
                count.add(len(bad) + (FLAG in want.get("issues", [])), flagged)
                if flagged and not bad and FLAG not in want.get("issues", []):
                    detail.append(f"{doc['source_path']} #{g} row {a} flagged, nothing wrong: {row['name']}")
                for cell in bad:
                    fields = INDICATOR_CELLS[cell]
                    detail.append(f"{doc['source_path']} #{g} row {a} {cell}: "
                                  f"{[want.get(f) for f in fields][:2]} -> {[row.get(f) for f in fields][:2]}"
                                  f"{' [flagged]' if flagged else ''}")
                for f in NUMERIC_INDICATOR:
                    if f in want:
                        numeric_n += 1
                        numeric_ok += scorer.compare(f, want[f], row.get(f))[0]
    return count, junk, numeric_ok, numeric_n


def fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("JIXIAO_SHARED", REPO.parent / "shared"))
    parser.add_argument("--pdfs", type=Path, default=shared / "corpus" / "pdf")
    parser.add_argument("--gold", type=Path, default=shared / "corpus" / "gold")
    parser.add_argument("--scanned", type=Path, default=shared / "corpus" / "pdf_scanned")
    parser.add_argument("--conditions", nargs="+", default=["corpus", *CONDITIONS], choices=["corpus", *CONDITIONS],
                        help="corpus: the scanned corpus itself (--scanned), as it is")
    parser.add_argument("--docs", nargs="+", help="stems of the text PDFs (default: all with gold)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=Path("/tmp/jixiao-bench-scans"),
                        help="where the scans are made (and reused when already there)")
    parser.add_argument("--detail", action="store_true", help="list every cell read wrong and every flag")
    args = parser.parse_args()
    scorer = load_scorer(shared)
    docs = args.docs or sorted(p.stem for p in args.pdfs.glob("*.pdf") if (args.gold / f"{p.stem}.json").exists())
    print(f"{len(docs)} documents; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'condition':<14} {'files':>5} {'pages':>5} {'forms':>7} {'score':>6} {'rowF1':>6} {'fields':>6} "
          f"{'numeric':>7} {'junk':>4} {'wrong':>5} {'flag R':>6} {'flag P':>6} {'flagged':>7} {'s/page':>6}")
    for condition in args.conditions:
        if condition == "corpus":
            folder = args.scanned
            golds = scorer.load_gold([str(p) for p in sorted(args.gold.glob("*.json"))
                                      if (folder / json.loads(p.read_text(encoding="utf-8"))["source_path"]).exists()])
        else:
            folder = args.keep / f"{condition}-seed{args.seed}"
            golds = make_set(condition, args.pdfs, args.gold, docs, folder, args.seed)
        projects, indicators, pages, seconds = read_set(folder, golds)
        report = scorer.score(golds, projects, indicators)
        detail: list[str] = []
        count, junk, numeric_ok, numeric_n = flag_count(scorer, golds, projects, indicators, detail)
        c, forms = report["components"], report["forms"]
        print(f"{condition:<14} {len(golds):>5} {pages:>5} {forms['found']:>3}/{forms['expected']:<3} "
              f"{report['score']:>6.4f} {c['indicator_row_f1']:>6.3f} {c['indicator_field_accuracy']:>6.3f} "
              f"{numeric_ok / max(numeric_n, 1):>7.4f} {junk:>4} {count.wrong:>5} {fmt(count.recall):>6} "
              f"{fmt(count.precision):>6} {count.flagged:>7} {seconds / max(pages, 1):>6.2f}", flush=True)
        if args.detail:
            for line in detail:
                print("    " + line)


if __name__ == "__main__":
    main()

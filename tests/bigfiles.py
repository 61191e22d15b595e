"""Big files made of copies of real forms, written a piece at a time, and the memory a run takes to read them
(for tests and bench/bench_memory.py).

`text_dump` repeats text exports one after another; `sheet_of_forms` repeats the
rows of a workbook's first sheet (with their merged ranges) down that sheet,
copy after copy, the way a system exports every project of a year into one sheet.
`measure` runs jixiao and watches the peak memory of its reading process.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_ROW = re.compile(rb"<row\b[^>]*?\br=\"(\d+)\"[^>]*>.*?</row>|<row\b[^>]*/>", re.DOTALL)
_ROW_NUMBER = re.compile(rb"(<row\b[^>]*?\br=\")(\d+)(\")")
_CELL_REF = re.compile(rb"(<c\b[^>]*?\br=\"[A-Z]+)(\d+)(\")")
_MERGE = re.compile(rb"<mergeCell ref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"/>")
_POLL_S = 0.1


def text_dump(exports: Sequence[bytes], target: Path, size: int) -> int:
    """Write copies of the exports (in turn) into `target` until it holds `size` bytes; returns how many."""
    copies = 0
    with target.open("wb") as out:
        written = 0
        while written < size:
            data = exports[copies % len(exports)]
            out.write(data)
            written += len(data)
            copies += 1
    return copies


def sheet_of_forms(workbook: Path, target: Path, rows: int) -> int:
    """Write a copy of `workbook` whose first sheet repeats its rows and merged ranges until it has at
    least `rows` rows; returns how many copies of them it holds."""
    with zipfile.ZipFile(workbook) as source:
        sheet = source.read("xl/worksheets/sheet1.xml")
        head, _, rest = sheet.partition(b"<sheetData>")
        data, _, tail = rest.partition(b"</sheetData>")
        body = [m.group(0) for m in _ROW.finditer(data)]
        height = max(int(m[1]) for m in _ROW_NUMBER.findall(data))
        merges = _MERGE.findall(tail)
        before, _, after = tail.partition(b"<mergeCells")
        after = after[after.index(b"</mergeCells>") + len(b"</mergeCells>"):] if merges else after
        copies = -(-rows // height)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in source.infolist():
                if info.filename != "xl/worksheets/sheet1.xml":
                    out.writestr(info, source.read(info))
                    continue
                with out.open(info.filename, "w", force_zip64=True) as part:
                    part.write(head + b"<sheetData>")
                    for k in range(copies):
                        part.write(b"".join(_shifted(row, k * height) for row in body))
                    part.write(b"</sheetData>" + before)
                    if merges:
                        part.write(b'<mergeCells count="%d">' % (len(merges) * copies))
                        for k in range(copies):
                            part.write(b"".join(b'<mergeCell ref="%s%d:%s%d"/>' % (c0, int(r0) + k * height, c1,
                                                                                   int(r1) + k * height)
                                                for c0, r0, c1, r1 in merges))
                        part.write(b"</mergeCells>")
                    part.write(after)
    return copies


@dataclass(slots=True)
class Measured:
    reading_mb: float  # the peak resident memory of the reading process (the sandbox child)
    run_mb: float  # ... of the jixiao command itself
    seconds: float
    exit: int
    output: str


def measure(tree: Path, arguments: list[str]) -> Measured:
    """Run `jixiao ARGUMENTS` (the checkout at `tree`; paths in ARGUMENTS absolute), watching the peak
    memory (VmHWM) of every process it starts."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    started = time.perf_counter()
    # In `tree`: `python -m` puts the working folder first on the import path, of the reading process too.
    run = subprocess.Popen([sys.executable, "-m", "jixiao.pipeline.cli", *arguments], env=env, cwd=tree,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    reading = running = 0.0
    while run.poll() is None:
        running = max(running, _peak_mb(run.pid)[0])
        for pid in _descendants(run.pid):
            peak, command = _peak_mb(pid)
            if "jixiao.pipeline.sandbox" in command:
                reading = max(reading, peak)
        time.sleep(_POLL_S)
    output = (run.stdout.read() if run.stdout else b"").decode(errors="replace").strip()
    return Measured(reading, running, time.perf_counter() - started, run.returncode, output)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _peak_mb(pid: int) -> tuple[float, str]:
    """VmHWM (peak resident set) of a live process, and its command line."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            peak = next((int(line.split()[1]) / 1024 for line in handle if line.startswith("VmHWM:")), 0.0)
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return 0.0, ""
    return peak, command


def _shifted(row: bytes, by: int) -> bytes:
    def shift(m: re.Match[bytes]) -> bytes:
        return m.group(1) + str(int(m.group(2)) + by).encode() + m.group(3)

    return _CELL_REF.sub(shift, _ROW_NUMBER.sub(shift, row))

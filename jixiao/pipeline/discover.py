"""Which files a run reads: every regular file under the inputs, with its path relative to its input root.

Plain strings and os calls rather than pathlib: a nightly run over a large folder
spends most of an unchanged re-run here and in hashing.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Source:
    path: str  # absolute
    source_path: str  # relative to the input root, "/"-separated
    size: int
    mtime_ns: int


def _skipped(name: str) -> bool:
    """Hidden files and Office lock files ("~$报告.docx") are not documents."""
    return name.startswith((".", "~$"))


def _walk(root: str) -> list[tuple[str, str]]:
    """(absolute path, relative path) of the entries under root, folders in name order, depth first."""
    found: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
        rel = os.path.relpath(dirpath, root)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        found.extend((os.path.join(dirpath, f), prefix + f) for f in sorted(filenames) if not _skipped(f))
    return found


def discover(inputs: list[Path]) -> list[Source]:
    """Files in a stable order; a folder is walked recursively without following links out of it.

    A file reached twice (two inputs that overlap, a link to a file already listed) is listed once.
    """
    sources: list[Source] = []
    seen: set[tuple[int, int]] = set()
    for given in inputs:
        given_path = os.path.abspath(given)
        if os.path.isdir(given_path):
            found = _walk(given_path)
        else:
            found = [(given_path, os.path.basename(given_path))]
        for path, source_path in found:
            try:
                st = os.stat(path)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            sources.append(Source(path, source_path, st.st_size, st.st_mtime_ns))
    return sources

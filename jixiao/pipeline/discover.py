"""Which files a run reads: every regular file under the inputs, with its path relative to its input root.

Plain strings and os calls rather than pathlib: a nightly run over a large folder
spends most of an unchanged re-run here and in hashing.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from jixiao.extractors.errors import BAD_INPUT, SNIFF, UNSUPPORTED
from jixiao.pipeline.process import failure_line


@dataclass(frozen=True, slots=True)
class Source:
    path: str  # absolute
    source_path: str  # relative to the input root, "/"-separated
    size: int
    mtime_ns: int
    # Why the entry is not read at all (a link out of the input, a FIFO), as a manifest error line.
    refused: str | None = None


def _skipped(name: str) -> bool:
    """Hidden files and Office lock files ("~$报告.docx") are not documents."""
    return name.startswith((".", "~$"))


def _walk(root: str) -> list[tuple[str, str]]:
    """(absolute path, relative path) of the entries under root, folders in name order, depth first.

    Links to folders are not followed (a link loop cannot trap the walk) but are listed, so that one
    pointing out of the input is reported rather than silently passed over.
    """
    found: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        kept = sorted(d for d in dirnames if not _skipped(d))
        dirnames[:] = [d for d in kept if not os.path.islink(os.path.join(dirpath, d))]
        links = [d for d in kept if d not in dirnames]
        names = sorted([*(f for f in filenames if not _skipped(f)), *links])
        found.extend((os.path.join(dirpath, f), prefix + f) for f in names)
    return found


def _refusal(path: str, root: str | None, st: os.stat_result | None) -> str | None:
    """Why an entry is not read, or None for a regular file inside the input."""
    if st is None:
        return failure_line(SNIFF, BAD_INPUT, "a broken link, or a link loop")
    if root is not None and os.path.islink(path):
        real_root = os.path.realpath(root)
        if os.path.commonpath([real_root, os.path.realpath(path)]) != real_root:
            return failure_line(SNIFF, BAD_INPUT, "a link to a path outside the input folder, not followed")
    if stat.S_ISDIR(st.st_mode):
        return None
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
        return failure_line(SNIFF, UNSUPPORTED, f"not a regular file but {kind}")
    return None


def _source(path: str, source_path: str, root: str | None) -> tuple[Source, os.stat_result | None]:
    try:
        st: os.stat_result | None = os.stat(path)
    except OSError:
        st = None
    refused = _refusal(path, root, st)
    if refused is not None or st is None:
        return Source(path, source_path, 0, 0, refused), st
    return Source(path, source_path, st.st_size, st.st_mtime_ns), st


def look_again(path: str, source_path: str) -> Source | None:
    """A file known from an earlier run, checked as discovery checks it (links out of the input it
    was found in, special files); None when nothing is there any more."""
    if not os.path.lexists(path):
        return None
    suffix = source_path.replace("/", os.sep)
    root = path[: -len(suffix)].rstrip(os.sep) if path.endswith(os.sep + suffix) else None
    source, st = _source(path, source_path, root)
    if source.refused is None and st is not None and stat.S_ISDIR(st.st_mode):
        return Source(path, source_path, 0, 0, failure_line(SNIFF, BAD_INPUT, "now a folder, not a file"))
    return source


def discover(inputs: list[Path]) -> list[Source]:
    """Files in a stable order; a folder is walked recursively without following links out of it.

    A file reached twice (two inputs that overlap, a link to a file already listed) is listed once.
    Entries that are not read (links out of the input, FIFOs, devices, broken links) are listed
    with the reason, so the manifest shows them.
    """
    sources: list[Source] = []
    seen: set[tuple[int, int]] = set()
    for given in inputs:
        given_path = os.path.abspath(given)
        if os.path.isdir(given_path):
            root: str | None = given_path
            found = _walk(given_path)
        else:
            root, found = None, [(given_path, os.path.basename(given_path))]
        for path, source_path in found:
            source, st = _source(path, source_path, root)
            if source.refused is not None:
                sources.append(source)
                continue
            if st is None or stat.S_ISDIR(st.st_mode) or (st.st_dev, st.st_ino) in seen:
                continue  # a link to a folder inside the input: its files are walked there
            seen.add((st.st_dev, st.st_ino))
            sources.append(source)
    return sources

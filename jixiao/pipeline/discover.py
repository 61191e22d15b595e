"""Which files a run reads: every regular file under the inputs, with its path relative to its input root.

Plain strings and os calls rather than pathlib: a nightly run over a large folder
spends most of an unchanged re-run here and in hashing.

Paths stay as the OS gives them (str decoded with the file-system encoding, surrogates for bytes
it cannot decode) for opening; `source_path` is the escaped form of names.py, whatever the locale.
A folder that cannot be listed is not an empty folder: it is reported (`Unlisted`), and the files
an earlier run found under it keep their rows.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.extractors.errors import BAD_INPUT, SNIFF, TRANSIENT, UNSUPPORTED
from jixiao.pipeline.names import original_bytes, shown
from jixiao.pipeline.process import failure_line
from jixiao.pipeline.territory import skipped_under

ROOT_KEY = "./"  # the key of an input folder itself, when it cannot be listed


@dataclass(frozen=True, slots=True)
class Source:
    path: str  # absolute, as the OS gives it
    source_path: str  # relative to the input root, "/"-separated, escaped (names.shown)
    size: int
    mtime_ns: int
    # Why the entry is not read at all (a link out of the input, a FIFO), as a manifest error line.
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class Unlisted:
    """A folder (or an input) whose entries could not be listed: what is under it is unknown."""

    path: str  # absolute, as the OS gives it
    source_path: str  # its relative path with a trailing "/" (ROOT_KEY for an input folder itself)
    reason: str  # the manifest's error line


@dataclass(slots=True)
class Found:
    sources: list[Source] = field(default_factory=list)
    unlisted: list[Unlisted] = field(default_factory=list)


def _skipped(name: str) -> bool:
    """Hidden files and Office lock files ("~$报告.docx") are not documents."""
    return name.startswith((".", "~$"))


def _listing_failure(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return failure_line(SNIFF, UNSUPPORTED, "its path is longer than the system allows (PATH_MAX): nothing under "
                            "it can be read")
    if exc.errno == errno.ENOENT:
        return failure_line(SNIFF, TRANSIENT, "it vanished while it was being listed; the rows of the files under "
                            "it are kept until a run lists it")
    return failure_line(SNIFF, TRANSIENT, f"cannot list this folder: {exc.strerror or exc}; the rows of the files "
                        "under it are kept until a run can list it")


def _walk(root: str, skip: set[str], unlisted: list[Unlisted]) -> list[tuple[str, str]]:
    """(absolute path, relative path) of the entries under root, folders in name order, depth first.

    Links to folders are not followed (a link loop cannot trap the walk) but are listed, so that one
    pointing out of the input is reported rather than silently passed over.
    """
    found: list[tuple[str, str]] = []

    def relative(path: str) -> str:
        rel = os.path.relpath(path, root)
        return "" if rel == "." else shown(rel.replace(os.sep, "/")) + "/"

    def failed(exc: OSError) -> None:
        path = exc.filename if isinstance(exc.filename, str) else root
        unlisted.append(Unlisted(path, relative(path) or ROOT_KEY, _listing_failure(exc)))

    for dirpath, dirnames, filenames in os.walk(root, onerror=failed):
        prefix = relative(dirpath)
        kept = sorted(d for d in dirnames if not _skipped(d) and os.path.join(dirpath, d) not in skip)
        dirnames[:] = [d for d in kept if not os.path.islink(os.path.join(dirpath, d))]
        links = [d for d in kept if d not in dirnames]
        names = sorted([*(f for f in filenames if not _skipped(f) and os.path.join(dirpath, f) not in skip), *links])
        found.extend((os.path.join(dirpath, f), prefix + shown(f)) for f in names)
    return found


def _refusal(path: str, root: str | None, st: os.stat_result | None, error: OSError | None) -> str | None:
    """Why an entry is not read, or None for a regular file inside the input."""
    if st is None:
        if error is not None and error.errno == errno.ENAMETOOLONG:
            return failure_line(SNIFF, UNSUPPORTED, "its path is longer than the system allows (PATH_MAX)")
        if error is not None and error.errno in (errno.EACCES, errno.EPERM):
            return failure_line(SNIFF, TRANSIENT, f"cannot be looked at: {error.strerror}; its rows are kept")
        if os.path.islink(path) or (error is not None and error.errno == errno.ELOOP):
            return failure_line(SNIFF, BAD_INPUT, "a broken link, or a link loop")
        return failure_line(SNIFF, TRANSIENT, "it vanished before it could be read")
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
    error: OSError | None = None
    try:
        st: os.stat_result | None = os.stat(path)
    except OSError as exc:
        st, error = None, exc
    refused = _refusal(path, root, st, error)
    if refused is not None or st is None:
        return Source(path, source_path, 0, 0, refused), st
    return Source(path, source_path, st.st_size, st.st_mtime_ns), st


def look_again(path: str, source_path: str) -> Source | None:
    """A file known from an earlier run, checked as discovery checks it (links out of the input it
    was found in, special files); None when nothing is there any more."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError:
        pass  # cannot be looked at (a folder above it unreadable, a path too long): _source says why
    suffix = os.fsdecode(original_bytes(source_path)).replace("/", os.sep)
    root = path[: -len(suffix)].rstrip(os.sep) if path.endswith(os.sep + suffix) else None
    source, st = _source(path, source_path, root)
    if source.refused is None and st is not None and stat.S_ISDIR(st.st_mode):
        return Source(path, source_path, 0, 0, failure_line(SNIFF, BAD_INPUT, "now a folder, not a file"))
    return source


def _gone(path: str) -> bool:
    try:
        os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        pass  # there, but cannot be looked at: _source says why
    return False


def discover(inputs: list[Path], out: Path | None = None) -> Found:
    """Files in a stable order; a folder is walked recursively without following links out of it.

    A file reached twice (two inputs that overlap, a link to a file already listed) is listed once.
    Entries that are not read (links out of the input, FIFOs, devices, broken links) are listed
    with the reason, so the manifest shows them. When OUT lies inside an input folder, jixiao's own
    entries in OUT are passed over. Folders that cannot be listed, and inputs that are gone, are
    `unlisted`.
    """
    found = Found()
    seen: set[tuple[int, int]] = set()
    for given in inputs:
        given_path = os.path.abspath(given)
        if os.path.isdir(given_path):
            root: str | None = given_path
            entries = _walk(given_path, skipped_under(given_path, out) if out is not None else set(), found.unlisted)
        elif _gone(given_path):
            found.unlisted.append(Unlisted(given_path, ROOT_KEY, failure_line(
                SNIFF, TRANSIENT, f"the input {shown(given_path)} is gone; the rows of the files read from it "
                "are kept until a run finds it again")))
            continue
        else:
            root, entries = None, [(given_path, shown(os.path.basename(given_path)))]
        for path, source_path in entries:
            source, st = _source(path, source_path, root)
            if source.refused is not None:
                found.sources.append(source)
                continue
            if st is None or stat.S_ISDIR(st.st_mode) or (st.st_dev, st.st_ino) in seen:
                continue  # a link to a folder inside the input: its files are walked there
            seen.add((st.st_dev, st.st_ino))
            found.sources.append(source)
    return found

"""Which files a run reads: every regular file under the inputs, with its path relative to its input root."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Source:
    path: Path
    source_path: str


def _skipped(name: str) -> bool:
    """Hidden files and Office lock files ("~$报告.docx") are not documents."""
    return name.startswith((".", "~$"))


def discover(inputs: list[Path]) -> list[Source]:
    """Files in a stable order; a folder is walked recursively without following links out of it."""
    sources: list[Source] = []
    seen: set[Path] = set()
    for given in inputs:
        if given.is_dir():
            root = given
            found: list[Path] = []
            for dirpath, dirnames, filenames in os.walk(given):
                dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
                found.extend(Path(dirpath) / f for f in sorted(filenames) if not _skipped(f))
        else:
            root, found = given.parent, [given]
        for path in found:
            if not path.is_file():
                continue
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            sources.append(Source(path, path.relative_to(root).as_posix()))
    return sources

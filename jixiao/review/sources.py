"""Finding a file's source again: where the run last found it, or under a root the reviewer names, and
only as the very content that was read (its sha256)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

FOUND, CHANGED, MISSING = "found", "changed", "missing"


@dataclass(frozen=True, slots=True)
class Located:
    verdict: str  # FOUND, CHANGED (a file is there, with other content) or MISSING
    path: Path | None  # the file found (with the content read, or else the first one there)
    data: bytes | None = None  # its bytes, when FOUND


def locate(recorded: str | None, source_path: str, roots: list[Path], sha256: str) -> Located:
    candidates = ([Path(recorded)] if recorded else []) + [root / source_path for root in roots]
    changed: Path | None = None
    for path in candidates:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == sha256:
            return Located(FOUND, path, data)
        changed = changed or path
    return Located(CHANGED, changed) if changed is not None else Located(MISSING, None)

"""What jixiao writes and prunes inside OUT, kept apart from the inputs.

jixiao writes only OUT/.jixiao (generations, staging, the lock), the dataset links OUT/projects,
OUT/indicators, OUT/cells and OUT/files, and OUT/logs. An input at or under one of them would be
read from, and pruned with, jixiao's own files: such a run is refused. OUT inside an input
folder (`jixiao run . --out ./out`, or OUT the input folder itself) is common and harmless: the
walk of that folder passes over jixiao's own entries in OUT, and reads everything else.
"""
from __future__ import annotations

import os
from pathlib import Path

from jixiao.pipeline.errors import Refused
from jixiao.pipeline.lock import STATE_DIR
from jixiao.pipeline.names import shown
from jixiao.pipeline.schemas import DATASETS

OWNED = (STATE_DIR, *DATASETS, "logs")


def _ancestors(path: str) -> list[os.stat_result]:
    """The stat of path and of every folder above it (a bind mount of a folder is the same folder)."""
    found = []
    while True:
        try:
            found.append(os.stat(path))
        except OSError:
            pass
        parent = os.path.dirname(path)
        if parent == path:
            return found
        path = parent


def _within(path: str, folder: str) -> bool:
    real, real_folder = os.path.realpath(path), os.path.realpath(folder)
    if os.path.commonpath([real, real_folder]) == real_folder:
        return True
    try:
        folder_stat = os.stat(folder)
    except OSError:
        return False
    return any(os.path.samestat(st, folder_stat) for st in _ancestors(real))


def check_inputs(inputs: list[Path], out: Path) -> None:
    """Refuse (Refused) an input at or under what jixiao writes in OUT."""
    for given in inputs:
        for name in OWNED:
            owned = os.path.join(os.path.abspath(out), name)
            if _within(os.path.abspath(given), owned):
                raise Refused(f"the input {shown(given)} is inside {shown(owned)}, which jixiao writes and "
                              "prunes: give --out a folder of its own")


def skipped_under(root: str, out: Path) -> set[str]:
    """The paths of jixiao's own entries in OUT as the walk of input folder `root` spells them, when OUT
    lies within root; empty otherwise."""
    rel = os.path.relpath(os.path.realpath(out), os.path.realpath(root))
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return set()
    return {os.path.normpath(os.path.join(root, rel, name)) for name in OWNED}

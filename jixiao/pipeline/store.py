"""OUT as a series of generations, switched by one atomic rename.

OUT/projects, OUT/indicators, OUT/cells and OUT/files are links into OUT/.jixiao/current,
itself a link to one generation folder under OUT/.jixiao/gens/. A commit builds
the next generation beside the current one (unchanged parts hard-linked, the
run's new parts linked in from its staging folder, the manifest and the state
written), then points `current` at it with a single rename. A reader, or a run
killed at any moment, sees the old generation or the new one, never a mix, and
the datasets switch together with the state that says what they hold.

jixiao moves or deletes only what it wrote: its generations, its staging folders, the
parts it made. A folder where a dataset link goes that is not provably jixiao's is
refused, never absorbed; a file a person put into a dataset folder is carried from
generation to generation. Damage to OUT's own records (a deleted `current` link, a
truncated state, a part deleted by hand) is found by `health()` and told: a run
recovers from the newest intact generation, or refuses when none is left.
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from jixiao.pipeline import schemas
from jixiao.pipeline.errors import Damaged, Refused, output_error
from jixiao.pipeline.lock import STATE_DIR
from jixiao.pipeline.names import shown
from jixiao.pipeline.state import STATE_FILE, SourceState, StateUnreadable, read_state, state_table
from jixiao.pipeline.writer import PART_DATASETS, part_name, write_atomic

__all__ = ["DATASETS", "SCHEMA_PART", "STATE_FILE", "Health", "Prepared", "Store", "parquet_damage"]

DATASETS = tuple(schemas.DATASETS)
SCHEMA_PART = "00-schema.parquet"
_GENS, _CURRENT, _STAGING = "gens", "current", "staging"
# A superseded generation stays this long for readers that resolved `current` before the switch.
# The one just before `current` always stays: the generation to recover from if `current` is damaged.
KEEP_SUPERSEDED_S = 600.0

# Names jixiao gives what it writes in a dataset folder: a source file's part, a run's manifest,
# the schema part, and a part being written.
_PART = re.compile(r"[0-9a-f]{16}\.parquet")
_MANIFEST = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{6}\.parquet")
_TEMP = re.compile(r"\..+\.parquet\.\d+\.tmp")
# Columns that every part of a dataset carries, in every release of jixiao.
_KEY_COLUMNS = {"projects": {"project_id", "source_path", "source_sha256", "table_index"},
                "indicators": {"project_id", "seq", "name"},
                "cells": {"project_id", "field", "locator"},
                "files": {"source_path", "status", "run_id"}}
_MAGIC = b"PAR1"


def _same_schema(written: pa.Schema, schema: pa.Schema) -> bool:
    """Columns, types and meanings alike (the file's own metadata may differ)."""
    return written.equals(schema) and [f.metadata for f in written] == [f.metadata for f in schema]


def _gen_name(number: int) -> str:
    return f"{number:08d}"


def is_ours(dataset: str, name: str) -> bool:
    """Whether an entry of a dataset folder has a name jixiao gives what it writes there."""
    if name == SCHEMA_PART:
        return True
    return bool((_MANIFEST if dataset == "files" else _PART).fullmatch(name))


def parquet_damage(path: str | Path) -> str | None:
    """Why a file is not a whole Parquet file (missing, truncated, overwritten), from its first and
    last bytes only (cheap enough for every part at every run); None when it looks whole."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    try:
        size = os.fstat(fd).st_size
        head, tail = os.pread(fd, 4, 0), os.pread(fd, 8, max(0, size - 8))
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    finally:
        os.close(fd)
    if size < 12 or head != _MAGIC or tail[4:] != _MAGIC or int.from_bytes(tail[:4], "little") + 12 > size:
        return "not a whole Parquet file (truncated or overwritten)"
    return None


@dataclass(slots=True)
class Health:
    """What OUT's records say, and what a run would do about any damage to them."""

    current: Path | None = None  # the generation a run builds on (after recovery); None: nothing committed
    states: dict[str, SourceState] = field(default_factory=dict)  # that generation's state
    problems: list[str] = field(default_factory=list)  # what is damaged, one line each
    recovery: str | None = None  # how a run recovers, one line
    fatal: str | None = None  # why a run refuses: damaged, and no intact generation to recover from
    broken: list[Path] = field(default_factory=list)  # generations newer than the one recovered


@dataclass(slots=True)
class Prepared:
    damaged: list[str] = field(default_factory=list)  # damage found and recovered from, one line each
    notes: list[str] = field(default_factory=list)  # anything else done to OUT (a migration)


class Store:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.root = out / STATE_DIR
        self.gens = self.root / _GENS

    # Reading ------------------------------------------------------------

    def current(self) -> Path | None:
        """The folder of the generation readers see now; None before the first commit."""
        try:
            target = os.readlink(self.root / _CURRENT)
        except OSError:
            return None
        return self.root / target

    def state_file(self) -> Path | None:
        current = self.current()
        return current / STATE_FILE if current is not None else None

    def staging(self, run_id: str) -> Path:
        return self.root / _STAGING / run_id

    def _sealed(self) -> list[Path]:
        try:
            return sorted((p for p in self.gens.iterdir() if p.name.isdigit() and p.is_dir()),
                          key=lambda p: int(p.name))
        except OSError:
            return []

    @staticmethod
    def _intact(gen: Path) -> tuple[dict[str, SourceState] | None, str | None]:
        """A generation's state, or why it cannot be used."""
        for dataset in ("projects", "indicators", "files"):
            if not (gen / dataset).is_dir():
                return None, f"its {dataset} folder is missing"
        if not (gen / STATE_FILE).exists():
            # Only the empty first generation of an OUT has none.
            if any(_PART.fullmatch(entry.name) for entry in os.scandir(gen / "projects")):
                return None, f"its {STATE_FILE} is missing"
            return {}, None
        try:
            return read_state(gen / STATE_FILE), None
        except StateUnreadable as exc:
            why = parquet_damage(gen / STATE_FILE) or str(exc).split(": ", 1)[-1][:120]
            return None, f"its {STATE_FILE} is {why}" if why.startswith("not ") else f"its {STATE_FILE}: {why}"

    def health(self) -> Health:
        """The generation a run would build on, and what is damaged; reads only."""
        link = self.root / _CURRENT
        sealed = self._sealed()
        bad: Path | None = None
        if os.path.islink(link):
            target = os.readlink(link)
            gen = self.root / target
            if Path(target).parent != Path(_GENS) or not gen.is_dir():
                problem = f"{shown(link)} points at {shown(target)}, which is missing"
            else:
                states, why = self._intact(gen)
                if states is not None:
                    return Health(gen, states)
                problem, bad = f"generation {gen.name} (the current one) is damaged: {why}", gen
        elif os.path.lexists(link):
            problem = f"{shown(link)} is not a link"
        elif sealed:
            problem = f"{shown(link)} is missing"
        else:
            return Health()  # nothing committed yet
        for gen in reversed(sealed):
            if gen == bad:
                continue
            states, _ = self._intact(gen)
            if states is None:
                continue
            when = dt.datetime.fromtimestamp(gen.stat().st_mtime, dt.UTC).isoformat(timespec="seconds")
            if not states and problem.endswith("is missing") and gen == sealed[-1] == sealed[0]:
                return Health(gen)  # a first run killed before it linked its empty generation
            return Health(gen, states, [problem],
                          f"the run goes on from generation {gen.name}, committed {when}: files read since are "
                          "read again", broken=[g for g in sealed if int(g.name) > int(gen.name)])
        return Health(problems=[problem],
                      fatal=f"OUT's own record of what it holds is damaged ({problem}) and no intact generation is "
                            f"left to recover from: move {shown(self.out)} aside and run again to read every file "
                            "anew")

    def damaged_parts(self, states: dict[str, SourceState]) -> dict[str, str]:
        """source_path → what is wrong with the parts holding its rows in the current generation.

        Every run looks: a missing part is seen in the folder's listing; a part is read (its first and
        last bytes) only when it was written after the generation's state (parts never change once
        written, so a later time means a hand), or is too short to be one.
        """
        current = self.current()
        damaged: dict[str, str] = {}
        if current is None:
            return damaged
        try:
            committed_ns = os.stat(current / STATE_FILE).st_mtime_ns
        except OSError:
            committed_ns = 0
        folders = []
        for dataset in PART_DATASETS:
            try:
                listed = set(os.listdir(current / dataset))
            except OSError:
                listed = set()
            folders.append((dataset, os.path.join(current, dataset, ""), listed))
        for key, state in states.items():
            if state.parts_sha256 is None:
                continue
            name = part_name(key)
            for dataset, folder, listed in folders:
                why = "missing" if name not in listed else self._touched_part(folder + name, committed_ns)
                if why is not None:
                    damaged[key] = f"its {dataset} part {name} is {why}"
                    break
        return damaged

    @staticmethod
    def _touched_part(path: str, committed_ns: int) -> str | None:
        try:
            st = os.stat(path)
        except OSError as exc:
            return f"unreadable ({exc.strerror or exc})"
        return parquet_damage(path) if st.st_mtime_ns >= committed_ns or st.st_size < 12 else None

    def damaged_files(self) -> list[tuple[str, str, str]]:
        """(dataset, name, what is wrong) for the other files jixiao wrote in the current generation:
        manifests and schema parts."""
        current = self.current()
        found: list[tuple[str, str, str]] = []
        if current is None:
            return found
        for dataset in DATASETS:
            try:
                entries = list(os.scandir(current / dataset))
            except OSError:
                continue
            for entry in entries:
                if entry.name == SCHEMA_PART or (dataset == "files" and _MANIFEST.fullmatch(entry.name)):
                    why = parquet_damage(entry.path)
                    if why is not None:
                        found.append((dataset, entry.name, why))
        return found

    # Writing (only under the OUT lock) -----------------------------------

    def prepare(self) -> Prepared:
        """Before a run: OUT checked (what is there is jixiao's, or the run is refused), damage
        recovered from, an empty first generation if there is none, the readers' links, nothing left of
        runs that died, and parts written by an older release migrated. Returns what to tell the user."""
        try:
            self.check_foreign()
            self.gens.mkdir(parents=True, exist_ok=True)
            self._adopt_flat_layout()
            health = self.health()
            if health.fatal:
                raise Damaged(health.fatal)
            prepared = Prepared(damaged=[f"{p}; {health.recovery}" for p in health.problems])
            if health.current is not None and health.current != self.current():
                for gen in health.broken:
                    os.rename(gen, self.gens / f".damaged-{gen.name}")  # removed below with other leftovers
                self._switch(health.current)
            if self.current() is None:
                first = self._with_schema_parts(self._build(None, {}, set()))
                write_atomic(state_table({}), first / STATE_FILE)
                self._switch(first)
            for dataset in DATASETS:
                if not os.path.lexists(self.out / dataset):
                    (self.out / dataset).symlink_to(Path(STATE_DIR) / _CURRENT / dataset)
            shutil.rmtree(self.root / _STAGING, ignore_errors=True)
            self._drop_unswitched()
            for leftover in self.gens.glob(".*"):
                shutil.rmtree(leftover, ignore_errors=True)
            self._prune()
            from jixiao.pipeline.migrate import migrate  # it builds a generation through this store

            prepared.notes += migrate(self)
        except OSError as exc:
            raise output_error(exc, "preparing it") from exc
        return prepared

    def commit(self, run_id: str, staged: Iterable[str], removed: Iterable[str], manifest: pa.Table | None,
               state: pa.Table, dropped: Iterable[tuple[str, str]] = (),
               replaced: Iterable[tuple[str, str]] = ()) -> Path:
        """A new generation: the current one, with the staged parts (part file names) of this run in,
        the parts of `removed` and the (dataset, name) files of `dropped` out, the run's manifest and the
        new state. `replaced`: other (dataset, name) files staged to replace theirs. Returns its folder."""
        stage = self.staging(run_id)
        new = {(dataset, name): stage / dataset / name for name in staged for dataset in PART_DATASETS}
        new.update({(dataset, name): stage / dataset / name for dataset, name in replaced})
        try:
            folder = self._with_schema_parts(self._build(self.current(), new, set(removed), set(dropped)))
            if manifest is not None:
                write_atomic(manifest, folder / "files" / f"{run_id}.parquet")
            write_atomic(state, folder / STATE_FILE)
            final = self._seal(folder)
            self._switch(final)
        except OSError as exc:
            raise output_error(exc, "committing a generation") from exc
        for path in new.values():
            path.unlink(missing_ok=True)
        self._prune()
        return final

    def discard_staging(self, run_id: str) -> None:
        shutil.rmtree(self.staging(run_id), ignore_errors=True)

    def _build(self, base: Path | None, new: dict[tuple[str, str], Path], removed: set[str],
               dropped: set[tuple[str, str]] | None = None) -> Path:
        """An unfinished generation (a hidden folder) made from `base` and the new parts. What jixiao did
        not write there (a file a person put into OUT/projects) is carried over as it is."""
        folder = self.gens / f".building-{os.getpid()}-{time.monotonic_ns()}"
        try:
            for dataset in DATASETS:
                (folder / dataset).mkdir(parents=True)
                if base is None or not (base / dataset).is_dir():  # a generation older than a dataset lacks it
                    continue
                into = os.path.join(folder, dataset, "")  # strings: a commit links every part of OUT
                for entry in os.scandir(base / dataset):
                    if not is_ours(dataset, entry.name):
                        if not _TEMP.fullmatch(entry.name):
                            _carry(entry, into + entry.name)
                    elif entry.name not in removed and (dataset, entry.name) not in new \
                            and (dataset, entry.name) not in (dropped or ()):
                        os.link(entry.path, into + entry.name)
            for (dataset, name), source in new.items():
                os.link(source, folder / dataset / name)
            if base is not None and (base / STATE_FILE).exists():
                os.link(base / STATE_FILE, folder / STATE_FILE)
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return folder

    @staticmethod
    def _with_schema_parts(folder: Path) -> Path:
        """A part of no rows in each dataset: every reader (DuckDB's globs too) finds the columns even
        before the first file lands. A schema part of an older contract, or a damaged one, is replaced."""
        for dataset, schema in schemas.DATASETS.items():
            part = folder / dataset / SCHEMA_PART
            try:
                current = part.exists() and _same_schema(pq.read_schema(part), schema)
            except Exception:  # noqa: BLE001 - any damage to it: it is written again
                current = False
            if not current:
                part.unlink(missing_ok=True)
                write_atomic(schema.empty_table(), part)
        return folder

    def _seal(self, folder: Path) -> Path:
        numbers = [int(p.name) for p in self.gens.iterdir() if p.name.isdigit()]
        final = self.gens / _gen_name(max(numbers, default=0) + 1)
        os.rename(folder, final)
        return final

    def _switch(self, folder: Path) -> None:
        if folder.name.startswith("."):
            folder = self._seal(folder)
        tmp = self.root / f".{_CURRENT}.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(Path(_GENS) / folder.name)
        os.replace(tmp, self.root / _CURRENT)

    def _drop_unswitched(self) -> None:
        """Generations sealed after the current one by a run that died before it switched to them:
        no reader ever saw them."""
        current = self.current()
        if current is None:
            return
        for gen in self._sealed():
            if int(gen.name) > int(current.name):
                os.rename(gen, self.gens / f".unswitched-{gen.name}")

    def _prune(self) -> None:
        """Superseded generations go once their successor is older than KEEP_SUPERSEDED_S, except the
        one just before the current one."""
        current = self.current()
        sealed = self._sealed()
        now = time.time()
        for older, newer in itertools.pairwise(sealed):
            if current is not None and newer.name == current.name:
                break
            try:
                superseded_for = now - newer.stat().st_mtime
            except OSError:
                continue
            if superseded_for > KEEP_SUPERSEDED_S:
                shutil.rmtree(older, ignore_errors=True)

    # What is in OUT besides jixiao's generations ---------------------------

    def check_foreign(self) -> None:
        """Refuse (Refused) an OUT where jixiao would write over, absorb or prune what it did not write:
        a folder or a link of someone else's where a dataset link goes. Reads only."""
        adopted = self._sealed() or os.path.lexists(self.root / _CURRENT)
        for dataset in DATASETS:
            link = self.out / dataset
            if os.path.islink(link):
                target = os.readlink(link)
                if Path(target) != Path(STATE_DIR) / _CURRENT / dataset:
                    raise Refused(f"{shown(link)} is a link jixiao did not make (to {shown(target)}), where jixiao "
                                  f"keeps its {dataset} dataset: move it away, or give --out a folder of its own")
            elif link.is_dir():
                why = _not_ours(link, dataset)
                if why is None and adopted:
                    why = self._not_adopted(dataset)
                if why is not None:
                    raise Refused(f"{shown(link)} is a folder jixiao did not write ({why}), where jixiao keeps its "
                                  f"{dataset} dataset: move it away, or give --out a folder of its own")
            elif os.path.lexists(link):
                raise Refused(f"{shown(link)} is a file jixiao did not write, where jixiao keeps its {dataset} "
                              "dataset: move it away, or give --out a folder of its own")

    def _not_adopted(self, dataset: str) -> str | None:
        """A plain dataset folder beside OUT's generations is the leftover of an adoption that died
        before removing it only when each of its files is in the current generation too."""
        current = self.current()
        for entry in os.scandir(self.out / dataset):
            twin = current / dataset / entry.name if current is not None else None
            if not _TEMP.fullmatch(entry.name) and (twin is None or not twin.exists()
                                                    or not os.path.samefile(entry.path, twin)):
                return f"{shown(entry.name)} in it is not in OUT's current generation"
        return None

    def _adopt_flat_layout(self) -> None:
        """OUT written by jixiao before generations held the datasets as plain folders and the state at
        OUT/.jixiao/state.parquet: they become the first generation (check_foreign has made sure that
        every entry in them is a part jixiao wrote)."""
        flat = [d for d in DATASETS if (self.out / d).is_dir() and not (self.out / d).is_symlink()]
        if not flat:
            return
        if not (self._sealed() or os.path.lexists(self.root / _CURRENT)):
            folder = self.gens / f".adopting-{os.getpid()}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            for dataset in DATASETS:
                (folder / dataset).mkdir()
                if dataset in flat:
                    for entry in os.scandir(self.out / dataset):
                        if not _TEMP.fullmatch(entry.name):
                            os.link(entry.path, folder / dataset / entry.name)
            flat_state = self.root / STATE_FILE
            if flat_state.exists():
                os.link(flat_state, folder / STATE_FILE)
            else:
                write_atomic(state_table({}), folder / STATE_FILE)
            self._switch(self._with_schema_parts(folder))
        for dataset in flat:
            for entry in os.scandir(self.out / dataset):
                os.unlink(entry.path)  # every one checked as jixiao's
            os.rmdir(self.out / dataset)  # fails, and stops the run, if anything appeared since
        (self.root / STATE_FILE).unlink(missing_ok=True)


def _not_ours(folder: Path, dataset: str) -> str | None:
    """Why a plain dataset folder in OUT is not provably one jixiao wrote; None when it is."""
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if _TEMP.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            continue  # a part a killed run was writing
        if not entry.is_file(follow_symlinks=False) or not is_ours(dataset, entry.name):
            return f"{shown(entry.name)} in it is not a part jixiao wrote"
        try:
            columns = set(pq.read_schema(entry.path).names)
        except Exception:  # noqa: BLE001 - not Parquet at all
            return f"{shown(entry.name)} in it is not a Parquet file"
        if not _KEY_COLUMNS[dataset] <= columns or not columns <= set(schemas.DATASETS[dataset].names):
            return f"{shown(entry.name)} in it does not hold jixiao's {dataset} columns"
    return None


def _carry(entry: os.DirEntry[str], target: str) -> None:
    if entry.is_symlink():
        os.symlink(os.readlink(entry.path), target)
    elif entry.is_dir(follow_symlinks=False):
        shutil.copytree(entry.path, target, symlinks=True, copy_function=os.link)
    else:
        os.link(entry.path, target)

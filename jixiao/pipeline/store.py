"""OUT as a series of generations, switched by one atomic rename.

OUT/projects, OUT/indicators, OUT/cells and OUT/files are links into OUT/.jixiao/current,
itself a link to one generation folder under OUT/.jixiao/gens/. A commit builds
the next generation beside the current one (unchanged parts hard-linked, the
run's new parts linked in from its staging folder, the manifest and the state
written), then points `current` at it with a single rename. A reader, or a run
killed at any moment, sees the old generation or the new one, never a mix, and
the datasets switch together with the state that says what they hold.
"""
from __future__ import annotations

import itertools
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from jixiao.pipeline import schemas
from jixiao.pipeline.errors import output_error
from jixiao.pipeline.lock import STATE_DIR
from jixiao.pipeline.writer import PART_DATASETS, write_atomic

DATASETS = tuple(schemas.DATASETS)
STATE_FILE = "state.parquet"
SCHEMA_PART = "00-schema.parquet"
_GENS, _CURRENT, _STAGING = "gens", "current", "staging"
# A superseded generation stays this long for readers that resolved `current` before the switch.
KEEP_SUPERSEDED_S = 600.0


def _same_schema(written: pa.Schema, schema: pa.Schema) -> bool:
    """Columns, types and meanings alike (the file's own metadata may differ)."""
    return written.equals(schema) and [f.metadata for f in written] == [f.metadata for f in schema]


def _gen_name(number: int) -> str:
    return f"{number:08d}"


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

    # Writing (only under the OUT lock) -----------------------------------

    def prepare(self) -> None:
        """Before a run: an empty first generation if there is none, the readers' links, and
        nothing left of runs that died (their staging folders and unfinished generations)."""
        try:
            self.gens.mkdir(parents=True, exist_ok=True)
            self._adopt_flat_layout()
            if self.current() is None:
                self._switch(self._with_schema_parts(self._build(None, {}, set())))
            for dataset in DATASETS:
                link = self.out / dataset
                if not link.is_symlink():
                    link.symlink_to(Path(STATE_DIR) / _CURRENT / dataset)
            shutil.rmtree(self.root / _STAGING, ignore_errors=True)
            for leftover in self.gens.glob(".*"):
                shutil.rmtree(leftover, ignore_errors=True)
            self._prune()
        except OSError as exc:
            raise output_error(exc, "preparing it") from exc

    def commit(self, run_id: str, staged: Iterable[str], removed: Iterable[str], manifest: pa.Table,
               state: pa.Table) -> Path:
        """A new generation: the current one, with the staged parts (part file names) of this run in,
        the parts of `removed` out, the run's manifest and the new state. Returns its folder."""
        stage = self.staging(run_id)
        new = {(dataset, name): stage / dataset / name for name in staged for dataset in PART_DATASETS}
        try:
            folder = self._with_schema_parts(self._build(self.current(), new, set(removed)))
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

    def _build(self, base: Path | None, new: dict[tuple[str, str], Path], removed: set[str]) -> Path:
        """An unfinished generation (a hidden folder) made from `base` and the new parts."""
        folder = self.gens / f".building-{os.getpid()}-{time.monotonic_ns()}"
        try:
            for dataset in DATASETS:
                (folder / dataset).mkdir(parents=True)
                if base is not None and (base / dataset).is_dir():  # a generation older than a dataset lacks it
                    for entry in os.scandir(base / dataset):
                        if entry.name.endswith(".parquet") and entry.name not in removed \
                                and (dataset, entry.name) not in new:
                            os.link(entry.path, folder / dataset / entry.name)
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
        before the first file lands. A schema part of an older contract is replaced."""
        for dataset, schema in schemas.DATASETS.items():
            part = folder / dataset / SCHEMA_PART
            if not part.exists() or not _same_schema(pq.read_schema(part), schema):
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

    def _prune(self) -> None:
        """Superseded generations go once their successor is older than KEEP_SUPERSEDED_S."""
        current = self.current()
        sealed = sorted((p for p in self.gens.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
        now = time.time()
        for older, newer in itertools.pairwise(sealed):
            if current is not None and older.name == current.name:
                break
            try:
                superseded_for = now - newer.stat().st_mtime
            except OSError:
                continue
            if superseded_for > KEEP_SUPERSEDED_S:
                shutil.rmtree(older, ignore_errors=True)

    def _adopt_flat_layout(self) -> None:
        """OUT written by jixiao before generations held the datasets as plain folders and the
        state at OUT/.jixiao/state.parquet: they become the first generation."""
        flat = [d for d in DATASETS if (self.out / d).is_dir() and not (self.out / d).is_symlink()]
        if not flat:
            return
        if self.current() is None:
            folder = self.gens / f".adopting-{os.getpid()}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            for dataset in DATASETS:
                if dataset in flat:
                    shutil.copytree(self.out / dataset, folder / dataset, copy_function=os.link)
                else:
                    (folder / dataset).mkdir()
            if (self.root / STATE_FILE).exists():
                os.link(self.root / STATE_FILE, folder / STATE_FILE)
            self._switch(self._with_schema_parts(folder))
        for dataset in flat:
            shutil.rmtree(self.out / dataset)
        (self.root / STATE_FILE).unlink(missing_ok=True)

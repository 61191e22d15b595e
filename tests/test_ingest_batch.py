"""A batch ends each file's parts while the next file is read: outcomes keep the files' order and
rows, a file whose rows cannot be written fails alone, and OUT that cannot be written stops the batch
with nothing of that file left in staging."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from jixiao.pipeline.errors import OutputError
from jixiao.pipeline.ingest import Job, RetryPolicy, ingest_batch
from jixiao.pipeline.writer import PartWriter, part_name


def _jobs(shared: Path, inbox: Path) -> tuple[list[Job], dict[str, tuple[int, int]]]:
    """The seeds copied twice each, with the forms and indicators their gold holds."""
    inbox.mkdir()
    jobs, expected = [], {}
    for copy in range(2):
        for seed in sorted((shared / "seeds").glob("*.txt")):
            gold = json.loads((shared / "gold" / f"{seed.stem}.json").read_text(encoding="utf-8"))["forms"]
            path = shutil.copy(seed, inbox / f"{copy}_{seed.name}")
            st = Path(path).stat()
            jobs.append(Job(str(path), Path(path).name, st.st_size, st.st_mtime_ns))
            expected[Path(path).name] = (len(gold), sum(len(form["indicators"]) for form in gold))
    return jobs, expected


def test_each_file_lands_with_its_own_rows_in_order(shared: Path, tmp_path: Path) -> None:
    jobs, expected = _jobs(shared, tmp_path / "in")
    stage = tmp_path / "stage"
    outcomes = ingest_batch(jobs, str(stage), policy=RetryPolicy(attempts=1))
    assert [o.source_path for o in outcomes] == [job.source_path for job in jobs]
    for outcome in outcomes:
        assert outcome.status == "ok" and outcome.parts_written
        assert (outcome.forms, outcome.indicators) == expected[outcome.source_path]
        name = part_name(outcome.source_path)
        indicators = pd.read_parquet(stage / "indicators" / name)
        projects = pd.read_parquet(stage / "projects" / name)
        cells = pd.read_parquet(stage / "cells" / name)
        assert (len(projects), len(indicators)) == expected[outcome.source_path]
        assert set(projects["source_path"]) == {outcome.source_path}
        assert set(cells["project_id"]) == set(projects["project_id"])
    assert not [p for p in stage.rglob("*") if p.name.startswith(".")]


def test_rows_refused_fail_their_file_alone(shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs, expected = _jobs(shared, tmp_path / "in")
    refused = jobs[1].source_path
    close = PartWriter.close

    def refusing(self: PartWriter) -> PartWriter:
        if self.name == part_name(refused):
            raise pa.ArrowInvalid("a value the schema does not hold")
        return close(self)

    monkeypatch.setattr(PartWriter, "close", refusing)
    stage = tmp_path / "stage"
    outcomes = ingest_batch(jobs, str(stage), policy=RetryPolicy(attempts=1))
    by_path = {o.source_path: o for o in outcomes}
    assert by_path[refused].status == "failed" and not by_path[refused].parts_written
    assert by_path[refused].error.startswith("write/internal: cannot write its rows: ArrowInvalid")
    assert not list(stage.rglob(part_name(refused))) and not [p for p in stage.rglob("*") if p.name.startswith(".")]
    for path, outcome in by_path.items():
        if path != refused:
            assert outcome.status == "ok" and (outcome.forms, outcome.indicators) == expected[path]
            assert len(pd.read_parquet(stage / "indicators" / part_name(path))) == expected[path][1]


def test_out_that_cannot_be_written_stops_the_batch(shared: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    jobs, _ = _jobs(shared, tmp_path / "in")
    close = PartWriter.close

    def full_disk(self: PartWriter) -> PartWriter:
        if self.name == part_name(jobs[2].source_path):
            raise OSError(28, "No space left on device")
        return close(self)

    monkeypatch.setattr(PartWriter, "close", full_disk)
    stage = tmp_path / "stage"
    with pytest.raises(OutputError, match="No space left on device"):
        ingest_batch(jobs, str(stage), policy=RetryPolicy(attempts=1))
    assert not list(stage.rglob(part_name(jobs[2].source_path)))
    assert (stage / "indicators" / part_name(jobs[0].source_path)).exists()

"""Big but legitimate files read form by form: a text dump or a sheet of hundreds of copies of real forms,
read through the real CLI, gives every form exactly as its single copy does (and each value's cell where
that copy prints it: "line N", "sheet NAME!A1" further down), and the reading process
needs no more memory for a file four times bigger (the whole-file reader held ~30 MB per MB of text
and ~6 KB per sheet row)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from bigfiles import measure, sheet_of_forms, text_dump
from conftest import REPO
from test_other_styles import FORM_A, FORM_B, FORM_C, read

import jixiao.normalizers

# What a copy changes: where it was read from and its place in the file.
_PLACE = ["project_id", "table_index", "source_path", "source_sha256", "page_start", "page_end"]
# A cell's locator: where its number is, in a text export or a sheet.
_LOCATOR = r"^(?P<place>line |sheet .+![A-Z]+)(?P<line>\d+)$"
# How much more the reading process may need for the bigger file: allocator noise, not the file.
_GROWTH_MB = 25


def _forms(out: Path, name: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One file's projects (in order), indicators and cells (by form, in order), without what places the
    forms; a cell's locator split into its place and its line or row number."""
    projects = pd.read_parquet(out / "projects")
    projects = projects[projects.source_path == name].sort_values("table_index")
    order = dict(zip(projects.project_id, projects.table_index, strict=True))
    indicators = pd.read_parquet(out / "indicators")
    indicators = indicators[indicators.project_id.isin(order)]
    indicators = indicators.assign(_form=indicators.project_id.map(order)).sort_values(["_form", "seq"])
    cells = pd.read_parquet(out / "cells")
    cells = cells[cells.project_id.isin(order)]
    cells = cells.assign(_form=cells.project_id.map(order)).sort_values("_form", kind="stable")
    located = cells.locator.str.extract(_LOCATOR)
    assert located.notna().all().all(), cells.locator[located.place.isna()].head()
    cells = cells.assign(place=located.place, line=located.line.astype(int)).drop(columns=["project_id", "locator"])
    return (projects.drop(columns=_PLACE).reset_index(drop=True),
            indicators.drop(columns=["project_id", "_form"]).reset_index(drop=True), cells.reset_index(drop=True))


def _repeated(frames: tuple[pd.DataFrame, ...], first: int, copies: int, shift: int) -> tuple[pd.DataFrame, ...]:
    """A file's forms with its first `first` forms (their indicators and cells) repeated `copies` times,
    each copy's cells `shift` lines or rows further down than the one before."""
    projects, indicators, cells = frames
    counts = projects.indicator_count.tolist()
    cut = sum(counts[:first])
    repeated = cells[cells._form < first]
    return (pd.concat([projects[:first]] * copies + [projects[first:]], ignore_index=True),
            pd.concat([indicators[:cut]] * copies + [indicators[cut:]], ignore_index=True),
            pd.concat([repeated.assign(line=repeated.line + k * shift) for k in range(copies)]
                      + [cells[cells._form >= first]], ignore_index=True).drop(columns="_form"))


def _run(folder: Path, out: Path) -> float:
    measured = measure(REPO, ["run", str(folder), "--out", str(out), "--quiet"])
    assert measured.exit == 0, measured.output
    assert measured.reading_mb > 0
    return measured.reading_mb


def _assert_read_as_copies(small: Path, big: Path, single: str, dump: str, copies: int) -> None:
    one = _forms(small, single)
    got = _forms(big, dump)
    # The copies of the first sheet's forms (all forms, for a text export) come first.
    first = (len(got[0]) - len(one[0])) // (copies - 1)
    assert len(got[0]) == first * copies + len(one[0]) - first and first > 0
    cells = got[2]
    shift = cells.line[(one[2]._form < first).sum()] - one[2].line[0]
    assert shift > 0
    got = (*got[:2], cells.drop(columns="_form"))
    for frame, expected in zip(got, _repeated(one, first, copies, shift), strict=True):
        pd.testing.assert_frame_equal(frame, expected)


@pytest.mark.slow
def test_a_text_dump_of_repeated_forms(shared: Path, tmp_path: Path) -> None:
    seed = (shared / "seeds" / "003_a583d9a954743c2a.txt").read_bytes()
    small, big = tmp_path / "small", tmp_path / "big"
    small.mkdir()
    big.mkdir()
    (small / "single.txt").write_bytes(seed)
    text_dump([seed], small / "dump.txt", 2**20)
    copies = text_dump([seed], big / "dump.txt", 4 * 2**20)
    small_mb = _run(small, tmp_path / "out-small")
    big_mb = _run(big, tmp_path / "out-big")
    _assert_read_as_copies(tmp_path / "out-small", tmp_path / "out-big", "single.txt", "dump.txt", copies)
    assert big_mb - small_mb < _GROWTH_MB, (small_mb, big_mb)
    # A reading process that keeps sending forms back is still held to the time limit.
    timed = measure(REPO, ["run", str(big), "--out", str(tmp_path / "out-timed"), "--quiet", "--time-limit", "1"])
    assert timed.exit == 1
    files = pd.read_parquet(tmp_path / "out-timed" / "files")
    assert files.error.tolist() == ["extract/limit: took longer than the time limit of 1 s"]
    assert not (tmp_path / "out-timed" / "projects").exists() or pd.read_parquet(tmp_path / "out-timed" / "projects").empty


@pytest.mark.slow
def test_a_sheet_of_repeated_forms(shared: Path, tmp_path: Path) -> None:
    workbook = shared / "corpus" / "xlsx" / "a_xlsx_01.xlsx"
    small, big = tmp_path / "small", tmp_path / "big"
    small.mkdir()
    big.mkdir()
    sheet_of_forms(workbook, small / "single.xlsx", 1)
    sheet_of_forms(workbook, small / "sheet.xlsx", 3000)
    copies = sheet_of_forms(workbook, big / "sheet.xlsx", 12000)
    small_mb = _run(small, tmp_path / "out-small")
    big_mb = _run(big, tmp_path / "out-big")
    _assert_read_as_copies(tmp_path / "out-small", tmp_path / "out-big", "single.xlsx", "sheet.xlsx", copies)
    assert big_mb - small_mb < _GROWTH_MB, (small_mb, big_mb)


def test_forms_waiting_for_a_later_total_or_year_wait_on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forms without a total or a year wait until the file shows whether a later line gives them one;
    beyond a few, on disk. A total printed after the last form goes to the nearest form whose sums agree,
    and the one year line of the file holds for every titled form without its own."""
    forms = [FORM_A] + [FORM_C[:-1]] * 12 + [FORM_B + ["总分\t\t\t\t\t\t90\t88\t", "总分\t100\t89"]]
    held = [dataclasses.asdict(form) for form in read(*forms)]
    monkeypatch.setattr(jixiao.normalizers, "HELD_FORMS", 2)
    spilled = [dataclasses.asdict(form) for form in read(*forms)]
    assert spilled == held
    totals = [(f["project"]["total_weight"], f["project"]["total_score"]) for f in spilled]
    assert totals == [(100.0, 97.0)] + [(None, None)] * 11 + [(100.0, 89.0), (90.0, 88.0)]
    assert {f["project"]["year"] for f in spilled} == {2023}

"""`jixiao review`: the report over OUT's files, written file by file (in worker processes when asked), then
its index, sortable and filterable in plain JavaScript; every script, style and image lies beside it."""
from __future__ import annotations

import datetime as dt
import fnmatch
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from multiprocessing import get_context
from pathlib import Path

from jixiao.extractors import ExtractOptions
from jixiao.pipeline.state import SourceState
from jixiao.pipeline.writer import part_name
from jixiao.review.load import file_states, generation, read_forms
from jixiao.review.page import FileReview, document, review_file
from jixiao.review.sources import CHANGED, MISSING

MARKER = ".jixiao-review"
ASSETS = ("review.css", "review.js")


class NotAReviewFolder(Exception):
    """--html names a folder that holds something other than a review."""


@dataclass(slots=True)
class ReviewSummary:
    index: Path
    files: int = 0
    pages: int = 0
    attention: int = 0
    reviews: list[FileReview] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Job:
    state: SourceState
    key: str
    generation: Path
    html: Path
    roots: tuple[Path, ...]
    flagged: bool
    min_confidence: float
    options: ExtractOptions


def _review_one(job: _Job) -> FileReview | None:
    held = read_forms(job.generation, job.state.source_path).forms
    folder = job.html / "files" / job.key
    folder.mkdir(parents=True, exist_ok=True)
    review = review_file(held, job.state, job.key, folder, list(job.roots), job.min_confidence, job.options)
    if job.flagged and not review.attention:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return review


def _prepare(html: Path) -> None:
    """An empty report folder: a new one, or one that a review wrote before (and only that)."""
    if html.exists() and not html.is_dir():
        raise NotADirectoryError(f"{html} is not a folder")
    if html.is_dir() and any(html.iterdir()) and not (html / MARKER).exists():
        raise NotAReviewFolder(f"{html} holds files that no review wrote; give an empty or new folder")
    for name in ("files", "assets"):
        shutil.rmtree(html / name, ignore_errors=True)
    (html / "index.html").unlink(missing_ok=True)
    (html / "assets").mkdir(parents=True)
    (html / MARKER).write_text("written by jixiao review; the whole folder is rewritten by the next one\n")
    static = resources.files("jixiao.review") / "static"
    for name in ASSETS:
        (html / "assets" / name).write_bytes((static / name).read_bytes())


def write_review(out: Path, html: Path, *, sources: list[Path] | None = None, flagged: bool = False,
                 files: str | None = None, only: set[str] | None = None, workers: int = 1,
                 min_confidence: float | None = None, on_start: Callable[[int], None] | None = None,
                 on_file: Callable[[str], None] | None = None) -> ReviewSummary:
    """The report of OUT's files (those `only` names, those matching the glob `files`; with `flagged`
    only those with flags, low-confidence values or a failure) into the folder `html`."""
    folder = generation(out)
    states = file_states(folder)
    options = ExtractOptions.from_env()
    threshold = options.ocr_min_confidence if min_confidence is None else min_confidence
    chosen = [states[key] for key in sorted(states) if (only is None or key in only)
              and (files is None or fnmatch.fnmatchcase(key, files))]
    _prepare(html)
    jobs = [_Job(state, part_name(state.source_path).removesuffix(".parquet"), folder, html,
                 tuple(sources or ()), flagged, threshold, options) for state in chosen]
    if on_start:
        on_start(len(jobs))
    reviews: list[FileReview] = []

    def done(job: _Job, review: FileReview | None) -> None:
        if review is not None:
            reviews.append(review)
        if on_file:
            on_file(job.state.source_path)

    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            done(job, _review_one(job))
    else:
        # Spawned: a forked child would inherit the caller's threads (a progress bar, Prefect's).
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for job, review in zip(jobs, pool.map(_review_one, jobs, chunksize=4), strict=True):
                done(job, review)
    summary = ReviewSummary(html / "index.html", len(reviews), sum(r.pages for r in reviews),
                            sum(r.attention for r in reviews), reviews)
    summary.index.write_text(_index(out, reviews, threshold), encoding="utf-8")
    return summary


def _order(review: FileReview) -> tuple[int, str]:
    """Failures first, then files with flags or low confidence, then the rest; by path within each."""
    rank = 0 if review.status == "failed" else 1 if review.attention else 2
    return rank, review.source_path


def _index(out: Path, reviews: list[FileReview], threshold: float) -> str:
    rows = []
    for r in sorted(reviews, key=_order):
        flags = ", ".join(f"{flag} ×{n}" for flag, n in sorted(r.flags.items()))
        total = sum(r.flags.values())
        confidence = "" if r.confidence is None else f"{r.confidence:.2f}"
        source = {CHANGED: "changed since read", MISSING: "missing"}.get(r.source, r.source or "—")
        rows.append(
            f'<tr data-status="{escape(r.status)}" data-attention="{int(r.attention)}">'
            f'<td><a href="files/{r.key}/index.html">{escape(r.source_path)}</a></td>'
            f"<td>{escape(r.source_format or '—')}</td><td class=\"status {escape(r.status)}\">{escape(r.status)}</td>"
            f'<td data-value="{r.forms}">{r.forms}</td><td data-value="{total}">{total}</td>'
            f"<td>{escape(flags)}</td><td data-value=\"{r.low}\">{r.low}</td>"
            f'<td data-value="{confidence or -1}">{confidence or "—"}</td>'
            f'<td class="source {escape(r.source)}">{escape(source)}</td><td class="error">{escape(r.error or "")}</td></tr>')
    statuses = sorted({r.status for r in reviews})
    options = "".join(f'<option value="{escape(s)}">{escape(s)}</option>' for s in statuses)
    heads = [("file", "text"), ("format", "text"), ("status", "text"), ("forms", "num"), ("flags", "num"),
             ("flags by kind", "text"), ("low-confidence values", "num"), ("confidence", "num"),
             ("source", "text"), ("failure", "text")]
    head = "".join(f'<th data-sort="{kind}" tabindex="0">{escape(name)}</th>' for name, kind in heads)
    attention = sum(r.attention for r in reviews)
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"<h1>jixiao review</h1><p class=\"meta\">{escape(str(out))} · {len(reviews)} files, {attention} needing "
        f"attention (a failure, a flag, or a value read below confidence {threshold:g}) · made {made}</p>"
        '<div class="controls"><label>Filter <input id="filter" type="search" '
        'placeholder="file, format, flag, failure…"></label> '
        f'<label>Status <select id="status"><option value="">all</option>{options}</select></label> '
        '<label><input id="attention" type="checkbox"> needing attention only</label> '
        '<span id="count" aria-live="polite"></span></div>'
        f'<table id="files" class="index"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )
    return document("index", body, "", scripts=["review.js"])

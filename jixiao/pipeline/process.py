"""One source file through the whole chain: hash, sniff, extract, normalise.

Pure: it writes nothing, so a run (or a Prefect task) decides where results go.
The file is read as a stream where its format allows (text exports, Excel
workbooks), and given a `sink` each form is handed to it as soon as it is read,
so a file of 100,000 forms needs the memory of a few; without one the forms are
kept and returned. Any failure becomes a `failed` result with a one-line reason;
it never raises, but for what the sink raises.
"""
from __future__ import annotations

import hashlib
import os
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from jixiao.extractors import UNREAD_FORMATS, ExtractError, ExtractOptions, extract_file, sniff_file
from jixiao.extractors.errors import BAD_INPUT, EXTRACT, INTERNAL, LIMIT, NORMALISE, SNIFF, TRANSIENT, UNSUPPORTED
from jixiao.extractors.names import unread_reason
from jixiao.grid import Cell, Grid, GridStream, Table, TableRows
from jixiao.normalizers import normalized_forms
from jixiao.pipeline.names import printable
from jixiao.records import Form
from jixiao.version import reader_version

# Formats the sniffer recognises by signature; its fallback "txt" is only a guess
# until the text extractor has decoded the file.
_SIGNED_FORMATS = {"docx", "doc", "xlsx", "xls", "html", "pdf", "image"}
_CHUNK = 1 << 20


@dataclass(slots=True)
class FileResult:
    source_path: str
    source_sha256: str | None
    source_format: str | None
    status: str
    error: str | None
    seconds: float
    # The forms read, when no sink was given them.
    forms: list[Form] = field(default_factory=list)
    unmapped_headers: list[str] = field(default_factory=list)
    traceback: str | None = None
    # A failure that may pass on its own (an OCR worker killed): worth another try.
    retryable: bool = False
    reader_version: str | None = None  # the reading that read it (version.reader_version)
    form_count: int = 0
    indicator_count: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    form_keys: set[str] = field(default_factory=set)  # of its forms: the same form printed twice counts once


def one_line(message: str) -> str:
    return " ".join(printable(message).split())[:500]


def failure_line(stage: str, category: str, message: str) -> str:
    """The manifest's `error`: where it failed, what kind of failure, and one human line,
    e.g. "extract/bad_input: damaged PDF, cannot be opened: ..."."""
    return one_line(f"{stage}/{category}: {message}")


def project_id(source_path: str, source_sha256: str, table_index: int) -> str:
    return hashlib.sha256(f"{source_path}:{source_sha256}:{table_index}".encode()).hexdigest()[:16]


class _ReadFailed(Exception):
    """An extractor failed while its rows were being walked; the cause is what it raised."""


def _watched(grid: Grid | GridStream) -> Grid | GridStream:
    """A stream whose extractor's failures, raised while the normaliser walks it, are told apart from
    the normaliser's own."""
    if isinstance(grid, Grid):
        return grid

    def rows(table: Table | TableRows) -> Iterator[list[Cell]]:
        walk = iter(table.rows())
        while True:
            try:
                row = next(walk)
            except StopIteration:
                return
            except Exception as exc:
                raise _ReadFailed from exc
            yield row

    def tables() -> Iterator[TableRows]:
        walk = iter(grid.tables)
        while True:
            try:
                table = next(walk)
            except StopIteration:
                return
            except Exception as exc:
                raise _ReadFailed from exc
            yield TableRows(rows(table), table.loose, table.origin)

    return GridStream(grid.source_format, grid.extractor, tables(), grid.min_confidence)


def _hash(handle: BinaryIO, max_bytes: int) -> tuple[str, int]:
    """The file's sha256 and size, read a chunk at a time; stops past `max_bytes`."""
    digest, size = hashlib.sha256(), 0
    while size <= max_bytes and (chunk := handle.read(_CHUNK)):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def process_file(path: Path, source_path: str, options: ExtractOptions | None = None,
                 sink: Callable[[Form], None] | None = None) -> FileResult:
    """Read one file; with `sink`, each form is given to it as it is read instead of kept."""
    started = time.perf_counter()
    options = options or ExtractOptions.from_env()
    max_bytes = int(options.limits.max_file_mb * 1024 * 1024)
    too_big = f"larger than the file size limit of {options.limits.max_file_mb:g} MB"

    def failed(category: str, message: str) -> FileResult:
        return _failed(source_path, started, options, SNIFF, category, message)

    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return failed(TRANSIENT, "the file vanished before it could be read")
    except OSError as exc:
        return failed(TRANSIENT, f"cannot read file: {exc.strerror or exc}")
    with handle:
        try:
            # The size first: a file over the cap is never read.
            if os.fstat(handle.fileno()).st_size > max_bytes:
                return failed(LIMIT, too_big)
            sha, size = _hash(handle, max_bytes)
            if size > max_bytes:
                return failed(LIMIT, too_big)
            fmt = sniff_file(handle)
        except OSError as exc:
            return failed(TRANSIENT, f"cannot read file: {exc.strerror or exc}")
        return _read(handle, source_path, sha, size, fmt, options, sink, started)


def _failed(source_path: str, started: float, options: ExtractOptions, stage: str, category: str, message: str,
            sha: str | None = None, fmt: str | None = None, tb: str | None = None) -> FileResult:
    return FileResult(source_path, sha, fmt, "failed", failure_line(stage, category, message),
                      time.perf_counter() - started, traceback=tb and printable(tb),
                      retryable=category == TRANSIENT, reader_version=reader_version(fmt, options.ocr_engine))


def _read(handle: BinaryIO, source_path: str, sha: str, size: int, fmt: str, options: ExtractOptions,
          sink: Callable[[Form], None] | None, started: float) -> FileResult:
    manifest_fmt = fmt if fmt in _SIGNED_FORMATS else None

    def failed(stage_name: str, category: str, message: str, source_format: str | None = manifest_fmt,
               tb: str | None = None) -> FileResult:
        return _failed(source_path, started, options, stage_name, category, message, sha, source_format, tb)

    def extract_failed(exc: BaseException) -> FileResult:
        if isinstance(exc, ExtractError):
            # A file that is not what its name says, or of no format jixiao reads, is told so.
            message = str(exc)
            if exc.category in (BAD_INPUT, UNSUPPORTED):
                message = unread_reason(source_path, fmt, message)
            return failed(EXTRACT, exc.category, message)
        if isinstance(exc, MemoryError):
            return failed(EXTRACT, LIMIT, "ran out of memory reading it")
        if isinstance(exc, RecursionError):
            # Deeply nested or self-referencing structures (a PDF's object graph, nested tables).
            return failed(EXTRACT, LIMIT, "nested too deeply to read")
        return failed(EXTRACT, INTERNAL, f"{fmt} extractor crashed: {type(exc).__name__}: {exc}",
                      tb="".join(traceback.format_exception(exc)))

    if fmt in UNREAD_FORMATS:
        category, message = UNREAD_FORMATS[fmt]
        return failed(SNIFF, category, unread_reason(source_path, fmt, message))
    try:
        grid = extract_file(fmt, handle, options)
    except Exception as exc:  # noqa: BLE001 - an extractor bug must not end the run
        return extract_failed(exc)
    version = reader_version(grid.source_format, options.ocr_engine, grid.extractor)
    result = FileResult(source_path, sha, grid.source_format, "ok", None, 0.0, reader_version=version)
    unmapped: list[str] = []
    forms = normalized_forms(_watched(grid), unmapped)
    try:
        while True:
            try:
                form = next(forms)
            except StopIteration:
                break
            except _ReadFailed as exc:
                assert exc.__cause__ is not None
                return extract_failed(exc.__cause__)
            except Exception as exc:  # noqa: BLE001 - a normaliser bug must not end the run
                return failed(NORMALISE, INTERNAL, f"normaliser crashed: {type(exc).__name__}: {exc}",
                              grid.source_format, traceback.format_exc())
            _identify(form, source_path, sha, grid.source_format, version)
            _count(result, form)
            if sink is None:
                result.forms.append(form)
            else:
                sink(form)
    finally:
        forms.close()
    # The same header missing from every form of a big file is one string, counted.
    result.unmapped_headers = list(Counter(unmapped).elements())
    if not result.form_count:
        result.status, result.error = "no_forms", "empty file" if not size else "no 项目支出绩效自评表 found"
    result.seconds = time.perf_counter() - started
    return result


def _identify(form: Form, source_path: str, sha: str, source_format: str, version: str) -> None:
    p = form.project
    p.project_id = project_id(source_path, sha, p.table_index)
    p.source_path, p.source_sha256, p.source_format = source_path, sha, source_format
    p.reader_version = version
    for indicator in form.indicators:
        indicator.project_id = p.project_id
    for cell in form.cells:
        cell.project_id = p.project_id


def _count(result: FileResult, form: Form) -> None:
    result.form_count += 1
    result.form_keys.add(form.project.form_key)
    result.indicator_count += len(form.indicators)
    result.flags.update(form.project.issues)
    for indicator in form.indicators:
        result.flags.update(indicator.issues)

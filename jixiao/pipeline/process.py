"""One source file through the whole chain: read, hash, sniff, extract, normalise.

Pure: it writes nothing, so a run (or a Prefect task) decides where results go.
Any failure becomes a `failed` result with a one-line reason; it never raises.
"""
from __future__ import annotations

import hashlib
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.extractors import UNREAD_FORMATS, ExtractError, ExtractOptions, extract, sniff_format
from jixiao.extractors.errors import BAD_INPUT, EXTRACT, INTERNAL, LIMIT, NORMALISE, SNIFF, TRANSIENT, UNSUPPORTED
from jixiao.extractors.names import unread_reason
from jixiao.normalizers import normalize
from jixiao.pipeline.names import printable
from jixiao.records import Form
from jixiao.version import reader_version

SNIFF_BYTES = 8192
# Formats the sniffer recognises by signature; its fallback "txt" is only a guess
# until the text extractor has decoded the file.
_SIGNED_FORMATS = {"docx", "doc", "xlsx", "xls", "html", "pdf", "image"}


@dataclass(slots=True)
class FileResult:
    source_path: str
    source_sha256: str | None
    source_format: str | None
    status: str
    error: str | None
    seconds: float
    forms: list[Form] = field(default_factory=list)
    unmapped_headers: list[str] = field(default_factory=list)
    traceback: str | None = None
    # A failure that may pass on its own (an OCR worker killed): worth another try.
    retryable: bool = False
    reader_version: str | None = None  # the reading that read it (version.reader_version)


def one_line(message: str) -> str:
    return " ".join(printable(message).split())[:500]


def failure_line(stage: str, category: str, message: str) -> str:
    """The manifest's `error`: where it failed, what kind of failure, and one human line,
    e.g. "extract/bad_input: damaged PDF, cannot be opened: ..."."""
    return one_line(f"{stage}/{category}: {message}")


def project_id(source_path: str, source_sha256: str, table_index: int) -> str:
    return hashlib.sha256(f"{source_path}:{source_sha256}:{table_index}".encode()).hexdigest()[:16]


def process_file(path: Path, source_path: str, options: ExtractOptions | None = None) -> FileResult:
    started = time.perf_counter()
    options = options or ExtractOptions.from_env()

    def failed(stage: str, category: str, message: str, sha: str | None = None, fmt: str | None = None,
               tb: str | None = None) -> FileResult:
        return FileResult(source_path, sha, fmt, "failed", failure_line(stage, category, message),
                          time.perf_counter() - started, traceback=tb and printable(tb),
                          retryable=category == TRANSIENT, reader_version=reader_version(fmt, options.ocr_engine))

    max_bytes = options.limits.max_file_mb * 1024 * 1024
    try:
        with path.open("rb") as handle:
            # The size first: a file over the cap is never read into memory.
            if os.fstat(handle.fileno()).st_size > max_bytes:
                return failed(SNIFF, LIMIT, f"larger than the file size limit of {options.limits.max_file_mb:g} MB")
            data = handle.read()
    except FileNotFoundError:
        return failed(SNIFF, TRANSIENT, "the file vanished before it could be read")
    except OSError as exc:
        return failed(SNIFF, TRANSIENT, f"cannot read file: {exc.strerror or exc}")
    if len(data) > max_bytes:
        return failed(SNIFF, LIMIT, f"larger than the file size limit of {options.limits.max_file_mb:g} MB")
    sha = hashlib.sha256(data).hexdigest()
    fmt = sniff_format(data[:SNIFF_BYTES], data)
    manifest_fmt = fmt if fmt in _SIGNED_FORMATS else None
    if fmt in UNREAD_FORMATS:
        category, message = UNREAD_FORMATS[fmt]
        return failed(SNIFF, category, unread_reason(source_path, fmt, message), sha, manifest_fmt)
    try:
        grid = extract(fmt, data, options)
    except ExtractError as exc:
        # A file that is not what its name says, or of no format jixiao reads, is told so.
        message = unread_reason(source_path, fmt, str(exc)) if exc.category in (BAD_INPUT, UNSUPPORTED) else str(exc)
        return failed(EXTRACT, exc.category, message, sha, manifest_fmt)
    except MemoryError:
        return failed(EXTRACT, LIMIT, "ran out of memory reading it", sha, manifest_fmt)
    except RecursionError:
        # Deeply nested or self-referencing structures (a PDF's object graph, nested tables).
        return failed(EXTRACT, LIMIT, "nested too deeply to read", sha, manifest_fmt)
    except Exception as exc:  # noqa: BLE001 - an extractor bug must not end the run
        return failed(EXTRACT, INTERNAL, f"{fmt} extractor crashed: {type(exc).__name__}: {exc}", sha, manifest_fmt,
                      traceback.format_exc())
    try:
        normalized = normalize(grid)
    except Exception as exc:  # noqa: BLE001 - a normaliser bug must not end the run
        return failed(NORMALISE, INTERNAL, f"normaliser crashed: {type(exc).__name__}: {exc}", sha,
                      grid.source_format, traceback.format_exc())
    version = reader_version(grid.source_format, options.ocr_engine)
    for form in normalized.forms:
        p = form.project
        p.project_id = project_id(source_path, sha, p.table_index)
        p.source_path, p.source_sha256, p.source_format = source_path, sha, grid.source_format
        p.reader_version = version
        for row in (*form.indicators, *form.cells):
            row.project_id = p.project_id
    if normalized.forms:
        status, error = "ok", None
    else:
        status, error = "no_forms", "empty file" if not data else "no 项目支出绩效自评表 found"
    return FileResult(source_path, sha, grid.source_format, status, error, time.perf_counter() - started,
                      normalized.forms, normalized.unmapped_headers, reader_version=version)

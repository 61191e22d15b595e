"""A file jixiao cannot read is told what it is not: a name that promises a format the content does not
have is named in the reason, and content of no format jixiao reads says so, not just "not text".
The format itself is still decided by the content alone."""
from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest
from conftest import SAMPLES

from jixiao.extractors import sniff_format
from jixiao.pipeline.process import process_file

DOCX = (SAMPLES / "a_docx_05.docx").read_bytes()
# Bytes of no format: no signature, and not text in any encoding jixiao tries.
RANDOM = random.Random(16).randbytes(6000)
NOT_TEXT = "(not text: neither UTF-8, UTF-16 nor GB18030)"


def zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def error_of(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    result = process_file(path, name)
    assert result.status == "failed", result
    return result.error


def test_random_bytes_are_not_text() -> None:
    assert sniff_format(RANDOM[:8192], RANDOM) == "txt"  # the sniffer's fallback: no signature found


@pytest.mark.parametrize(("name", "expected"), [
    ("report.pdf", f"extract/unsupported: not a PDF, nor any format jixiao reads {NOT_TEXT}"),
    ("表.xlsx", f"extract/unsupported: not an Excel workbook, nor any format jixiao reads {NOT_TEXT}"),
    ("scan.PNG", f"extract/unsupported: not an image, nor any format jixiao reads {NOT_TEXT}"),
    ("download.bin", f"extract/unsupported: not any format jixiao reads {NOT_TEXT}"),
    ("download", f"extract/unsupported: not any format jixiao reads {NOT_TEXT}"),
    # A text export that is not text: saying so is enough.
    ("export.txt", "extract/unsupported: not text: neither UTF-8, UTF-16 nor GB18030"),
])
def test_content_of_no_format_says_what_the_name_promised(tmp_path: Path, name: str, expected: str) -> None:
    assert error_of(tmp_path, name, RANDOM) == expected


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("report.pdf", zip_of("notes.txt", b"x"), "sniff/unsupported: not a PDF: a zip archive that is not a Word or Excel"),
    ("report.pdf", DOCX[:4000], "sniff/bad_input: not a PDF: a damaged zip container"),
    # Office names keep their promise for any zip container: the reason alone says what is wrong.
    ("表.xlsx", zip_of("notes.txt", b"x"), "sniff/unsupported: a zip archive that is not a Word or Excel"),
    ("form.docx", DOCX[:4000], "sniff/bad_input: a damaged zip container"),
])
def test_a_broken_promise_is_named_before_the_reason(tmp_path: Path, name: str, data: bytes, expected: str) -> None:
    assert error_of(tmp_path, name, data).startswith(expected)


def test_a_damaged_pdf_named_pdf_is_only_damaged(tmp_path: Path, corpus: Path) -> None:
    pdf = (corpus / "pdf" / "a_pdf_01.pdf").read_bytes()
    error = error_of(tmp_path, "a.pdf", pdf[:2000])
    assert error.startswith("extract/bad_input: damaged PDF") and "not a PDF" not in error


def test_the_name_never_decides_the_format(tmp_path: Path) -> None:
    (tmp_path / "form.docx").write_bytes(DOCX)
    (tmp_path / "form.pdf").write_bytes(DOCX)
    as_docx, as_pdf = (process_file(tmp_path / name, name) for name in ("form.docx", "form.pdf"))
    assert as_pdf.status == as_docx.status == "ok" and as_pdf.source_format == "docx"
    assert [f.project.project_name for f in as_pdf.forms] == [f.project.project_name for f in as_docx.forms]
    assert len(as_pdf.forms) >= 1

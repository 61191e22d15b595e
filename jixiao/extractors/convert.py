"""Legacy office formats converted by LibreOffice (headless) into the format we read.

Each conversion runs in a fresh temporary folder with its own LibreOffice profile,
so parallel conversions never share a profile lock, under a time limit after which
the whole LibreOffice process group is killed.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from jixiao.extractors.errors import ExtractError

DEFAULT_TIMEOUT_S = 120.0


def soffice_path() -> str | None:
    """`JIXIAO_SOFFICE`, else soffice or libreoffice on PATH."""
    configured = os.environ.get("JIXIAO_SOFFICE")
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def _timeout() -> float:
    try:
        return float(os.environ.get("JIXIAO_CONVERT_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def convert(data: bytes, source_suffix: str, target: str) -> bytes:
    """`data` (a file ending in `source_suffix`) converted to `target` ("docx", "xlsx")."""
    soffice = soffice_path()
    if soffice is None:
        raise ExtractError(f"reading {source_suffix} files needs LibreOffice (soffice), which is not installed",
                           "unsupported")
    with tempfile.TemporaryDirectory(prefix="jixiao-convert-") as work:
        folder = Path(work)
        source = folder / f"input{source_suffix}"
        source.write_bytes(data)
        command = [soffice, "--headless", "--norestore", "--nolockcheck", "--nologo",
                   f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                   "--convert-to", target, "--outdir", str(folder / "out"), str(source)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   start_new_session=True)
        try:
            _, stderr = process.communicate(timeout=_timeout())
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ExtractError(f"LibreOffice did not convert the {source_suffix} file within {_timeout():g} s",
                               "limit") from None
        converted = folder / "out" / f"input.{target}"
        if not converted.is_file():
            detail = " ".join(stderr.decode("utf-8", "replace").split())[:200]
            raise ExtractError(f"LibreOffice could not convert the {source_suffix} file{': ' + detail if detail else ''}")
        return converted.read_bytes()

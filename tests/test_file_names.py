"""Any file name reads, through the real command line under the locale a cron job has (`LC_ALL=POSIX
PYTHONUTF8=0`): bytes that are not UTF-8, CJK, a newline or a backslash in a name are read and named
in an escaped, reversible form (names.py), the same under every locale; a path longer than PATH_MAX
is a failed row."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from opskit import SEEDS, cli, rows_by_file

from jixiao.pipeline.names import original_bytes, shown

POSIX = {"LC_ALL": "POSIX", "PYTHONUTF8": "0", "LANG": "", "PYTHONIOENCODING": ""}
NAMES = [b"bad\xff\xfename.txt", "绩效/评价表.txt".encode(), b"new\nline.txt", b"back\\slash.txt", b"tab\tand\x7f.txt"]


def _deep(root: Path, seed: Path) -> tuple[str, str]:
    """A file whose path passes PATH_MAX, and a folder whose path does (a file in it); their source_paths."""
    here = os.getcwd()
    os.chdir(root)
    try:
        parts = ["deep"]
        os.mkdir("deep")
        os.chdir("deep")
        while len(os.getcwd()) < 3900:
            parts.append("x" * 200)
            os.mkdir(parts[-1])
            os.chdir(parts[-1])
        long_file = "y" * 250 + ".txt"
        shutil.copy(seed, long_file)
        os.mkdir("z" * 250)
        shutil.copy(seed, os.path.join("z" * 250, "inner.txt"))
    finally:
        os.chdir(here)
    prefix = "/".join(parts)
    return f"{prefix}/{long_file}", f"{prefix}/{'z' * 250}/"


def test_any_name_reads_and_is_named_reversibly_under_any_locale(shared: Path, tmp_path: Path) -> None:
    inbox, out = tmp_path / "in", tmp_path / "out"
    seed = shared / "seeds" / SEEDS[1]
    for raw in NAMES:
        path = os.path.join(os.fsencode(inbox), raw)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(seed, path)
    long_file, long_folder = _deep(inbox, seed)

    result = cli("run", inbox, "--out", out, env=POSIX)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    files = pd.read_parquet(out / "files").set_index("source_path")
    escaped = {shown(raw): raw for raw in NAMES}
    assert set(escaped) == {"bad\\xff\\xfename.txt", "绩效/评价表.txt", "new\\x0aline.txt", "back\\\\slash.txt",
                            "tab\\x09and\\x7f.txt"}
    for source_path, raw in escaped.items():
        assert files.loc[source_path, "status"] == "ok", source_path
        assert original_bytes(source_path) == raw  # reversible
    assert files.loc[long_file, "error"] == "sniff/unsupported: its path is longer than the system allows (PATH_MAX)"
    assert files.loc[long_folder, "error"].startswith("sniff/unsupported: its path is longer than the system allows")
    assert set(rows_by_file(out)) == set(escaped)
    # Printed as UTF-8 whatever the locale, one line per file, in the same escaped form.
    assert "failed: " + long_file in result.stdout and "\nline" not in result.stdout
    status = cli("status", "--out", out, "--status", "ok", env=POSIX)
    assert all(f"  {name}\n" in status.stdout for name in escaped), status.stdout

    utf8 = cli("run", inbox, "--out", out, env={"LC_ALL": "C.UTF-8"})  # the same keys under another locale
    assert "unchanged: 5 files, 20 forms kept" in utf8.stdout
    os.unlink(os.path.join(os.fsencode(inbox), NAMES[0]))
    removed = cli("run", inbox, "--out", out, env=POSIX)
    assert "removed: bad\\xff\\xfename.txt" in removed.stdout
    assert set(rows_by_file(out)) == set(escaped) - {"bad\\xff\\xfename.txt"}


@pytest.mark.parametrize("raw", NAMES)
def test_the_escaped_form_gives_the_name_back(raw: bytes) -> None:
    assert original_bytes(shown(raw)) == raw
    assert original_bytes(shown(os.fsdecode(raw))) == raw
    assert "\n" not in shown(raw) and shown(raw).encode("utf-8")

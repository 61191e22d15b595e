"""Prefect's environment, set before Prefect is imported: nothing leaves the machine, and a home it can write.

Prefect reads these settings once, at import; values the user already set win.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

# Telemetry and promotional/upgrade content off: with both analytics settings only
# loopback connections are made (DO_NOT_TRACK alone is not enough).
QUIET = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
    # The temporary local server's default 20 s start-up limit fails on a loaded machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def _writable(folder: Path) -> bool:
    """Whether Prefect could create and write `folder` (its home, with its SQLite database)."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


def configure_prefect_env(environ: MutableMapping[str, str] = os.environ) -> None:
    for name, value in QUIET.items():
        environ.setdefault(name, value)
    if "PREFECT_HOME" in environ:
        return
    home = Path(environ.get("HOME") or "/nonexistent") / ".prefect"
    if not _writable(home):
        # A read-only HOME otherwise fails at the first flow with
        # `sqlite3.OperationalError: unable to open database file`.
        environ["PREFECT_HOME"] = str(Path(tempfile.gettempdir()) / f"jixiao-prefect-{os.getuid()}")

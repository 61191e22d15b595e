"""The temporary Prefect server of a `--prefect` run without PREFECT_API_URL, owned by that run.

Prefect would start one itself, but as a plain child process: a run killed with SIGKILL leaves it
running (about 260 MB), and a server that cannot start (a full TMPDIR, where SQLite puts its
temporary files) is taken for a busy port and restarted until the start-up timeout, each time
printing its tracebacks. This is the same application (Prefect's `create_app` under uvicorn, as
Prefect runs it) in a child that gets SIGKILL when the run dies, and a server that cannot start is
one line, at once.
"""
from __future__ import annotations

import atexit
import collections
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

PARENT_ENV = "JIXIAO_PREFECT_SERVER_PARENT"
# Space the server needs at start-up (its SQLite database and SQLite's temporary files),
# checked before waiting seconds for it: a full folder is then told at once.
PROBE_BYTES = 1 << 20
_PORT_TAKEN = "address already in use"
# The last line of a traceback: "sqlite3.OperationalError: database or disk is full".
_ERROR_LINE = re.compile(r"^[\w.]*(Error|Exception|Exit)\b.*$")


class ServerUnavailable(Exception):
    """The temporary Prefect server cannot start: the run cannot be orchestrated."""


def create_app() -> FastAPI:
    """uvicorn's factory in the server process: die with the run, then serve Prefect's API."""
    from jixiao.pipeline.sandbox import die_with_parent

    die_with_parent(int(os.environ[PARENT_ENV]))
    from prefect.server.api.server import create_app as prefect_app

    return prefect_app()


def _probe(folder: Path, name: str) -> None:
    """The folder can take PROBE_BYTES now."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(bytes(PROBE_BYTES))
            probe.flush()
    except OSError as exc:
        raise ServerUnavailable(
            f"the temporary Prefect server cannot start: {name} {folder} cannot be written "
            f"({exc.strerror or exc}); free space there, set {name} to another folder, or set "
            "PREFECT_API_URL to a running Prefect server") from None


def _sqlite_tmpdir() -> tuple[str, Path]:
    """Where SQLite puts its temporary files: the first of these that is a folder it may write."""
    for name in ("SQLITE_TMPDIR", "TMPDIR"):
        folder = os.environ.get(name)
        if folder and os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
            return name, Path(folder)
    return "TMPDIR", Path(tempfile.gettempdir())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class _Output:
    """The server's output: kept while it starts (for the one-line reason), then passed on to stderr."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=400)
        self.started = False
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            if self.started:
                sys.stderr.write(line)
            else:
                self.lines.append(line.rstrip())

    def reason(self, returncode: int) -> str:
        self._thread.join(timeout=5)  # the process has exited: read to the end
        errors = [line.strip() for line in self.lines if _ERROR_LINE.match(line.strip())]
        others = [line.strip() for line in self.lines if line.strip()]
        return (errors or others or [f"exit code {returncode}"])[-1]


class TemporaryServer:
    """Prefect's API in a child process that gets SIGKILL when the thread that started it ends (Linux's
    PR_SET_PDEATHSIG follows the thread): start it from the main thread."""

    def __init__(self, home: Path, timeout_s: float) -> None:
        self.home, self.timeout_s = home, timeout_s
        self.process: subprocess.Popen[str] | None = None

    def _spawn(self, port: int) -> tuple[subprocess.Popen[str], _Output]:
        env = {**os.environ, PARENT_ENV: str(os.getpid()),
               # As Prefect starts its own temporary server: no UI, no background services.
               "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", f"{__name__}:create_app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "error", "--lifespan", "on"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            errors="replace")
        assert process.stdout is not None
        return process, _Output(process.stdout)

    def start(self) -> str:
        name, tmpdir = _sqlite_tmpdir()
        _probe(tmpdir, name)
        _probe(self.home, "PREFECT_HOME")
        deadline = time.monotonic() + self.timeout_s
        while True:
            port = _free_port()
            url = f"http://127.0.0.1:{port}/api"
            self.process, output = self._spawn(port)
            while self.process.poll() is None:
                if _healthy(url):
                    output.started = True
                    for line in output.lines:
                        print(line, file=sys.stderr)
                    return url
                if time.monotonic() > deadline:
                    self.stop()
                    raise ServerUnavailable(f"the temporary Prefect server did not answer within "
                                            f"{self.timeout_s:g} s (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)")
                time.sleep(0.1)
            reason = output.reason(self.process.returncode)
            self.process = None
            # Another process took the port between our probe and the server's bind: another port.
            if _PORT_TAKEN not in reason.lower() or time.monotonic() > deadline:
                raise ServerUnavailable(f"the temporary Prefect server did not start: {reason} (PREFECT_HOME "
                                        f"{self.home}, {name} {tmpdir})")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def use_temporary_server(home: Path, timeout_s: float) -> str:
    """Start a temporary server and point Prefect (this process and its threads) at it.

    Like Prefect's own, it then serves every flow of this process (PREFECT_API_URL is set) and stops
    at exit; it dies with the process however that ends."""
    import prefect.context

    server = TemporaryServer(home, timeout_s)
    url = server.start()
    atexit.register(_stop, server)
    os.environ["PREFECT_API_URL"] = url
    prefect.context.refresh_global_settings_context()
    return url


def _stop(server: TemporaryServer) -> None:
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    # Logs and events still queued reach the server before it stops.
    APILogWorker.drain_all(timeout=10)
    EventsWorker.drain_all(timeout=10)
    server.stop()

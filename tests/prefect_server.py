"""A real `prefect server start` on a free loopback port, and processes that end with the test that started them.

Every process is started in a session of its own and its whole process group is killed at the end,
also when the test fails, so no server, `jixiao serve` or worker outlives the tests.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# As jixiao.flows.env sets them, for processes that import Prefect before jixiao (server, worker,
# deploy); the UI is not needed here.
QUIET = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
         "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false", "PREFECT_UI_ENABLED": "false",
         "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120", "PREFECT_CLI_PROMPT": "false"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prefect_env(home: Path, api_url: str | None, **extra: str) -> dict[str, str]:
    """This environment without the developer's Prefect settings, importing jixiao from this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(QUIET, PREFECT_HOME=str(home), **extra)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


@contextlib.contextmanager
def process_group(command: Sequence[str], env: dict[str, str], log: Path,
                  cwd: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A process and all it starts, ended (SIGTERM, then SIGKILL) when the block is left."""
    with open(log, "wb") as output:
        process = subprocess.Popen(list(command), env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is left
        process.wait()


def wait_until(what: str, check: Any, timeout_s: float, log: Path | None = None) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log else ""
    raise AssertionError(f"{what}: not within {timeout_s:g} s\n{tail}")


@dataclass(frozen=True)
class PrefectServer:
    url: str
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        return prefect_env(self.home, self.url, **extra)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def started_server(folder: Path) -> Iterator[PrefectServer]:
    port = free_port()
    home, url, log = folder / "home", f"http://127.0.0.1:{port}/api", folder / "server.log"
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with process_group(command, prefect_env(home, None), log) as process:
        wait_until("the Prefect server answers", lambda: process.poll() is None and _healthy(url), 180, log)
        yield PrefectServer(url, home)


@contextlib.contextmanager
def pointed_at(server: PrefectServer) -> Iterator[Any]:
    """jixiao.flows in this process, talking to `server`."""
    saved = {name: os.environ.get(name) for name in ("PREFECT_API_URL", "PREFECT_HOME")}
    os.environ.update(PREFECT_API_URL=server.url, PREFECT_HOME=str(server.home))
    import prefect.context

    import jixiao.flows

    prefect.context.refresh_global_settings_context()
    try:
        yield jixiao.flows
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        prefect.context.refresh_global_settings_context()

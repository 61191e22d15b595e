"""One writer at a time per OUT: an advisory lock file under OUT/.jixiao/.

The kernel holds the lock (flock), so a run that dies, even by kill -9, frees it:
a lock file left behind by a dead process is simply taken over. The file names
the holder (pid, host, start time) so a refused run can say who is writing.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
from pathlib import Path
from types import TracebackType
from typing import Self

from jixiao.pipeline.errors import output_error

STATE_DIR = ".jixiao"


class LockHeld(Exception):
    """Another live run is writing this OUT."""


def lock_path(out: Path) -> Path:
    return out / STATE_DIR / "lock"


def describe_holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {holder['pid']} on {holder['host']}, since {holder['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not yet written its name"


def running(out: Path) -> str | None:
    """Who is writing OUT now, when a run is (without taking or creating the lock)."""
    try:
        fd = os.open(lock_path(out), os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return describe_holder(lock_path(out))
    finally:
        os.close(fd)  # closing it drops a lock taken here
    return None


class OutLock:
    """`with OutLock(out):` holds OUT for this process; raises LockHeld when another run does."""

    def __init__(self, out: Path) -> None:
        self.path = lock_path(out)
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self._acquire()
        except OSError as exc:
            raise output_error(exc, "taking its lock") from exc

    def _acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise LockHeld(f"{self.path.parent.parent} is being written by another jixiao run "
                               f"({describe_holder(self.path)}); wait for it to finish") from None
            # The holder before us may have removed the file between our open and our
            # lock: then we hold a lock on a name nobody sees, so start again.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        holder = {"pid": os.getpid(), "host": socket.gethostname(),
                  "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        self._fd = fd
        try:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(holder).encode())
        except OSError:
            self.release()
            raise

    def release(self) -> None:
        if self._fd is None:
            return
        # Unlink while still holding the lock, so nobody can lock the old file after us.
        self.path.unlink(missing_ok=True)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

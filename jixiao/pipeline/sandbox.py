"""Each file is read in a child process that the run can kill: the per-file time limit and memory ceiling.

One pathological file (a PDF whose parser loops, a scan that needs 20 GB) must
neither hang nor kill the run. The reading process is a separate interpreter
(`python -m jixiao.pipeline.sandbox`, so it works under any parent: a plain
run, a process-pool worker, a daemonic Dask worker), kept for many files and
replaced after a kill. The parent watches the clock and the child's resident
memory while it waits; the child also runs under a data-size limit, so an
allocation too sudden for the parent to see fails inside it as a MemoryError.

The child sends a file's forms back in batches as it reads them, so that neither
process ever holds the forms of a big file; the parent gives them to its `sink`
(which writes them) while the child reads on.
"""
from __future__ import annotations

import atexit
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from jixiao.extractors import ExtractOptions
from jixiao.extractors.errors import EXTRACT, INTERNAL, LIMIT, TRANSIENT
from jixiao.pipeline.process import FileResult, failure_line, process_file
from jixiao.records import Form
from jixiao.version import READER_VERSION

_HEADER = struct.Struct("!Q")
_POLL_S = 0.05
# A wait this much longer than _POLL_S means the run was not running meanwhile (see ReadingClock).
_STOPPED_GAP_S = 1.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The reading process says it is ready (its imports done) before it is given a file; it has this long.
_READY = "ready"
_STARTUP_S = 300.0
# The data limit inside the child, as a multiple of the memory ceiling the parent enforces on its
# resident size: a backstop for allocations faster than the parent's polling.
_DATA_LIMIT_FACTOR = 2
# Forms sent back in one message.
_BATCH = 200


def _send(stream: IO[bytes], obj: object) -> None:
    pickled = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    data = memoryview(_HEADER.pack(len(pickled)) + pickled)
    while data:
        # The run's ends of the pipes are unbuffered (see Reader._start): a write may take part.
        written = stream.write(data)
        data = data[written if written is not None else len(data):]
    stream.flush()


def _read(stream: IO[bytes], size: int) -> bytes:
    parts, left = [], size
    while left and (part := stream.read(left)):
        parts.append(part)
        left -= len(part)
    if left:
        raise EOFError
    return b"".join(parts)


def _recv(stream: IO[bytes]) -> object:
    (size,) = _HEADER.unpack(_read(stream, _HEADER.size))
    return pickle.loads(_read(stream, size))  # our own child process, over our own pipe


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (LibreOffice, when it converts)."""
    total = 0.0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            pids += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    for each in pids:
        try:
            with open(f"/proc/{each}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, IndexError, ValueError):
            continue
    return total


def _cpu_s(pid: int) -> float:
    """CPU seconds of a process and of its children (LibreOffice, when it converts), 0 when gone."""
    total = 0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            pids += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    for each in pids:
        try:
            with open(f"/proc/{each}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _CLOCK_TICKS


def _stopped(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("T", "t")
    except (OSError, IndexError):
        return False


class ReadingClock:
    """The time a file's reading has taken: the reading process's running time, without the time it
    was stopped (SIGSTOP, a frozen cgroup) or the run was (the run stopped, the machine suspended).

    Polled by the run every _POLL_S. While the run polls on time, each interval counts unless the
    reading process is stopped; over a longer gap the run itself was not running, and only the CPU time
    the reading process used meanwhile counts (it may have gone on reading: the run's process and its
    reading process are stopped apart, they are in different sessions). Nor does the time the run
    spends writing the forms the reading process sends: only what that process does meanwhile.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.used = 0.0
        self._last = time.monotonic()
        self._last_cpu = _cpu_s(pid)

    def tick(self, busy: bool = False) -> float:
        """The time used so far. `busy`: since the last tick the run was not waiting on the reading
        process but busy with what it sent (writing its forms): only the CPU time it used meanwhile
        counts, as over a gap."""
        now, cpu = time.monotonic(), _cpu_s(self.pid)
        gap = now - self._last
        if busy or gap > _STOPPED_GAP_S:
            self.used += min(gap, max(0.0, cpu - self._last_cpu))
        elif not _stopped(self.pid):
            self.used += gap
        self._last, self._last_cpu = now, cpu
        return self.used


class Reader:
    """`read(path, source_path, options)` in the child process, within options.limits."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._memory_mb: int | None = None

    def _start(self, memory_mb: int) -> subprocess.Popen[bytes] | None:
        """The reading process, started if need be and ready (its imports done: a file's time limit
        counts its reading, not an interpreter starting on a busy machine); None if it cannot start."""
        if self._child is not None and self._memory_mb == memory_mb and self._child.poll() is None:
            return self._child
        self.close()
        env = dict(os.environ, JIXIAO_SANDBOX_DATA_MB=str(memory_mb * _DATA_LIMIT_FACTOR),
                   JIXIAO_SANDBOX_PARENT=str(os.getpid()))
        # Unbuffered: a reply read must leave nothing of the next one in a buffer `select` cannot see.
        child = subprocess.Popen([sys.executable, "-m", "jixiao.pipeline.sandbox"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, env=env, start_new_session=True, bufsize=0)
        self._child, self._memory_mb = child, memory_mb
        assert child.stdout is not None
        started = time.monotonic()
        while not select.select([child.stdout], [], [], _POLL_S)[0]:
            if child.poll() is not None or time.monotonic() - started > _STARTUP_S:
                self.close()
                return None
        try:
            ready = _recv(child.stdout)
        except (EOFError, pickle.UnpicklingError, OSError):
            ready = None
        if ready != _READY:
            self.close()
            return None
        return child

    def read(self, path: Path, source_path: str, options: ExtractOptions, sink: Callable[[Form], None]) -> FileResult:
        """Each form is given to `sink` (in this process) as the child reads it; what the sink raises
        stops the child and is raised here."""
        limits = options.limits
        started = time.perf_counter()

        def failed(category: str, message: str) -> FileResult:
            return FileResult(source_path, None, None, "failed", failure_line(EXTRACT, category, message),
                              time.perf_counter() - started, retryable=category == TRANSIENT,
                              reader_version=READER_VERSION)

        child = self._start(limits.memory_mb)
        if child is None:
            return failed(TRANSIENT, "the reading process could not be started")
        assert child.stdin is not None and child.stdout is not None
        try:
            _send(child.stdin, (str(path), source_path, options))
        except (BrokenPipeError, OSError):
            self.close()
            return failed(TRANSIENT, "the reading process could not be started")
        clock = ReadingClock(child.pid)
        looked = 0.0
        while True:
            ready, _, _ = select.select([child.stdout], [], [], _POLL_S)
            # Looked at between batches of forms too: a child that keeps sending is still watched.
            if clock.tick() > limits.time_limit_s:
                self.close()
                return failed(LIMIT, f"took longer than the time limit of {limits.time_limit_s:g} s")
            now = time.monotonic()
            if now - looked >= _POLL_S:
                looked = now
                if _rss_mb(child.pid) > limits.memory_mb:
                    self.close()
                    return failed(LIMIT, f"needed more than the memory limit of {limits.memory_mb} MB")
            if not ready:
                continue
            try:
                message = _recv(child.stdout)
            except (EOFError, pickle.UnpicklingError, OSError):
                return self._died(failed)
            assert isinstance(message, tuple)
            kind, payload = message
            if kind == "done":
                assert isinstance(payload, FileResult)
                return payload
            try:
                for form in payload:
                    sink(form)
            except BaseException:
                self.close()  # it is in the middle of the file
                raise
            # The time limit is the reading's: what this process spends writing is not counted.
            clock.tick(busy=True)

    def _died(self, failed: Callable[[str, str], FileResult]) -> FileResult:
        assert self._child is not None
        code = self._child.wait()
        self._child = None
        if code < 0 and signal.Signals(-code) == signal.SIGKILL:
            # Only the kernel's OOM killer (or a person) kills it this way.
            return failed(LIMIT, "the reading process was killed (SIGKILL), most likely out of memory")
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        return failed(TRANSIENT if code < 0 else INTERNAL, f"the reading process died ({how})")

    def close(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        if child.poll() is None:
            # Its whole session: a LibreOffice it started dies with it.
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except OSError:
                child.kill()
        child.wait()
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()


_reader: Reader | None = None


def _own_reader() -> Reader:
    global _reader
    if _reader is None:
        _reader = Reader()
        atexit.register(_reader.close)
    return _reader


def read_isolated(path: Path, source_path: str, options: ExtractOptions, sink: Callable[[Form], None]) -> FileResult:
    """Read one file in this process's reading child, started on first use and kept; its forms are given
    to `sink` as they are read (see `Reader.read`)."""
    return _own_reader().read(path, source_path, options, sink)


def stop_reader() -> None:
    """End this process's reading child now rather than at exit (a bench counting its CPU time)."""
    if _reader is not None:
        _reader.close()


def prestart(options: ExtractOptions) -> None:
    """Start this process's reading child now: its interpreter and imports then overlap with the
    run's own start (preparing OUT, planning) instead of following it."""
    _own_reader()._start(options.limits.memory_mb)


def die_with_parent(parent: int) -> None:
    """Linux: this process gets SIGKILL when its parent dies, even by kill -9, so that no worker of a
    dead run goes on reading (and writing into its staging folder)."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    # The parent may have died while this interpreter was still starting.
    if os.getppid() != parent:
        os._exit(0)


class _FormSender:
    """Sends forms back to the run a batch at a time."""

    def __init__(self, replies: IO[bytes]) -> None:
        self.replies = replies
        self.batch: list[Form] = []

    def add(self, form: Form) -> None:
        self.batch.append(form)
        if len(self.batch) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            _send(self.replies, ("forms", self.batch))
            self.batch = []


def _serve() -> None:
    die_with_parent(int(os.environ.get("JIXIAO_SANDBOX_PARENT", os.getppid())))
    data_mb = int(os.environ.get("JIXIAO_SANDBOX_DATA_MB", "0"))
    if data_mb:
        resource.setrlimit(resource.RLIMIT_DATA, (data_mb * 2**20, data_mb * 2**20))
    requests = sys.stdin.buffer
    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _send(replies, _READY)
    while True:
        try:
            request = _recv(requests)
        except EOFError:
            return
        assert isinstance(request, tuple)
        path, source_path, options = request
        sender = _FormSender(replies)
        try:
            result = process_file(Path(path), source_path, options, sender.add)
            sender.flush()
        except MemoryError:
            result = FileResult(source_path, None, None, "failed",
                                failure_line(EXTRACT, LIMIT, "ran out of memory reading it"), 0.0)
        except BrokenPipeError:
            return  # the run is gone, or stopped reading this file
        try:
            _send(replies, ("done", result))
        except BrokenPipeError:
            return  # the run is gone


if __name__ == "__main__":
    _serve()

"""The one failure that stops a run: OUT itself cannot be written."""
from __future__ import annotations


class OutputError(Exception):
    """OUT cannot be written (a full disk, a read-only or vanished folder): the run stops, and the
    generation committed last stays as it was."""


def output_error(exc: OSError, doing: str) -> OutputError:
    reason = exc.strerror or str(exc)
    return OutputError(f"cannot write OUT while {doing}: {reason}"
                       + (f" ({exc.filename})" if exc.filename else ""))


class Refused(Exception):
    """The run would write or prune where something jixiao did not write lies (a user's folder where
    a dataset goes, an input inside OUT's own folders): nothing is done (exit 2)."""


class Damaged(Exception):
    """OUT's own record of what it holds is damaged and no intact generation is left to recover
    from: nothing is done (exit 4)."""

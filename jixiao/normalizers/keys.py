"""`form_key`: the same form wherever it is printed (SCHEMA.md § projects)."""
from __future__ import annotations

import hashlib
import re
import unicodedata

from jixiao.records import Project

_SPACE = re.compile(r"\s+")


def _part(value: object) -> str:
    return "" if value is None else _SPACE.sub("", unicodedata.normalize("NFKC", str(value)))


def form_key(project: Project) -> str:
    return form_key_of(project.year, project.department, project.project_name)


def form_key_of(year: int | None, department: str | None, project_name: str | None) -> str:
    """The key from the three values (a row read back from a part, when OUT is migrated)."""
    key = "|".join(_part(v) for v in (year, department, project_name))
    return hashlib.sha256(key.encode()).hexdigest()[:16]

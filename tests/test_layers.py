"""Every import arrow inside jixiao points down: records and grid at the bottom, extractors and normalizers
above them (neither knowing the other), the pipeline above those, the review report, the Prefect flows, and the command
line over both ways of running. Read from the source with ast, lazy imports inside functions included."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "jixiao"
# (rank, name, module prefixes), lowest first. Layers of one rank may not import each other.
LAYERS = [
    (0, "base", ("jixiao", "jixiao.version", "jixiao.grid", "jixiao.records")),
    (1, "extractors", ("jixiao.extractors",)),
    (1, "normalizers", ("jixiao.normalizers",)),
    (2, "pipeline", ("jixiao.pipeline",)),
    # The review report reads what the pipeline wrote; a flow can write it at the end of a run.
    (3, "review", ("jixiao.review",)),
    (4, "flows", ("jixiao.flows",)),
    # The CLI chooses between the plain run and the flow, so it sits over both.
    (5, "cli", ("jixiao.pipeline.cli",)),
]


def layer_of(module: str) -> tuple[int, str] | None:
    """The layer whose longest prefix names the module (`jixiao` itself names only the package's __init__)."""
    matches = [(len(prefix), rank, name) for rank, name, prefixes in LAYERS for prefix in prefixes
               if module == prefix or (module.startswith(prefix + ".") and prefix != "jixiao")]
    return max(matches)[1:] if matches else None


def target_layer(name: str) -> tuple[int, str]:
    """`from jixiao import __version__` imports a name, not a module: its package's layer."""
    while layer_of(name) is None and "." in name:
        name = name.rpartition(".")[0]
    found = layer_of(name)
    assert found is not None, name
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every jixiao import in the file, relative ones resolved."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            # `from jixiao.extractors import ocr` may name a submodule: judge the longer name.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name == "jixiao" or name.startswith("jixiao.")]


def violations(path: Path) -> list[str]:
    own = layer_of(module_name(path))
    assert own is not None, f"{module_name(path)} belongs to no layer: add it to LAYERS in {Path(__file__).name}"
    rank, name = own
    bad = []
    for line, target in imports(path):
        target_rank, target_name = target_layer(target)
        if target_name != name and target_rank >= rank:
            bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({name}) imports {target} ({target_name})")
    return bad


def test_no_import_points_up_or_sideways() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 40
    found = [v for path in files for v in violations(path)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("source", "line", "expected"), [
    ("jixiao/records.py", "from jixiao.pipeline.schemas import PROJECTS", "(base) imports jixiao.pipeline.schemas.PROJECTS"),
    ("jixiao/extractors/text.py", "from jixiao.normalizers import vocab", "(extractors) imports jixiao.normalizers.vocab"),
    ("jixiao/normalizers/forms.py", "from ..extractors.sniff import sniff_format", "(normalizers) imports jixiao.extractors"),
    ("jixiao/pipeline/run.py", "    from jixiao.flows import run_flow", "(pipeline) imports jixiao.flows.run_flow"),
])
def test_an_arrow_up_or_sideways_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, line: str,
                                          expected: str) -> None:
    copy = tmp_path / "jixiao" / Path(source).relative_to("jixiao")
    copy.parent.mkdir(parents=True)
    body = "def late():\n" + line if line.startswith(" ") else line
    copy.write_text(body + "\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "jixiao")
    (found,) = violations(copy)
    assert expected in found


def test_the_cli_may_reach_the_flows() -> None:
    assert violations(PACKAGE / "pipeline" / "cli.py") == []
    assert any(target.startswith("jixiao.flows") for _, target in imports(PACKAGE / "pipeline" / "cli.py"))

"""The README and docs/ hold together: the Quick start's commands exist, every relative link and #anchor
resolves, and the data dictionary is what `jixiao schema` prints."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from jixiao.pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def section(markdown: str, title: str) -> str:
    return markdown.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def quick_start_commands() -> list[str]:
    body = section((REPO / "README.md").read_text(encoding="utf-8"), "Quick start")
    blocks = re.findall(r"^```sh\n(.*?)^```", body, re.DOTALL | re.MULTILINE)
    return [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()
            if line.split("#", 1)[0].strip()]


def anchors(markdown: str) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces as hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} (.+)$", _FENCE.sub("", markdown), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        seen[slug if slug not in seen else f"{slug}-{seen[slug]}"] = seen.get(slug, 0) + 1
    return set(seen)


def test_quick_start_runs_make_targets_that_exist() -> None:
    commands = quick_start_commands()
    assert commands[:2] == ["make demo", "make test"]
    targets = set(re.findall(r"^([\w.-]+):", (REPO / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))
    for command in commands:
        assert command.startswith("make "), command
        assert set(command.split()[1:]) <= targets, command


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    links = _LINK.findall(_FENCE.sub("", text))
    broken = []
    for target in links:
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists() or anchor and anchor not in anchors(file.read_text(encoding="utf-8")):
            broken.append(target)
    assert not broken, f"{page.name}: {broken}"


def test_anchors_follow_github_ids() -> None:
    assert anchors("# Scans (OCR)\n## `jixiao status` and `jixiao rerun-failed`\n## Speed\n## Speed\n") == {
        "scans-ocr", "jixiao-status-and-jixiao-rerun-failed", "speed", "speed-1"}


def test_data_dictionary_is_what_jixiao_schema_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert (REPO / "docs" / "data-dictionary.md").read_text(encoding="utf-8") == printed, (
        "docs/data-dictionary.md is out of date: jixiao schema > docs/data-dictionary.md")


def test_ci_runs_the_readmes_full_test_command() -> None:
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert [line for line in ci if line.startswith("make ")] == ["make test-all"]
    assert "make test-all" in quick_start_commands()

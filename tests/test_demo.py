"""`make demo`'s steps: jixiao over samples/, then examples/query.py over its output, as the Makefile runs them."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, SAMPLES

from jixiao.pipeline.cli import main


def demo_steps() -> list[str]:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe is not None
    return [line.strip() for line in recipe.group(1).splitlines()]


def test_the_demo_reads_the_samples_and_queries_them(tmp_path: Path) -> None:
    steps = demo_steps()
    assert "$(BIN)/jixiao run samples --out demo-out --review demo-out/review" in steps
    assert "$(BIN)/python examples/query.py demo-out" in steps
    out = tmp_path / "demo-out"
    assert main(["run", str(SAMPLES), "--out", str(out), "--review", str(out / "review"), "--quiet"]) == 0
    index = (out / "review" / "index.html").read_text(encoding="utf-8")
    assert all(sample.name in index for sample in SAMPLES.iterdir())
    query = subprocess.run([sys.executable, str(REPO / "examples" / "query.py"), str(out)], capture_output=True,
                           text=True, timeout=120, check=True)
    lines = query.stdout.splitlines()
    assert lines[0] == "32 forms, 25 distinct, 343 indicators"
    assert re.search(r"│ 基层医疗卫生服务能力提升项目补助资金\s+│\s+2024 │\s+4507\.55 │\s+0\.91 │\s+98\.6 │", query.stdout)
    by_level1 = {m[0]: int(m[1]) for m in re.findall(r"│ (\S+指标)\s+│\s+(\d+) │", query.stdout)}
    assert by_level1 == {"产出指标": 193, "效益指标": 67, "满意度指标": 28}  # one row per form
    assert re.search(r"│ ok\s+│\s+6 │", query.stdout)

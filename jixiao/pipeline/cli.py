"""The `jixiao` command line."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from jixiao import __version__
from jixiao.extractors.options import OCR_ENGINES, ExtractOptions
from jixiao.pipeline.run import STATUSES, RunSummary, run
from jixiao.pipeline.writer import DatasetWriter

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jixiao", description="项目支出绩效自评表 → Parquet datasets.")
    parser.add_argument("--version", action="version", version=f"jixiao {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser(
        "run",
        help="read every file under INPUT and write OUT/projects, OUT/indicators and OUT/files",
        description="Read every file under the inputs (folders are walked recursively) and write "
        "the projects, indicators and files datasets under OUT. Exit 0 when every file is ok or holds "
        "no form, 1 when some failed (all others are still written), 2 on a usage error.",
    )
    run_cmd.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="a file or a folder")
    run_cmd.add_argument("--out", required=True, type=Path, metavar="OUT", help="output folder")
    run_cmd.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    run_cmd.add_argument("--quiet", action="store_true", help="print nothing but the files that failed")
    ocr = run_cmd.add_argument_group("OCR (scanned PDFs and images)")
    ocr.add_argument("--ocr-engine", choices=OCR_ENGINES, help="rapidocr (default): PP-OCRv6 small; fast: "
                     "PP-OCRv6 tiny; paddleocr: PaddleOCR 3.x [env JIXIAO_OCR_ENGINE]")
    ocr.add_argument("--ocr-models", type=Path, metavar="DIR", help="PaddleX recognition model folder for "
                     "--ocr-engine paddleocr (inference.yml + inference.onnx or Paddle files, or DIR/rec "
                     "holding them) [env JIXIAO_OCR_MODELS]")
    ocr.add_argument("--ocr-min-confidence", type=float, metavar="X", help="cells read with less confidence "
                     "(0..1) are flagged unreadable_cell [env JIXIAO_OCR_MIN_CONFIDENCE, default 0.8]")
    return parser


def extract_options(args: argparse.Namespace) -> ExtractOptions:
    """Options from the command line, falling back to the environment, then to the defaults."""
    env = ExtractOptions.from_env()
    return ExtractOptions(
        ocr_engine=args.ocr_engine or env.ocr_engine,
        ocr_models=args.ocr_models or env.ocr_models,
        ocr_min_confidence=env.ocr_min_confidence if args.ocr_min_confidence is None else args.ocr_min_confidence,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    err = Console(stderr=True)
    missing = [str(p) for p in args.inputs if not p.exists()]
    if missing:
        err.print(f"jixiao: no such input: {', '.join(missing)}", markup=False)
        return EXIT_USAGE
    try:
        options = extract_options(args)
    except ValueError as exc:
        err.print(f"jixiao: {exc}", markup=False)
        return EXIT_USAGE
    try:
        DatasetWriter(args.out)
    except OSError as exc:
        err.print(f"jixiao: cannot use --out {args.out}: {exc.strerror or exc}", markup=False)
        return EXIT_USAGE
    show_progress = not (args.no_progress or args.quiet) and err.is_terminal
    if show_progress:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as progress:
            task = progress.add_task("reading", total=None)
            summary = run(
                args.inputs,
                args.out,
                on_start=lambda n: progress.update(task, total=n),
                on_file=lambda r: progress.update(task, advance=1, description=r.source_path[-40:]),
                options=options,
            )
    else:
        summary = run(args.inputs, args.out, options=options)
    if not args.quiet:
        print_summary(summary, Console())
    elif summary.failures:
        for path, reason in summary.failures:
            err.print(f"failed: {path}: {reason}", markup=False, soft_wrap=True)
    return summary.exit_code


def print_summary(summary: RunSummary, console: Console) -> None:
    counts = ", ".join(f"{status} {summary.statuses[status]}" for status in STATUSES if summary.statuses[status])
    lines = [
        f"run {summary.run_id}: {summary.files} files ({counts or 'none'})",
        f"forms {summary.forms}, indicators {summary.indicators}",
        "flags: " + (", ".join(f"{k} {v}" for k, v in sorted(summary.flags.items())) or "none"),
        "unmapped headers: "
        + (", ".join(f"{k!r} ×{v}" for k, v in summary.unmapped_headers.most_common()) or "none"),
    ]
    lines += [f"failed: {path}: {reason}" for path, reason in summary.failures]
    lines.append(f"output: {summary.out} (projects/, indicators/, manifest {summary.manifest.name if summary.manifest else '-'})")
    if summary.log:
        lines.append(f"tracebacks: {summary.log}")
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


if __name__ == "__main__":
    sys.exit(main())

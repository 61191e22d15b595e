"""The `jixiao` command line.

`run` and `rerun-failed` run in this process by default and never import Prefect;
`--prefect` (or `--dask-address`) runs the same steps as a Prefect flow, and
`serve` needs Prefect too.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from jixiao import __version__
from jixiao.extractors.options import OCR_ENGINES, OCR_RUNTIMES, ExtractOptions, Limits
from jixiao.pipeline import dictionary
from jixiao.pipeline.errors import OutputError
from jixiao.pipeline.finish import COMMIT_INTERVAL_S, RunSummary
from jixiao.pipeline.ingest import Outcome
from jixiao.pipeline.lock import LockHeld, OutLock, running
from jixiao.pipeline.run import rerun_failed, run
from jixiao.pipeline.state import load_state

# A file's status as `status` shows it: that of the last run that read it (an unchanged file keeps it).
FILE_STATUSES = ("ok", "failed", "no_forms")
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_OUTPUT = 4
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM

Hooks = tuple[Callable[[int], None] | None, Callable[[Outcome], None] | None]


def _workers(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _positive(kind: type[int | float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be more than 0")
        return value
    parse.__name__ = kind.__name__  # argparse names the expected type after it
    return parse


def _not_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _add_execution(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--workers", type=_workers, default=1, metavar="N",
                     help="read files in N worker processes on this machine (default 1: in this process)")
    cmd.add_argument("--batch-size", type=_workers, default=None, metavar="N",
                     help="files per batch (per Prefect task); default: up to 64, fewer for small runs")
    cmd.add_argument("--prefect", action="store_true",
                     help="run as a Prefect flow (a server at PREFECT_API_URL, else a temporary local one)")
    cmd.add_argument("--dask-address", metavar="tcp://HOST:PORT",
                     help="run the batches on this existing Dask cluster (implies --prefect)")
    cmd.add_argument("--commit-interval", type=_not_negative, default=COMMIT_INTERVAL_S, metavar="S",
                     help="make what has been read visible in OUT every S seconds, so a run that is killed "
                     f"loses little work (default {COMMIT_INTERVAL_S:g}; commits come between batches, so "
                     "0 means after every batch, and with --batch-size 1 after every file)")
    cmd.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    cmd.add_argument("--quiet", action="store_true", help="print nothing but the files that failed")
    ocr = cmd.add_argument_group("OCR (scanned PDFs and images)")
    ocr.add_argument("--ocr-engine", choices=OCR_ENGINES, help="rapidocr (default): PP-OCRv6 tiny, small where tiny is unsure; small: PP-OCRv6 small for every line; fast: "
                     "PP-OCRv6 tiny; paddleocr: PaddleOCR 3.x [env JIXIAO_OCR_ENGINE]")
    ocr.add_argument("--ocr-runtime", choices=OCR_RUNTIMES, help="where the PP-OCR models run: onnxruntime "
                     "(default) or openvino (the openvino extra) [env JIXIAO_OCR_RUNTIME]")
    ocr.add_argument("--ocr-models", type=Path, metavar="DIR", help="PaddleX recognition model folder for "
                     "--ocr-engine paddleocr (inference.yml + inference.onnx or Paddle files, or DIR/rec "
                     "holding them) [env JIXIAO_OCR_MODELS]")
    ocr.add_argument("--ocr-min-confidence", type=float, metavar="X", help="cells read with less confidence "
                     "(0..1) are flagged unreadable_cell [env JIXIAO_OCR_MIN_CONFIDENCE, default 0.8]")
    limits = cmd.add_argument_group("limits per file (a file over one fails with category limit)")
    defaults = Limits()
    limits.add_argument("--time-limit", type=_positive(float), metavar="S", help="seconds to read one file "
                        f"[env JIXIAO_TIME_LIMIT_S, default {defaults.time_limit_s:g}]")
    limits.add_argument("--memory-limit", type=_positive(int), metavar="MB", help="memory to read one file "
                        f"[env JIXIAO_MEMORY_MB, default {defaults.memory_mb}]")
    limits.add_argument("--max-file-mb", type=_positive(float), metavar="MB", help="size of one file "
                        f"[env JIXIAO_MAX_FILE_MB, default {defaults.max_file_mb:g}]")
    limits.add_argument("--max-pages", type=_positive(int), metavar="N", help="pages of one PDF "
                        f"[env JIXIAO_MAX_PAGES, default {defaults.max_pages}]")


def extract_options(args: argparse.Namespace) -> ExtractOptions:
    """Options from the command line, falling back to the environment, then to the defaults."""
    env = ExtractOptions.from_env()
    given = {"time_limit_s": args.time_limit, "memory_mb": args.memory_limit, "max_file_mb": args.max_file_mb,
             "max_pages": args.max_pages}
    return ExtractOptions(
        ocr_engine=args.ocr_engine or env.ocr_engine,
        ocr_runtime=args.ocr_runtime or env.ocr_runtime,
        ocr_models=args.ocr_models or env.ocr_models,
        ocr_min_confidence=env.ocr_min_confidence if args.ocr_min_confidence is None else args.ocr_min_confidence,
        limits=dataclasses.replace(env.limits, **{k: v for k, v in given.items() if v is not None}),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jixiao", description="项目支出绩效自评表 → Parquet datasets.")
    parser.add_argument("--version", action="version", version=f"jixiao {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run_cmd = commands.add_parser(
        "run",
        help="read every new or changed file under INPUT and write OUT/projects, OUT/indicators and OUT/files",
        description="Read every file under the inputs (folders are walked recursively) that OUT does not "
        "already hold as it is now, and write the projects, indicators and files datasets under OUT. "
        "Exit 0 when every file is ok, unchanged or holds no form, 1 when some failed (all others are "
        "still written), 2 on a usage error, 3 when another run is writing OUT, 4 when OUT cannot be "
        "written (a full disk; what earlier runs wrote stays intact).",
    )
    run_cmd.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="a file or a folder")
    run_cmd.add_argument("--out", required=True, type=Path, metavar="OUT", help="output folder")
    run_cmd.add_argument("--keep-removed", action="store_true",
                         help="keep the rows of files no longer in the input (default: delete them)")
    run_cmd.add_argument("--force", action="store_true",
                         help="read every file again, even those OUT holds unchanged (after upgrading jixiao)")
    _add_execution(run_cmd)

    rerun_cmd = commands.add_parser(
        "rerun-failed", help="read again only the files whose last status is failed",
        description="Read again only the files whose last status in OUT is failed, where they were last "
        "found. Exit codes as for run.")
    rerun_cmd.add_argument("--out", required=True, type=Path, metavar="OUT", help="output folder of earlier runs")
    _add_execution(rerun_cmd)

    status_cmd = commands.add_parser(
        "status", help="list the files of OUT by their last status, with reasons",
        description="List the files OUT knows by their status in the last run that read them, with the "
        "reasons. Exit 0, 1 when some file's last status is failed, 2 when no run has written OUT yet.")
    status_cmd.add_argument("--out", required=True, type=Path, metavar="OUT", help="output folder")
    status_cmd.add_argument("--status", action="append", choices=FILE_STATUSES, metavar="STATUS",
                            help="list only files with this status: ok, failed or no_forms (repeatable; ok "
                            "files are listed only when asked for)")

    schema_cmd = commands.add_parser(
        "schema", help="print the datasets' columns, types and meanings (the data dictionary)",
        description="Print the columns, types and meanings of projects, indicators, cells and files, as "
        "Markdown or JSON, from the schemas the Parquet parts are written with.")
    schema_cmd.add_argument("--json", action="store_true", help="JSON instead of Markdown")

    serve_cmd = commands.add_parser(
        "serve", help="serve the ingestion flow on a schedule (needs a Prefect server)",
        description="Serve a deployment of the ingestion flow that runs on a cron schedule, until stopped. "
        "Needs a Prefect server (PREFECT_API_URL): a temporary local one never fires schedules.")
    serve_cmd.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="a file or a folder")
    serve_cmd.add_argument("--out", required=True, type=Path, metavar="OUT", help="output folder")
    serve_cmd.add_argument("--cron", required=True, help='when to run, e.g. "0 2 * * *" for 02:00 every night')
    serve_cmd.add_argument("--timezone", default=None, help="time zone of the cron schedule, e.g. Asia/Shanghai")
    serve_cmd.add_argument("--name", default="nightly", help="deployment name (default nightly)")
    serve_cmd.add_argument("--keep-removed", action="store_true",
                           help="keep the rows of files no longer in the input")
    serve_cmd.add_argument("--workers", type=_workers, default=1, metavar="N", help="worker processes per run")
    serve_cmd.add_argument("--dask-address", metavar="tcp://HOST:PORT", help="run batches on this Dask cluster")
    return parser


@contextlib.contextmanager
def _progress(show: bool, err: Console) -> Iterator[Hooks]:
    if not show:
        yield None, None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True) as progress:
        task = progress.add_task("reading", total=None)
        yield (lambda n: progress.update(task, total=n),
               lambda o: progress.update(task, advance=1, description=o.source_path[-40:]))


def _check_out(out: Path, err: Console, create: bool) -> int | None:
    try:
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(f"{out} is not a folder")
        if create:
            out.mkdir(parents=True, exist_ok=True)
        elif not (out / "files").is_dir():
            raise NotADirectoryError(f"no jixiao output at {out}")
    except OSError as exc:
        err.print(f"jixiao: cannot use --out {out}: {exc.strerror or exc}", markup=False)
        return EXIT_USAGE
    try:
        # Fail fast, before a Prefect server is started for nothing; the run takes the lock itself.
        with OutLock(out):
            pass
    except LockHeld as exc:
        err.print(f"jixiao: {exc}", markup=False)
        return EXIT_LOCKED
    except OutputError as exc:
        return _output_failed(exc, err)
    return None


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the run commits what it has read and stops."""


def _terminate(_signum: int, _frame: object) -> None:
    raise Terminated


def _output_failed(exc: OutputError, err: Console) -> int:
    err.print(f"jixiao: {exc}; the datasets as last committed are intact, run again once OUT can be written",
              markup=False)
    return EXIT_OUTPUT


def _execute(args: argparse.Namespace, options: ExtractOptions, hooks: Hooks, err: Console) -> RunSummary:
    on_start, on_file = hooks
    common = {"workers": args.workers, "batch_size": args.batch_size, "on_start": on_start, "on_file": on_file,
              "options": options, "commit_interval_s": args.commit_interval}
    if args.prefect or args.dask_address:
        from jixiao.flows import run_flow, show_logs_on  # Prefect is imported only on this path

        # Per-file lines go to Prefect's server either way; on the terminal a progress
        # bar replaces them, and --quiet leaves only errors.
        if args.quiet:
            show_logs_on(err, logging.ERROR)
        elif on_start is not None:
            show_logs_on(err, logging.WARNING)

        if args.command == "run":
            return run_flow(args.inputs, args.out, keep_removed=args.keep_removed, force=args.force,
                            dask_address=args.dask_address, **common)
        return run_flow([], args.out, rerun_failed=True, dask_address=args.dask_address, **common)
    if args.command == "run":
        return run(args.inputs, args.out, keep_removed=args.keep_removed, force=args.force, **common)
    return rerun_failed(args.out, **common)


def _run_command(args: argparse.Namespace, err: Console) -> int:
    if args.command == "run":
        missing = [str(p) for p in args.inputs if not p.exists()]
        if missing:
            err.print(f"jixiao: no such input: {', '.join(missing)}", markup=False)
            return EXIT_USAGE
    try:
        options = extract_options(args)
    except ValueError as exc:
        err.print(f"jixiao: {exc}", markup=False)
        return EXIT_USAGE
    if args.dask_address:
        from jixiao.flows import DASK_NEEDS_SERVER, NoServer, require_server

        try:
            require_server(DASK_NEEDS_SERVER)
        except NoServer as exc:
            err.print(f"jixiao: {exc}", markup=False)
            return EXIT_USAGE
    problem = _check_out(args.out, err, create=args.command == "run")
    if problem is not None:
        return problem
    show_progress = not (args.no_progress or args.quiet) and err.is_terminal
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with _progress(show_progress, err) as hooks:
            summary = _execute(args, options, hooks, err)
    except KeyboardInterrupt as exc:
        err.print("jixiao: interrupted; the files read before are committed to OUT, the next run reads the "
                  "rest", markup=False)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except LockHeld as exc:
        err.print(f"jixiao: {exc}", markup=False)
        return EXIT_LOCKED
    except OutputError as exc:
        return _output_failed(exc, err)
    finally:
        signal.signal(signal.SIGTERM, previous)

    if not args.quiet:
        print_summary(summary, Console(soft_wrap=True))
    elif summary.failures:
        for path, reason in summary.failures:
            err.print(f"failed: {path}: {reason}", markup=False, soft_wrap=True)
    return summary.exit_code


def _status_command(args: argparse.Namespace, console: Console, err: Console) -> int:
    states = load_state(args.out)
    writer = running(args.out)
    if not states:
        now = f"; a run is writing it now ({writer}) and has committed nothing yet" if writer else ""
        err.print(f"jixiao: no run has written {args.out} yet{now}", markup=False)
        return EXIT_USAGE
    last_run = max(s.run_id for s in states.values())
    by_status: dict[str, list[tuple[str, str | None]]] = {status: [] for status in FILE_STATUSES}
    for key in sorted(states):
        by_status.setdefault(states[key].status, []).append((key, states[key].error))
    counts = ", ".join(f"{s} {len(by_status[s])}" for s in FILE_STATUSES if by_status[s])
    lines = [f"{args.out}: {len(states)} files; last run {last_run}", f"last status: {counts}"]
    if writer:
        lines.insert(1, f"a run is writing it now ({writer}): this is what it has committed so far")
    categories = Counter(error.split(":", 1)[0] for _, error in by_status["failed"] if error)
    if categories:
        lines.append("failed by stage/category: " + ", ".join(f"{k} {n}" for k, n in sorted(categories.items())))
    shown = args.status or [s for s in FILE_STATUSES if s != "ok"]
    for status in shown:
        if by_status[status]:
            lines.append(f"{status} ({len(by_status[status])}):")
            lines += [f"  {path}" + (f": {reason}" if reason else "") for path, reason in by_status[status]]
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    return 1 if by_status["failed"] else 0


def _serve_command(args: argparse.Namespace, err: Console) -> int:
    missing = [str(p) for p in args.inputs if not p.exists()]
    if missing:
        err.print(f"jixiao: no such input: {', '.join(missing)}", markup=False)
        return EXIT_USAGE
    from jixiao.flows import NoServer, serve

    try:
        serve(args.inputs, args.out, cron=args.cron, timezone=args.timezone, name=args.name,
              keep_removed=args.keep_removed, workers=args.workers, dask_address=args.dask_address)
    except NoServer as exc:
        err.print(f"jixiao: {exc}", markup=False)
        return EXIT_USAGE
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    err = Console(stderr=True, soft_wrap=True)
    if args.command == "status":
        return _status_command(args, Console(soft_wrap=True), err)
    if args.command == "serve":
        return _serve_command(args, err)
    if args.command == "schema":
        sys.stdout.write((dictionary.as_json() if args.json else dictionary.as_markdown()) + "\n")
        return 0
    return _run_command(args, err)


def print_summary(summary: RunSummary, console: Console) -> None:
    for line in summary.lines():
        console.print(line, markup=False, highlight=False, soft_wrap=True)


if __name__ == "__main__":
    sys.exit(main())

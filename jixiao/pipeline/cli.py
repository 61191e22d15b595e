"""The `jixiao` command line.

`run` and `rerun-failed` run in this process by default and never import Prefect;
`--prefect` (or `--dask-address`) runs the same steps as a Prefect flow, and
`serve` needs Prefect too.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import io
import logging
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from jixiao import __version__
from jixiao.extractors.options import DEFAULT_OCR_MIN_CONFIDENCE, OCR_ENGINES, OCR_RUNTIMES, ExtractOptions, Limits
from jixiao.pipeline import dictionary
from jixiao.pipeline.errors import Damaged, OutputError, Refused
from jixiao.pipeline.finish import COMMIT_INTERVAL_S, RunSummary
from jixiao.pipeline.ingest import Outcome
from jixiao.pipeline.lock import STATE_DIR, LockHeld, OutLock, running
from jixiao.pipeline.names import shown
from jixiao.pipeline.plan import REREAD_OLDER
from jixiao.pipeline.run import rerun_failed, run
from jixiao.pipeline.store import Health, Store
from jixiao.pipeline.territory import check_inputs
from jixiao.version import READER_VERSION, is_older

# A file's status as `status` shows it: that of the last run that read it (an unchanged file keeps it).
FILE_STATUSES = ("ok", "failed", "no_forms")
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_OUTPUT = 4
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM

Hooks = tuple[Callable[[int], None] | None, Callable[[Outcome], None] | None]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _needs_flows(what: str, modules: Sequence[str], err: Console) -> int | None:
    """Exit 2, saying how to install it, when the `flows` extra that `what` needs is missing."""
    missing = [m for m in modules if not _installed(m)]
    if not missing:
        return None
    err.print(f"jixiao: {what} needs the flows extra ({', '.join(missing)} not installed): "
              "pip install 'jixiao[flows]'", markup=False)
    return EXIT_USAGE


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
                     "(0..1) are flagged unreadable_cell [env JIXIAO_OCR_MIN_CONFIDENCE, default "
                     f"{DEFAULT_OCR_MIN_CONFIDENCE}]")
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
        "Exit 0 when every file is ok, unchanged or holds no form, 1 when some failed or a folder could "
        "not be listed (all others are still written), 2 on a usage error or an OUT holding what jixiao did "
        "not write where it writes, 3 when another run is writing OUT, 4 when OUT cannot be written (a full "
        "disk; what earlier runs wrote stays intact) or its records are damaged beyond recovery, or the temporary Prefect server of --prefect cannot start (a "
        "full TMPDIR or PREFECT_HOME).",
    )
    run_cmd.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="a file or a folder")
    run_cmd.add_argument("--out", required=True, type=Path, metavar="OUT", help="output folder")
    run_cmd.add_argument("--keep-removed", action="store_true",
                         help="keep the rows of files no longer in the input (default: delete them)")
    run_cmd.add_argument("--allow-empty-input", action="store_true",
                         help="an input folder found empty removes the rows of the files read from it (default: "
                         "they are kept, as an unmounted share shows an empty folder)")
    run_cmd.add_argument("--force", action="store_true",
                         help="read every file again, even those OUT holds unchanged")
    run_cmd.add_argument("--reread-older", choices=REREAD_OLDER, default="all",
                         help="all (default): read again the unchanged files whose rows an older reading of jixiao "
                         "produced (see `jixiao status`), after the new and changed files, the most recently "
                         "modified first; none: keep their rows as they are")
    run_cmd.add_argument("--review", type=Path, metavar="DIR",
                         help="then write the review report of the files this run read into DIR (see review)")
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
        "reasons, the readings that produced their rows, and any damage to OUT. Exit 0, 1 when some file's "
        "last status is failed, a folder could not be listed or OUT is damaged, 2 when no run has written "
        "OUT yet, 4 when OUT is damaged beyond recovery.")
    status_cmd.add_argument("--out", required=True, type=Path, metavar="OUT", help="output folder")
    status_cmd.add_argument("--status", action="append", choices=FILE_STATUSES, metavar="STATUS",
                            help="list only files with this status: ok, failed or no_forms (repeatable; ok "
                            "files are listed only when asked for)")

    review_cmd = commands.add_parser(
        "review", help="write a static report that shows every value beside where it was printed",
        description="Write a static report into DIR, opened from disk in a browser (nothing is loaded from "
        "elsewhere): an index of OUT's files, sortable and filterable, and a page per file with its forms' "
        "flags first, then every value beside the crop of the page (PDFs, scans, images) or the marked cell of "
        "the source table (Office, HTML, text) where it was printed. Sources are read where the run last found "
        "them, or under --source; one whose content changed since is said so, never shown. Exit 0, 2 when OUT "
        "holds no run or DIR cannot be used.")
    review_cmd.add_argument("--out", required=True, type=Path, metavar="OUT", help="output folder of a run")
    review_cmd.add_argument("--html", required=True, type=Path, metavar="DIR",
                            help="folder for the report (new, empty, or a report written before, which is replaced)")
    review_cmd.add_argument("--source", action="append", type=Path, default=[], metavar="ROOT",
                            help="look for sources under ROOT too, by their source_path (repeatable)")
    review_cmd.add_argument("--flagged", action="store_true",
                            help="only files with a flag, a value read below confidence, or a failure")
    review_cmd.add_argument("--files", metavar="GLOB", help="only files whose source_path matches GLOB, e.g. '2024/*'")
    review_cmd.add_argument("--workers", type=_workers, default=1, metavar="N",
                            help="render files in N worker processes (default 1)")
    review_cmd.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")

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
    serve_cmd.add_argument("--review", type=Path, metavar="DIR",
                           help="after each run, write the review report of the files it read into DIR")
    return parser


@contextlib.contextmanager
def _progress(show: bool, err: Console, what: str = "reading") -> Iterator[Hooks]:
    """A progress bar's hooks: the number of files, and each file (an outcome, or a path) as it is done."""
    if not show:
        yield None, None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True) as progress:
        task = progress.add_task(what, total=None)
        yield (lambda n: progress.update(task, total=n),
               lambda o: progress.update(task, advance=1, description=str(getattr(o, "source_path", o))[-40:]))


def _check_out(out: Path, err: Console, create: bool, inputs: list[Path]) -> int | None:
    try:
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(f"{shown(out)} is not a folder")
        check_inputs(inputs, out)
        Store(out).check_foreign()
        if create:
            out.mkdir(parents=True, exist_ok=True)
        elif not (out / STATE_DIR).is_dir():
            raise NotADirectoryError(f"no jixiao output at {shown(out)}")
    except OSError as exc:
        err.print(f"jixiao: cannot use --out {shown(out)}: {exc.strerror or exc}", markup=False)
        return EXIT_USAGE
    except Refused as exc:
        err.print(f"jixiao: {exc}", markup=False)
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


class NoPrefect(Exception):
    """--prefect without PREFECT_API_URL, and the temporary Prefect server cannot start."""


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
        from jixiao.flows import ServerUnavailable, run_flow, show_logs_on  # Prefect is imported only here

        # Per-file lines go to Prefect's server either way; on the terminal a progress
        # bar replaces them, and --quiet leaves only errors.
        if args.quiet:
            show_logs_on(err, logging.ERROR)
        elif on_start is not None:
            show_logs_on(err, logging.WARNING)

        try:
            if args.command == "run":
                return run_flow(args.inputs, args.out, keep_removed=args.keep_removed, force=args.force,
                                reread_older=args.reread_older, allow_empty_input=args.allow_empty_input,
                                dask_address=args.dask_address, review=args.review, **common)
            return run_flow([], args.out, rerun_failed=True, dask_address=args.dask_address, **common)
        except ServerUnavailable as exc:
            raise NoPrefect(str(exc)) from None
    if args.command == "run":
        return run(args.inputs, args.out, keep_removed=args.keep_removed, force=args.force,
                   reread_older=args.reread_older, allow_empty_input=args.allow_empty_input, **common)
    return rerun_failed(args.out, **common)


def _run_command(args: argparse.Namespace, err: Console) -> int:
    inputs = args.inputs if args.command == "run" else []
    missing = [shown(p) for p in inputs if not p.exists()]
    if missing:
        err.print(f"jixiao: no such input: {', '.join(missing)}", markup=False)
        return EXIT_USAGE
    if args.prefect or args.dask_address:
        option = "--dask-address" if args.dask_address else "--prefect"
        problem = _needs_flows(option, ("prefect", "prefect_dask") if args.dask_address else ("prefect",), err)
        if problem is not None:
            return problem
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
    problem = _check_out(args.out, err, create=args.command == "run", inputs=inputs)
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
    except Refused as exc:
        err.print(f"jixiao: {exc}", markup=False)
        return EXIT_USAGE
    except (Damaged, NoPrefect) as exc:
        err.print(f"jixiao: {exc}", markup=False)
        return EXIT_OUTPUT
    finally:
        signal.signal(signal.SIGTERM, previous)

    for note in summary.notes:  # a migration: told even with --quiet
        err.print(f"jixiao: {note}", markup=False)
    if not args.quiet:
        print_summary(summary, Console(soft_wrap=True))
    else:
        for line in summary.damaged:
            err.print(f"damaged: {line}", markup=False, soft_wrap=True)
        for path, reason in summary.failures:
            err.print(f"failed: {path}: {reason}", markup=False, soft_wrap=True)
    # Under Prefect the flow writes the review itself (and links it from its artifact).
    if getattr(args, "review", None) is not None and not (args.prefect or args.dask_address):
        code = _write_review(args.out, args.review, err, show_progress, only=set(summary.read), quiet=args.quiet)
        if code:
            return code
    return summary.exit_code


def _write_review(out: Path, html: Path, err: Console, show_progress: bool, *, quiet: bool = False,
                  **options: object) -> int:
    from jixiao.review import NoOutput, NotAReviewFolder, write_review  # Pillow and the pages only when asked

    try:
        with _progress(show_progress, err, "reviewing") as (on_start, on_file):
            summary = write_review(out, html, on_start=on_start, on_file=on_file, **options)  # type: ignore[arg-type]
    except (NoOutput, NotAReviewFolder, OSError) as exc:
        err.print(f"jixiao: cannot write the review: {exc}", markup=False)
        return EXIT_USAGE
    if not quiet:
        Console(soft_wrap=True).print(
            f"review: {summary.files} files ({summary.attention} needing attention), {summary.pages} pages; open "
            f"{summary.index.resolve().as_uri()}", markup=False, highlight=False)
    return 0


def _review_command(args: argparse.Namespace, err: Console) -> int:
    if not (args.out / "files").is_dir():
        err.print(f"jixiao: no jixiao output at {args.out}", markup=False)
        return EXIT_USAGE
    show_progress = not args.no_progress and err.is_terminal
    return _write_review(args.out, args.html, err, show_progress, sources=args.source, flagged=args.flagged,
                         files=args.files, workers=args.workers)


def _status_command(args: argparse.Namespace, console: Console, err: Console) -> int:
    health = Store(args.out).health()
    if health.fatal:
        err.print(f"jixiao: {health.fatal}", markup=False)
        return EXIT_OUTPUT
    writer = running(args.out)
    if not health.states and not health.problems:
        now = f"; a run is writing it now ({writer}) and has committed nothing yet" if writer else ""
        err.print(f"jixiao: no run has written {shown(args.out)} yet{now}", markup=False)
        return EXIT_USAGE
    lines = _status_lines(args, health)
    if writer:
        lines.insert(1, f"a run is writing it now ({writer}): this is what it has committed so far")
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    failing = any(s.status == "failed" for s in health.states.values())
    return 1 if failing or health.problems or any(line.startswith("damaged:") for line in lines) else 0


def state_older(version: str) -> bool:
    return version != "never read" and is_older(version)


def _status_lines(args: argparse.Namespace, health: Health) -> list[str]:
    states = {key: state for key, state in health.states.items() if not state.is_folder}
    folders = {key: state for key, state in health.states.items() if state.is_folder}
    last_run = max((s.run_id for s in health.states.values()), default="-")
    by_status: dict[str, list[tuple[str, str | None]]] = {status: [] for status in FILE_STATUSES}
    for key in sorted(states):
        by_status.setdefault(states[key].status, []).append((key, states[key].error))
    counts = ", ".join(f"{s} {len(by_status[s])}" for s in FILE_STATUSES if by_status[s])
    lines = [f"{shown(args.out)}: {len(states)} files; last run {last_run}", f"last status: {counts or 'none'}"]
    readings = Counter(state.reader_version or "never read" for state in states.values())
    counted = ", ".join(f"{version} {count}" + (" (older: read again by the next run)" if state_older(version) else "")
                        for version, count in sorted(readings.items()))
    lines.append(f"readings: {counted or 'none'}; this release reads as {READER_VERSION}")
    categories = Counter(error.split(":", 1)[0] for _, error in by_status["failed"] if error)
    if categories:
        lines.append("failed by stage/category: " + ", ".join(f"{k} {n}" for k, n in sorted(categories.items())))
    lines += [f"damaged: {problem}; {health.recovery}" for problem in health.problems]
    store = Store(args.out)
    if health.current is not None and health.current == store.current():
        lines += [f"damaged: {key}: {why}; the next run over it reads it again"
                  for key, why in sorted(store.damaged_parts(states).items())]
        lines += [f"damaged: {dataset}/{name} is {why}; the next run leaves it out"
                  for dataset, name, why in store.damaged_files()]
    if folders:
        lines.append(f"not listed ({len(folders)}):")
        lines += [f"  {key}: {state.error}" for key, state in sorted(folders.items())]
    shown_statuses = args.status or [s for s in FILE_STATUSES if s != "ok"]
    for status in shown_statuses:
        if by_status[status]:
            lines.append(f"{status} ({len(by_status[status])}):")
            lines += [f"  {path}" + (f": {reason}" if reason else "") for path, reason in by_status[status]]
    return lines


def _serve_command(args: argparse.Namespace, err: Console) -> int:
    missing = [str(p) for p in args.inputs if not p.exists()]
    if missing:
        err.print(f"jixiao: no such input: {', '.join(missing)}", markup=False)
        return EXIT_USAGE
    problem = _needs_flows("serve", ("prefect", "prefect_dask") if args.dask_address else ("prefect",), err)
    if problem is not None:
        return problem
    from jixiao.flows import NoServer, serve

    try:
        serve(args.inputs, args.out, cron=args.cron, timezone=args.timezone, name=args.name,
              keep_removed=args.keep_removed, workers=args.workers, dask_address=args.dask_address,
              review=args.review)
    except NoServer as exc:
        err.print(f"jixiao: {exc}", markup=False)
        return EXIT_USAGE
    return 0


def _utf8_streams() -> None:
    """Messages name files in UTF-8 whatever the locale (a cron job's POSIX locale, PYTHONUTF8=0):
    names are escaped to printable text (names.py), and printed as UTF-8 rather than failing."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    _utf8_streams()
    args = _parser().parse_args(argv)
    err = Console(stderr=True, soft_wrap=True)
    if args.command == "status":
        return _status_command(args, Console(soft_wrap=True), err)
    if args.command == "serve":
        return _serve_command(args, err)
    if args.command == "review":
        return _review_command(args, err)
    if args.command == "schema":
        sys.stdout.write((dictionary.as_json() if args.json else dictionary.as_markdown()) + "\n")
        return 0
    return _run_command(args, err)


def print_summary(summary: RunSummary, console: Console) -> None:
    for line in summary.lines():
        console.print(line, markup=False, highlight=False, soft_wrap=True)


if __name__ == "__main__":
    sys.exit(main())

"""One source file's page of the report: per form, the flags first, then the project block and the indicator
rows as canonical columns, each value beside the crop (PDFs, scans, images) or the marked cell of the source
table (Office, HTML, text) where it was printed."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from jixiao.extractors import ExtractError, ExtractOptions, extract, sniff_format
from jixiao.grid import Grid
from jixiao.pipeline.state import SourceState
from jixiao.records import CellRecord, Form
from jixiao.review import crops, tables
from jixiao.review.marks import FLAG, LOW, OK, Marks, form_marks
from jixiao.review.sources import CHANGED, FOUND, MISSING, Located, locate

IMAGE_FORMATS = {"pdf", "pdf_scanned", "image"}
PROJECT_COLUMNS = (
    "year", "project_name", "department", "department_code", "implementing_unit", "implementing_unit_code",
    "project_lead", "contact_phone", "budget_initial", "budget_annual", "budget_executed", "budget_weight",
    "execution_rate", "budget_score", "fiscal_initial", "fiscal_annual", "fiscal_executed", "carryover_initial",
    "carryover_annual", "carryover_executed", "other_initial", "other_annual", "other_executed", "goal_expected",
    "goal_actual", "total_weight", "total_score", "self_rating",
)
# Indicator columns as shown: (heading, the column whose cell printed it, the columns shown in it).
INDICATOR_COLUMNS = (
    ("一级指标 level1", "level1_raw", ("level1", "level1_weight")),
    ("二级指标 level2", "level2_raw", ("level2",)),
    ("三级指标 name", "name", ("name",)),
    ("年度指标值 target", "target_raw", ("target_raw", "target_op", "target_value", "target_unit")),
    ("实际完成值 actual", "actual_raw", ("actual_raw", "actual_value", "actual_unit")),
    ("分值 weight", "weight", ("weight",)),
    ("得分 score", "score", ("score",)),
    ("偏差原因 deviation_note", "deviation_note", ("deviation_note",)),
)
# A project column shown with the cell of another: the code split off a department or unit.
PRINTED_WITH = {"department_code": "department", "implementing_unit_code": "implementing_unit"}
_MARKERS = {FLAG: "⚑", LOW: "?", OK: ""}
_RANK = [OK, LOW, FLAG]


@dataclass(slots=True)
class FileReview:
    """What the index says of a file, once its page is written."""

    source_path: str
    key: str
    source_format: str | None
    status: str
    error: str | None
    forms: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    low: int = 0  # values read below the confidence threshold
    confidence: float | None = None
    source: str = ""  # FOUND, CHANGED, MISSING, or "" when not looked for
    pages: int = 0  # page images rendered

    @property
    def attention(self) -> bool:
        return self.status == "failed" or bool(self.flags) or self.low > 0


@dataclass(slots=True)
class _Shown:
    """How a value's source is shown: crops (file names) or a locator linked to the marked grid cell."""

    crops: dict[int, str] = field(default_factory=dict)  # id(CellRecord) -> crop file
    anchors: dict[int, str] = field(default_factory=dict)  # id(CellRecord) -> grid cell id
    thumbs: list[tuple[int, str, tuple[int, int]]] = field(default_factory=list)  # (page, file, size)
    grids: list[str] = field(default_factory=list)  # source tables drawn
    note: str = ""  # why the source is not shown


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _said(words: list[str]) -> str:
    return "".join(f'<span class="said">{escape(w)}</span>' for w in words)


def _source_html(cell: CellRecord, marks: Marks, shown: _Shown) -> str:
    status = marks.status(cell)
    words = marks.words(cell)
    where = escape(cell.locator)
    crop = shown.crops.get(id(cell))
    if crop is not None:
        image = (f'<img class="crop {status}" src="{crop}" alt="{escape(cell.text[:80])}" '
                 f'title="{escape(cell.text)}">')
        return f'<div class="src">{image}<span class="where">{where}</span>{_said(words)}</div>'
    anchor = shown.anchors.get(id(cell))
    link = f'<a href="#{anchor}">{where}</a>' if anchor else where
    return f'<div class="src"><span class="where">{link}</span>{_said(words)}</div>'


def _value_html(value: object, cells: list[CellRecord], marks: Marks, shown: _Shown, extra: str = "") -> str:
    statuses = {marks.status(c) for c in cells}
    status = FLAG if FLAG in statuses else LOW if LOW in statuses else OK if cells else "derived"
    marker = _MARKERS.get(status, "")
    head = f'<div class="v {status}">{escape(marker + " " if marker else "")}{escape(_fmt(value))}{extra}</div>'
    if not cells:
        why = "nothing printed" if value is None else "worked out, not printed in a cell of its own"
        head += f'<div class="src"><span class="where">{why}</span></div>'
    return head + "".join(_source_html(c, marks, shown) for c in cells)


def _findings_html(marks: Marks, form: Form) -> str:
    if not marks.findings:
        return '<p class="noflags">No flags.</p>'
    names = {i.seq: i.name for i in form.indicators}
    items = []
    for finding in marks.findings:
        where = "project" if finding.seq is None else f"indicator {finding.seq}: {names.get(finding.seq, '')}"
        link = f'<a href="#{_row_id(form, finding.seq)}">{escape(where)}</a>'
        items.append(f'<li class="finding"><span class="rule">{escape(finding.flag)}</span> {link} — '
                     f'{escape(finding.detail)}</li>')
    return f'<h3>Flags ({len(marks.findings)})</h3><ul class="findings">{"".join(items)}</ul>'


def _row_id(form: Form, seq: int | None) -> str:
    return f"f{form.project.table_index}-" + ("project" if seq is None else f"i{seq}")


def _project_html(form: Form, marks: Marks, shown: _Shown, by_key: dict[tuple[int | None, str], list[CellRecord]]) -> str:
    p = form.project
    rows = []
    for column in PROJECT_COLUMNS:
        value = getattr(p, column, None)
        if value is None:
            continue
        cells = by_key.get((None, PRINTED_WITH.get(column, column)), [])
        extra = f'<span class="parsed">{value * 100:.4g}%</span>' if column == "execution_rate" else ""
        rows.append(f"<tr><th>{column}</th><td>{_value_html(value, cells, marks, shown, extra)}</td></tr>")
    meta = (f"confidence {p.confidence:.2f} · extractor {escape(p.extractor)} · project_id {escape(p.project_id)} · "
            f"issues: {escape(', '.join(p.issues) or 'none')}")
    return (f'<h3 id="{_row_id(form, None)}">Project</h3><p class="meta">{meta}</p>'
            f'<table class="values project"><tbody>{"".join(rows)}</tbody></table>')


def _indicators_html(form: Form, marks: Marks, shown: _Shown,
                     by_key: dict[tuple[int | None, str], list[CellRecord]]) -> str:
    if not form.indicators:
        return "<h3>Indicators</h3><p>No indicator rows were read.</p>"
    head = "".join(f"<th>{escape(title)}</th>" for title, _, _ in INDICATOR_COLUMNS)
    rows = []
    for indicator in form.indicators:
        tds = []
        for _, printed, columns in INDICATOR_COLUMNS:
            value = getattr(indicator, columns[0])
            parsed = [f"{c.split('_', 1)[1]} {_fmt(getattr(indicator, c))}" for c in columns[1:]
                      if getattr(indicator, c) is not None]
            extra = f'<span class="parsed">{escape(" · ".join(parsed))}</span>' if parsed else ""
            tds.append(f"<td>{_value_html(value, by_key.get((indicator.seq, printed), []), marks, shown, extra)}</td>")
        met = {True: "met", False: "not met", None: "—"}[indicator.target_met]
        issues = escape(", ".join(indicator.issues) or "—")
        rows.append(f'<tr id="{_row_id(form, indicator.seq)}"><th>{indicator.seq}</th>{"".join(tds)}'
                    f"<td>{met}</td><td>{issues}</td></tr>")
    return (f'<h3>Indicators ({len(form.indicators)})</h3><table class="values indicators"><thead><tr><th>seq</th>'
            f"{head}<th>target_met</th><th>issues</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _visuals(form: Form, shown: _Shown) -> str:
    parts = []
    if shown.note:
        parts.append(f'<p class="note">{escape(shown.note)}</p>')
    pages = sorted({c.page for c in form.cells if c.page is not None})
    for page, name, (width, height) in shown.thumbs:
        if page in pages:
            parts.append(f'<figure class="thumb"><img src="{name}" width="{width}" height="{height}" '
                         f'alt="page {page} with the form\'s cells outlined"><figcaption>page {page}: '
                         f'boxes green ok, orange low confidence, red feeding a flag</figcaption></figure>')
    return "".join(parts)


def _form_html(form: Form, marks: Marks, shown: _Shown, grids: str) -> str:
    p = form.project
    by_key: dict[tuple[int | None, str], list[CellRecord]] = {}
    for cell in form.cells:
        by_key.setdefault((cell.seq, cell.field), []).append(cell)
    pages = f"pages {p.page_start}–{p.page_end}" if p.page_start is not None else ""
    title = f"{p.table_index + 1}. {p.project_name or '(no project name)'}"
    visuals = _visuals(form, shown)
    if grids:
        # The source tables beside the values, scrolled on their own: a locator link brings its cell into view.
        visuals += f'<h3>Where it was printed</h3><div class="grids">{grids}</div>'
    aside = f'<aside class="{"tables" if grids else "thumbs"}">{visuals}</aside>' if visuals else ""
    return (f'<section class="form" id="form-{p.table_index}"><h2>{escape(title)} <small>{escape(pages)}</small></h2>'
            f'<div class="flags">{_findings_html(marks, form)}</div><div class="cols"><div class="main">'
            f"{_project_html(form, marks, shown, by_key)}</div>{aside}</div>"
            f"{_indicators_html(form, marks, shown, by_key)}</section>")


def _show_images(located: Located, fmt: str, forms: list[Form], all_marks: list[Marks], folder: Path,
                 shown: _Shown) -> int:
    """Crops and thumbnails, page by page; the number of pages rendered."""
    assert located.data is not None
    by_page: dict[int, list[crops.Box]] = {}
    named: dict[tuple[int, tuple[float, ...]], str] = {}
    for form, marks in zip(forms, all_marks, strict=True):
        for cell in form.cells:
            if cell.page is None or cell.x0 is None or cell.top is None or cell.x1 is None or cell.bottom is None:
                continue
            bbox = (cell.x0, cell.top, cell.x1, cell.bottom)
            key = (cell.page, bbox)
            name = named.get(key)
            if name is None:
                name = named[key] = f"c{len(named)}.jpg"
                by_page.setdefault(cell.page, []).append(crops.Box(name, bbox, marks.status(cell)))
            shown.crops[id(cell)] = name
    rendered = 0
    for page, image, scale in crops.SourceImages(located.data, fmt).pages(sorted(by_page)):
        boxes = by_page[page]
        crops.write_crops(image, scale, boxes, folder)
        name = f"p{page}.jpg"
        shown.thumbs.append((page, name, crops.write_thumbnail(image, scale, boxes, folder / name)))
        rendered += 1
        image.close()
    missing = set(by_page) - {page for page, _, _ in shown.thumbs}
    if missing:
        shown.note = f"pages {sorted(missing)} are not in the source file"
        for cell_id, name in list(shown.crops.items()):
            if not (folder / name).exists():
                del shown.crops[cell_id]
    return rendered


def _show_tables(grid: Grid, forms: list[Form], all_marks: list[Marks]) -> tuple[list[str], dict[int, str]]:
    """Per form the source tables drawn with its cells marked, and each cell record's grid anchor."""
    found = tables.places(grid)
    drawn: list[str] = []
    anchors: dict[int, str] = {}
    for form, marks in zip(forms, all_marks, strict=True):
        marked: dict[int, dict[tuple[int, int], tuple[str, list[str], list[str]]]] = {}
        for cell in form.cells:
            place = found.get(cell.locator)
            if place is None:
                continue
            anchors[id(cell)] = tables.anchor(place)
            spot = marked.setdefault(place.table, {})
            at = (place.cell.row, place.cell.col)
            status, fed, warnings = spot.get(at, (OK, [], []))
            new = marks.status(cell)
            worst = new if _RANK.index(new) > _RANK.index(status) else status
            fed.append(cell.field if cell.seq is None else f"{cell.field} of indicator {cell.seq}")
            warnings.extend(w for w in marks.words(cell) if w not in warnings)
            spot[at] = (worst, fed, warnings)
        drawn.append("".join(tables.draw_table(grid, index, spots, _caption(grid, index))
                             for index, spots in sorted(marked.items())))
    return drawn, anchors


def _caption(grid: Grid, index: int) -> str:
    origin = grid.tables[index].origin
    if origin is None:
        return "a table"
    if origin.kind == "sheet":
        return f"sheet {origin.name}"
    if origin.kind == "table":
        return f"table {origin.number}"
    if origin.kind == "lines":
        return "the text export, by line"
    return f"text above table {origin.number}" if origin.number else "text below the last table"


def review_file(held: list[Form], state: SourceState, key: str, folder: Path, roots: list[Path],
                min_confidence: float, options: ExtractOptions) -> FileReview:
    """Write the page of one source file (and its crops) into `folder`; what the index says of it."""
    all_marks = [form_marks(form, min_confidence) for form in held]
    flags: dict[str, int] = {}
    for marks in all_marks:
        for finding in marks.findings:
            flags[finding.flag] = flags.get(finding.flag, 0) + 1
    review = FileReview(state.source_path, key, state.source_format, state.status, state.error, len(held), flags,
                        sum(marks.low(c) for form, marks in zip(held, all_marks) for c in form.cells),
                        min((f.project.confidence for f in held), default=None))
    shown = _Shown()
    grids: list[str] = []
    located: Located | None = None
    if held:
        located = locate(state.path, state.source_path, roots, held[0].project.source_sha256)
        review.source = located.verdict
        fmt = held[0].project.source_format
        if located.verdict == FOUND and located.data is not None:
            try:
                if fmt in IMAGE_FORMATS:
                    review.pages = _show_images(located, fmt, held, all_marks, folder, shown)
                else:
                    data = located.data
                    grid = extract(sniff_format(data[:8192], data), data, options)
                    grids, shown.anchors = _show_tables(grid, held, all_marks)
            except (ExtractError, OSError, ValueError) as exc:
                shown.crops.clear()
                shown.note = f"the source could not be shown: {exc}"
    (folder / "index.html").write_text(_page(review, located, held, all_marks, shown, grids), encoding="utf-8")
    return review


def _source_line(review: FileReview, located: Located | None) -> str:
    if located is None:
        return ""
    if located.verdict == FOUND:
        return f'<p class="source found">Source: {escape(str(located.path))} (the very file that was read)</p>'
    if located.verdict == CHANGED:
        return (f'<p class="source changed">Source CHANGED since it was read: {escape(str(located.path))} holds other '
                "content now, so nothing is cut from it; the values below are as read.</p>")
    assert located.verdict == MISSING
    return ('<p class="source missing">Source MISSING: not at the path the run recorded nor under any --source '
            "root; the values below are as read.</p>")


def _page(review: FileReview, located: Located | None, held: list[Form], all_marks: list[Marks], shown: _Shown,
          grids: list[str]) -> str:
    error = f'<p class="error">{escape(review.error)}</p>' if review.error else ""
    forms = "".join(_form_html(form, marks, shown, grids[k] if k < len(grids) else "")
                    for k, (form, marks) in enumerate(zip(held, all_marks, strict=True)))
    toc = "".join(f'<li><a href="#form-{f.project.table_index}">{escape(f.project.project_name or "(no name)")}</a>'
                  f'{" ⚑ " + str(len(m.findings)) + " flags" if m.findings else ""}</li>'
                  for f, m in zip(held, all_marks, strict=True))
    body = (f'<nav><a href="../../index.html">← all files</a></nav><h1>{escape(review.source_path)}</h1>'
            f'<p class="meta">status {escape(review.status)} · format {escape(review.source_format or "—")} · '
            f"{review.forms} forms</p>{error}{_source_line(review, located)}"
            f'{f"<ol class=toc>{toc}</ol>" if toc else ""}{forms}')
    return document(review.source_path, body, "../../")


def document(title: str, body: str, root: str, scripts: Iterable[str] = ()) -> str:
    script = "".join(f'<script src="{root}assets/{name}"></script>' for name in scripts)
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{escape(title)} — jixiao review</title>'
            f'<link rel="stylesheet" href="{root}assets/review.css"></head><body>{body}{script}</body></html>\n')

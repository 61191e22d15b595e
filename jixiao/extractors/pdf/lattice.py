"""Ruled tables on one page: the cell grid from the page's lines and rectangles.

pdfplumber finds each cell's rectangle (merged cells included, as one large
rectangle); the distinct x and y edges of those rectangles give the table's
columns and rows, so a merged cell becomes one cell with its spans. The
characters inside a cell, in reading order, are its text.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jixiao.extractors.pdf.lines import Char, TextLine, text_lines
from jixiao.extractors.pdf.wrap import join_lines
from jixiao.grid import BBox

# Edges closer than this (points) are one edge: ruling lines have width, and
# exporters place the two sides of a cell border a fraction of a point apart.
EDGE_TOLERANCE = 1.5
# Room between a cell's border and its text, at most (points); exporters use 1.5 to 6.
_MAX_PADDING = 8.0
# Ruling lines shorter than this (points) do not make a table: underlines, ticks.
_MIN_RULE = 10.0
_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}


@dataclass(slots=True)
class PdfCell:
    bbox: BBox
    row: int
    rowspan: int
    col: int
    colspan: int
    lines: list[TextLine] = field(default_factory=list)
    padding: float = 0.0
    # A cell of a table's right-hand part printed on a later page: that page, and how far
    # right of its printed place the cell stands in the whole table.
    page: int | None = None
    shift: float = 0.0

    @property
    def inner_width(self) -> float:
        return self.bbox[2] - self.bbox[0] - 2 * self.padding

    @property
    def text(self) -> str:
        return join_lines(self.lines, self.inner_width)


@dataclass(slots=True)
class PageTable:
    """One ruled table on one page; `xs`/`ys` are its column and row edges."""

    page: int
    bbox: BBox
    xs: list[float]
    ys: list[float]
    cells: list[PdfCell]

    @property
    def row_count(self) -> int:
        return len(self.ys) - 1


def cluster_edges(values: Sequence[float], tolerance: float = EDGE_TOLERANCE) -> list[float]:
    """Sorted distinct edges, values within `tolerance` of the previous one merged."""
    edges: list[float] = []
    for value in sorted(values):
        if not edges or value - edges[-1] > tolerance:
            edges.append(value)
    return edges


def edge_index(edges: list[float], value: float) -> int:
    """Index of the edge nearest to `value`."""
    return min(range(len(edges)), key=lambda i: abs(edges[i] - value))


def find_page_tables(page: Any, page_number: int, chars: list[Char]) -> tuple[list[PageTable], list[Char]]:
    """The page's ruled tables with their text, and the characters outside every cell."""
    frames = _frames(page.edges)
    settings = {**_SETTINGS, "explicit_vertical_lines": frames, "explicit_horizontal_lines": frames}
    tables: list[PageTable] = []
    for found in page.find_tables(settings):
        table = _grid(found.cells, page_number)
        if table is not None:
            tables.append(table)
    outside: list[Char] = []
    per_cell: dict[int, list[Char]] = {}
    lookups = [(t, _occupancy(t)) for t in tables]
    for char in chars:
        # A character belongs where it starts: punctuation may hang past the cell's edge.
        x = char["x0"] + min(1.0, (char["x1"] - char["x0"]) / 4)
        cell = _cell_at(lookups, x, (char["top"] + char["bottom"]) / 2)
        if cell is None:
            outside.append(char)
        else:
            per_cell.setdefault(id(cell), []).append(char)
    for table in tables:
        for cell in table.cells:
            cell.lines = text_lines(per_cell.get(id(cell), []))
        # The table's padding: the least room any cell leaves left of its text.
        padding = min((line.x0 - c.bbox[0] for c in table.cells for line in c.lines), default=0.0)
        for cell in table.cells:
            cell.padding = min(max(padding, 0.0), _MAX_PADDING)
    tables.sort(key=lambda t: t.bbox[1])
    return tables, outside


def _frames(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outer border of each group of ruling lines, drawn or not.

    Tables printed without their outer border ("open" tables) rule only between
    rows and columns; the border is where those rules end. Ruling lines are grouped
    by the height they cover: tables on a page stand one below another."""
    groups: list[list[dict[str, Any]]] = []
    bottom = float("-inf")
    for edge in sorted(edges, key=lambda e: e["top"]):
        if groups and edge["top"] <= bottom + EDGE_TOLERANCE:
            groups[-1].append(edge)
        else:
            groups.append([edge])
            bottom = edge["bottom"]
        bottom = max(bottom, edge["bottom"])
    frames: list[dict[str, Any]] = []
    for group in groups:
        kinds = {e["orientation"] for e in group if max(e["width"], e["height"]) >= _MIN_RULE}
        if kinds != {"h", "v"}:
            continue
        x0, x1 = min(e["x0"] for e in group), max(e["x1"] for e in group)
        top, bottom_edge = min(e["top"] for e in group), max(e["bottom"] for e in group)
        frames.extend(_edge(x0, x1, y, y, "h") for y in (top, bottom_edge))
        frames.extend(_edge(x, x, top, bottom_edge, "v") for x in (x0, x1))
    return frames


def _edge(x0: float, x1: float, top: float, bottom: float, orientation: str) -> dict[str, Any]:
    return {"object_type": "frame_edge", "orientation": orientation, "x0": x0, "x1": x1, "top": top,
            "bottom": bottom, "width": x1 - x0, "height": bottom - top}


def _grid(rects: list[tuple[float, float, float, float]], page_number: int) -> PageTable | None:
    if not rects:
        return None
    xs = cluster_edges([v for r in rects for v in (r[0], r[2])])
    ys = cluster_edges([v for r in rects for v in (r[1], r[3])])
    if len(xs) < 2 or len(ys) < 2:
        return None
    cells = []
    for x0, top, x1, bottom in rects:
        c0, c1 = edge_index(xs, x0), edge_index(xs, x1)
        r0, r1 = edge_index(ys, top), edge_index(ys, bottom)
        if c1 <= c0 or r1 <= r0:
            continue
        cells.append(PdfCell(bbox=(x0, top, x1, bottom), row=r0, rowspan=r1 - r0, col=c0, colspan=c1 - c0))
    cells.sort(key=lambda c: (c.row, c.col))
    bbox = (xs[0], ys[0], xs[-1], ys[-1])
    return PageTable(page=page_number, bbox=bbox, xs=xs, ys=ys, cells=cells)


_Occupancy = dict[tuple[int, int], PdfCell]


def _occupancy(table: PageTable) -> _Occupancy:
    grid: _Occupancy = {}
    for cell in table.cells:
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                grid.setdefault((r, c), cell)
    return grid


def _cell_at(lookups: list[tuple[PageTable, _Occupancy]], x: float, y: float) -> PdfCell | None:
    for table, grid in lookups:
        x0, top, x1, bottom = table.bbox
        if x0 <= x <= x1 and top <= y <= bottom:
            r = min(bisect_right(table.ys, y) - 1, table.row_count - 1)
            c = min(bisect_right(table.xs, x) - 1, len(table.xs) - 2)
            return grid.get((r, c))
    return None

"""Ruled tables recovered from a cleaned page: the rules, then the cells they enclose.

Each region enclosed by rules is one cell, so a merged cell comes out whole;
its row and column spans are counted against the distinct rule positions of
its table. Sizes are measured in `unit`, the height of a printed character,
so the same rules hold at 150 or 300 dpi and on photos.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from jixiao.extractors.ocr.blobs import Blobs, find_blobs, keep_blobs

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in page pixels, exclusive ends

# A rule is longer than any stroke of a character; a short one counts where
# both its ends meet a rule across it (a cell border in a low row).
_MIN_RULE = 0.7
_LONG_H_RULE = 4.0
_MIN_H_RULE = 1.5
_LONG_V_RULE = 2.5
_TOUCH = 0.1
_EXTEND = 0.25
# Small gaps in a printed rule (noise, a faint scan) are bridged; never as wide as the
# gap between two lines of print, or strokes of stacked characters would join up.
_BRIDGE = 0.08
# A rule is a stroke's width thick; ink solid over this share of a character's height across (a
# scanner's dark border, the gutter beside a bound page, a black bar) is no rule, nor are the
# rims its blurred edges leave (this much wider).
_SOLID = 0.5
_SOLID_RIM = 0.15
# Dashed and dotted rules, and hairlines broken by a faint scan: thin ink (no more than _THIN_INK
# pixels of it within _THIN_REACH of a character's height across) is joined over gaps of up to
# _DASH_GAP (a dash's gap is a third of a character's height; a dot's less).
_THIN_REACH = 0.3
_THIN_INK = 5
_DASH_GAP = 0.4
_MIN_BROKEN_SHARE = 0.8
# A character's blob is at most this many times as tall as wide, and fills this share of its box
# (see unit_of_blobs).
_MAX_GLYPH_RATIO = 4
_MIN_GLYPH_FILL = 0.15
# A faded rule's way is clear of print: at most this share of it has ink (rules across it, noise)
# within this far (in character heights) either side; a way through a line of print has more.
_CLEAR_WAY = 0.1
_CLEAR_MARGIN = 0.3
# A rule overshooting the rule across it by up to this (in character heights) ends on it.
_ANCHOR = 1.0
# A rule with print close by on both sides over this share of it runs through a line of print.
_THROUGH_PRINT = 1 / 3
# A table's rule ending on nothing this near (in character heights) its table's outer side reaches
# it: the table's corner lay beyond the scan's edge (a sheet laid crooked: at 9° a corner's rules
# lose up to 2.6 character heights), or its frame faded there.
_TO_SIDE = 3.0
# A table is at least this wide and high; a cell at least this big.
_MIN_TABLE_W, _MIN_TABLE_H = 4.0, 1.5
_MIN_CELL = 0.5
# A cell fills its bounding box; a sliver between a slanted border and the frame does not.
_MIN_FILL = 0.6
# Cell edges closer than this are the same rule position.
_SAME_RULE = 0.6


@dataclass(frozen=True, slots=True)
class GridCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    box: Box  # the inside of the cell, rules excluded


@dataclass(frozen=True, slots=True)
class RuledTable:
    box: Box
    cells: tuple[GridCell, ...]


@dataclass(frozen=True, slots=True)
class Layout:
    unit: float
    tables: tuple[RuledTable, ...]
    rules: np.ndarray  # bool mask of the rules found


def text_unit(ink: np.ndarray) -> float:
    """The height of a printed character, from the sizes of the page's ink blobs."""
    blobs = find_blobs(ink.astype(np.uint8))
    _, _, widths, heights = blobs.boxes()
    return unit_of_blobs(widths, heights, ink.shape, blobs.fills())


def unit_of_blobs(widths: np.ndarray, heights: np.ndarray, shape: tuple[int, ...],
                  fills: np.ndarray | None = None) -> float:
    """`text_unit` of a page of this shape whose ink blobs have these sizes (and `fills`, `Blobs.fills`)."""
    h_page, w_page = shape[:2]
    # A character is about as wide as high (a "1" a quarter as wide) and fills a good part of its
    # box (a "十" a quarter); a taller sliver, or an open corner or cross of thin lines, is a piece
    # of a broken rule.
    small = ((heights >= max(4, 0.003 * h_page)) & (heights < 0.05 * h_page) & (widths < 0.05 * w_page)
             & (heights <= _MAX_GLYPH_RATIO * widths))
    if fills is not None:
        small &= fills >= _MIN_GLYPH_FILL
    if small.sum() < 5:
        return max(8.0, h_page / 100)
    return float(np.percentile(heights[small], 90))


def _runs(ink: np.ndarray, length: int, horizontal: bool) -> np.ndarray:
    size = (length, 1) if horizontal else (1, length)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
    return cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)


def _bridge(mask: np.ndarray, length: int, horizontal: bool) -> np.ndarray:
    size = (length, 1) if horizontal else (1, length)
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, size))


def _keep_rules(segments: np.ndarray, across: np.ndarray, long_len: float, horizontal: bool,
                reach: int, short: bool = True) -> np.ndarray:
    """Segments that are long, or (with `short`) whose two ends (`_ends`) meet a rule running across them."""
    blobs = find_blobs(segments)
    if not len(blobs):
        return np.zeros_like(segments)
    first, last, first_side, last_side = _ends(blobs, horizontal)
    keep = last - first + 1 >= long_len
    if short and not keep.all():
        near = _near(across, reach)
        if horizontal:
            meets = (near[first_side, first] > 0) & (near[last_side, last] > 0)
        else:
            meets = (near[first, first_side] > 0) & (near[last, last_side] > 0)
        keep |= meets
    return keep_blobs(segments, blobs, keep)


def _ends(blobs: Blobs, horizontal: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where each segment (blob) begins and ends along its direction, and across it the first pixel
    (topmost, or leftmost) of its first and of its last column (or row): its two ends. They lie on
    its outer border, so the borders alone decide."""
    x, y = blobs.points[:, 0], blobs.points[:, 1]
    along, side = (x, y) if horizontal else (y, x)
    first, last = blobs.low(along), blobs.high(along)
    owner = blobs.owner()
    beyond = np.iinfo(side.dtype).max
    return (first, last, blobs.low(np.where(along == first[owner], side, beyond)),
            blobs.low(np.where(along == last[owner], side, beyond)))


def _near(rules: np.ndarray, reach: int) -> np.ndarray:
    """Within `reach` pixels of a rule."""
    return cv2.dilate(rules, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 2 * reach + 1)))


def find_rules(ink: np.ndarray, faint: np.ndarray, unit: float) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rule masks (uint8, 255 = rule).

    Long rules are looked for in `faint` (a lighter ink mask), where a hairline rule
    blurred by the scan stays whole; short ones (a border in a low row) only in `ink`,
    where print keeps its distance from the rules around it.
    """
    min_len = max(3, round(_MIN_RULE * unit))
    h_len = round(_MIN_H_RULE * unit)
    bridge = max(2, round(_BRIDGE * unit))
    reach = max(2, round(_TOUCH * unit))
    solid = _solid(ink, unit)
    candidates = {}
    for name, mask in (("ink", ink), ("faint", faint)):
        mask8 = mask.astype(np.uint8) * 255
        if solid is not None:
            mask8[solid] = 0
        candidates[name] = (_bridge(_runs(mask8, h_len, True), bridge, True),
                            _bridge(_runs(mask8, min_len, False), bridge, False))
    # A table ruled in dashes or dots (`broken_rules` joins them over paper only): where joining them
    # up adds much to the rules already seen. Elsewhere a scan's noise (a fax's ragged rules, the
    # strokes of small or blurred print) joins up too, and costs more cells than it saves.
    dashed = broken_rules(faint if solid is None else faint & ~solid, unit, h_len, min_len, candidates["faint"][0])
    seen = cv2.bitwise_or(*candidates["faint"])
    added = cv2.bitwise_and(cv2.bitwise_or(*dashed), cv2.bitwise_not(seen))
    if cv2.countNonZero(added) <= _MIN_BROKEN_SHARE * cv2.countNonZero(seen):
        dashed = (np.zeros_like(dashed[0]), np.zeros_like(dashed[1]))
    candidates["faint"] = (cv2.bitwise_or(candidates["faint"][0], dashed[0]),
                           cv2.bitwise_or(candidates["faint"][1], dashed[1]))
    gap = max(2, round(_DASH_GAP * unit))
    long_h = _keep_rules(candidates["faint"][0], candidates["faint"][1], _LONG_H_RULE * unit, True, reach, False)
    long_v = _keep_rules(candidates["faint"][1], candidates["faint"][0], _LONG_V_RULE * unit, False, reach, False)
    vertical = cv2.bitwise_or(long_v, _keep_rules(candidates["ink"][1], cv2.bitwise_or(long_h, candidates["ink"][0]),
                                                  _LONG_V_RULE * unit, False, reach))
    # Short rules broken or dashed (a border in a low row), on a dashed page: where both ends meet rules
    # (a dot's width from them: the last dot before a rule may lie that far off it).
    dotted = reach + bridge
    vertical = cv2.bitwise_or(vertical, _keep_rules(dashed[1], long_h, np.inf, False, dotted))
    horizontal = cv2.bitwise_or(long_h, _keep_rules(candidates["ink"][0], vertical, _LONG_H_RULE * unit, True,
                                                    reach))
    horizontal = cv2.bitwise_or(horizontal, _keep_rules(dashed[0], vertical, np.inf, True, dotted))
    anchor = round(_ANCHOR * unit)
    clear = round(_CLEAR_MARGIN * unit)
    horizontal = _continued(horizontal, vertical, ink, reach, anchor, clear, gap, True)
    vertical = _continued(vertical, horizontal, ink, reach, anchor, clear, gap, False)
    reach = max(2, round(_EXTEND * unit))
    # Rules that stop a pixel or two short of the rule they meet would let a cell
    # leak into its neighbour: both kinds are lengthened a little at their ends.
    vertical = cv2.dilate(vertical, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 2 * reach + 1)))
    horizontal = cv2.dilate(horizontal, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 1)))
    return horizontal, vertical


def _continued(along: np.ndarray, across: np.ndarray, ink: np.ndarray, reach: int, anchor: int, clear: int,
               gap: int, horizontal: bool) -> np.ndarray:
    """Rules end on rules. A rule whose end meets no rule across it, where part of it faded out (a
    copier's dropout, a dry pen), is continued along its line to the next piece of a rule in line
    with it, where the way there is clear of print; else it is left as it is. One stopping short of
    a rule across by up to `gap` (a broken rule's last piece lost) is drawn on to it, unless it runs
    through print (`_through_print`). (Not to a rule across: the ring of a seal printed grey, or the
    next table, would be joined to the table.)"""
    blobs = find_blobs(along)
    if not len(blobs):
        return along
    first, last, first_side, last_side = _ends(blobs, horizontal)
    near = _near(across, reach)
    lines = along
    if not horizontal:
        near, lines, ink = near.T, lines.T, ink.T
    out = along if horizontal else along.T
    out = out.copy()
    length = lines.shape[1]
    xs, ys, ws, hs = blobs.boxes()
    boxes = list(zip(xs, ys, ws, hs, strict=True)) if horizontal else list(zip(ys, xs, hs, ws, strict=True))
    ends = [(int(f), int(s), -1, k) for k, (f, s) in enumerate(zip(first, first_side, strict=True))] + \
           [(int(e), int(s), 1, k) for k, (e, s) in enumerate(zip(last, last_side, strict=True))]
    for end, at, step, k in ends:
        # Anchored: a rule across meets it at its end, or it overshoots one a little.
        back = slice(end, min(length, end + anchor + 1)) if step < 0 else slice(max(0, end - anchor), end + 1)
        if near[at, back].any():
            continue
        start = end + step
        if not 0 <= start < length:
            continue
        # A broken rule whose last piece is lost stops short of the rule across by a gap: it ends there.
        short = near[at, start:start + gap] if step > 0 else near[at, max(0, start - gap + 1):start + 1][::-1]
        if short.any() and not _through_print(ink, boxes[k], clear):
            stop = start + step * int(np.argmax(short))
            out[at, min(end, stop):max(end, stop) + 1] = 255
            continue
        band = slice(max(0, at - 1), at + 2)
        ahead = lines[band, start:].max(axis=0) if step > 0 else lines[band, :start + 1].max(axis=0)[::-1]
        found = np.flatnonzero(ahead)
        if not len(found):
            continue
        stop = start + step * int(found[0])
        lo, hi = sorted((end, stop))
        margin = slice(max(0, at - clear), at + clear + 1)
        if np.count_nonzero(ink[margin, lo:hi + 1].any(axis=0)) > _CLEAR_WAY * (hi - lo + 1):
            continue
        out[at, lo:hi + 1] = 255
    return out if horizontal else np.ascontiguousarray(out.T)


def _through_print(ink: np.ndarray, box: tuple[int, int, int, int], clear: int) -> bool:
    """Whether a rule (`box`: along, across, length, thickness, as `ink` lies) has print within `clear`
    of it on both sides over `_THROUGH_PRINT` of its length: strokes of a line of print run together
    (the 一 of 一级指标 and the strokes at its height in a blurred photo), not a rule between lines."""
    x, y, w, h = (int(v) for v in box)
    above = ink[max(0, y - clear):y, x:x + w].any(axis=0)
    below = ink[y + h:y + h + clear, x:x + w].any(axis=0)
    return w > 0 and bool(np.count_nonzero(above & below) > _THROUGH_PRINT * w)


def _thin(mask8: np.ndarray, reach: int, horizontal: bool) -> np.ndarray:
    """Ink with paper `reach` pixels either side across its run: a rule's dashes and dots (print
    is denser: a character's other strokes lie that near)."""
    size = (1, 2 * reach + 1) if horizontal else (2 * reach + 1, 1)
    count = cv2.boxFilter((mask8 > 0).astype(np.uint8), cv2.CV_16U, size, normalize=False,
                          borderType=cv2.BORDER_CONSTANT)
    return np.where(count <= _THIN_INK, mask8, 0).astype(np.uint8)


def broken_rules(mask: np.ndarray, unit: float, h_len: int, v_len: int,
                 solid_h: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Dashed, dotted and broken hairline rules joined up: thin ink (`_thin`) closed along its
    direction over gaps of up to _DASH_GAP, then long runs of it, as solid rules are found. Vertical
    ones are looked for without the horizontal rules (those joined here, and `solid_h`), and end on
    them: a dot beside a rule across it is no less thin, and a short rule reaches the rules at its ends."""
    mask8 = mask.astype(np.uint8) * 255
    reach = max(3, round(_THIN_REACH * unit))
    gap = max(2, round(_DASH_GAP * unit))

    def joined(ink: np.ndarray, horizontal: bool, length: int, stops: np.ndarray | None = None) -> np.ndarray:
        # Joined over paper, never through print: a stroke standing across the line (longer than
        # a rule or a dot is thick) cuts the join, so the stroke ends of a line of print do not join up.
        across = _runs(ink, reach + 1, not horizontal)
        if stops is not None:
            across = cv2.bitwise_or(across, stops)
        bridged = cv2.bitwise_and(_bridge(_thin(ink, reach, horizontal), gap, horizontal), cv2.bitwise_not(across))
        return _runs(bridged, length, horizontal)

    horizontal = joined(mask8, True, h_len)
    rules_h = horizontal if solid_h is None else cv2.bitwise_or(horizontal, solid_h)
    return horizontal, joined(cv2.bitwise_and(mask8, cv2.bitwise_not(rules_h)), False, v_len, rules_h)


def _solid(ink: np.ndarray, unit: float) -> np.ndarray | None:
    """Where `ink` is solid (a square half a character high fits in it), widened by its rims; None
    where there is none (most pages). No stroke of print is that thick."""
    side = max(3, round(_SOLID * unit))
    core = cv2.erode(ink.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, (side, side)))
    if not core.any():
        return None
    reach = side // 2 + max(1, round(_SOLID_RIM * unit))
    return cv2.dilate(core, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 2 * reach + 1))) > 0


def _positions(values: list[int], tolerance: float) -> list[float]:
    """Distinct rule positions: values closer than `tolerance` are one."""
    groups: list[list[int]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= tolerance:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(g) / len(g) for g in groups]


def _nearest(positions: list[float], values: list[int]) -> list[int]:
    """The index of the position nearest each value (the first, where two are as near)."""
    return np.abs(np.asarray(values, np.float64)[:, None] - np.asarray(positions)[None, :]).argmin(axis=1).tolist()


def _to_sides(own: np.ndarray, horizontal: np.ndarray, vertical: np.ndarray, ink: np.ndarray,
              unit: float) -> np.ndarray:
    """`own` (a table's rules, in its bounding box) with every rule that ends near the box's side
    drawn on to it: where it ends on the frame's line (overshooting the rule across, as all do), or
    where it ends on no rule across it (`_continued`), within _TO_SIDE, the way there clear of print."""
    reach = max(2, round(_TOUCH * unit))
    far = round(_TO_SIDE * unit)
    # Rules are lengthened at their ends (find_rules), so the box's side lies that far beyond the
    # frame; one ending as near it stops at the frame, which may be lost on other rows: it goes on
    # to the side, or the cells of those rows would run together round the frame's end.
    overshoot = max(2, round(_EXTEND * unit)) + reach
    anchor = round(_ANCHOR * unit)
    clear = round(_CLEAR_MARGIN * unit)
    out = own.copy()
    for horizontal_rules in (True, False):
        along, across = (horizontal, vertical) if horizontal_rules else (vertical, horizontal)
        along = cv2.bitwise_and(along, own)
        blobs = find_blobs(along)
        if not len(blobs):
            continue
        first, last, first_side, last_side = _ends(blobs, horizontal_rules)
        near = _near(cv2.bitwise_and(across, own), reach)
        lines, printed, drawn = (near, ink, out) if horizontal_rules else (near.T, ink.T, out.T)
        length = lines.shape[1]
        for end, at, side in [(int(f), int(s), 0) for f, s in zip(first, first_side, strict=True)] + \
                             [(int(e), int(s), length - 1) for e, s in zip(last, last_side, strict=True)]:
            lo, hi = sorted((end, side))
            if not 0 < hi - lo <= far:
                continue
            if hi - lo > overshoot:
                # Anchored: a rule across meets it at its end, or it overshoots one a little.
                back = slice(end, min(length, end + anchor + 1)) if side < end else slice(max(0, end - anchor), end + 1)
                if lines[at, back].any():
                    continue
                margin = slice(max(0, at - clear), at + clear + 1)
                if np.count_nonzero(printed[margin, lo:hi + 1].any(axis=0)) > _CLEAR_WAY * (hi - lo + 1):
                    continue
            drawn[at, lo:hi + 1] = 255
    return out


def _table_cells(own: np.ndarray, origin: tuple[int, int], unit: float) -> tuple[GridCell, ...]:
    """The cells enclosed by one table's rules; `own` is the table's bounding box with
    only its own rules set, `origin` where that box sits on the page."""
    ox, oy = origin
    frame = own.copy()
    # An open side (no outer rule) still closes the cells along it.
    cv2.rectangle(frame, (0, 0), (frame.shape[1] - 1, frame.shape[0] - 1), 255, 1)
    n, _, stats, _ = cv2.connectedComponentsWithStats((frame == 0).astype(np.uint8), connectivity=4)
    found: list[Box] = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if w < _MIN_CELL * unit or h < _MIN_CELL * unit or area < _MIN_FILL * w * h:
            continue
        found.append((ox + x, oy + y, ox + x + w, oy + y + h))
    if not found:
        return ()
    tolerance = _SAME_RULE * unit
    xs = _positions([b[0] for b in found] + [b[2] for b in found], tolerance)
    ys = _positions([b[1] for b in found] + [b[3] for b in found], tolerance)
    cols = zip(_nearest(xs, [b[0] for b in found]), _nearest(xs, [b[2] for b in found]), strict=True)
    rows = zip(_nearest(ys, [b[1] for b in found]), _nearest(ys, [b[3] for b in found]), strict=True)
    cells = [GridCell(row=r0, col=c0, rowspan=max(1, r1 - r0), colspan=max(1, c1 - c0), box=b)
             for b, (c0, c1), (r0, r1) in zip(found, cols, rows, strict=True)]
    cells.sort(key=lambda c: (c.row, c.col))
    return _dense(cells)


def _dense(cells: list[GridCell]) -> tuple[GridCell, ...]:
    """Renumber rows and columns so that no index is skipped."""
    rows = sorted({c.row for c in cells} | {c.row + c.rowspan for c in cells})
    cols = sorted({c.col for c in cells} | {c.col + c.colspan for c in cells})
    r, k = {v: i for i, v in enumerate(rows)}, {v: i for i, v in enumerate(cols)}
    return tuple(GridCell(row=r[c.row], col=k[c.col], rowspan=r[c.row + c.rowspan] - r[c.row],
                          colspan=k[c.col + c.colspan] - k[c.col], box=c.box) for c in cells)


def find_tables(ink: np.ndarray, faint: np.ndarray | None = None, unit: float | None = None) -> Layout:
    """Tables on the page; rules are looked for in `faint` (a lighter ink mask) when given."""
    unit = unit or text_unit(ink)
    horizontal, vertical = find_rules(ink, ink if faint is None else faint, unit)
    rules = cv2.bitwise_or(horizontal, vertical)
    blobs = find_blobs(rules)
    tables = []
    kept = np.zeros(len(blobs), dtype=bool)
    # Smaller crossings of strokes are print (目, 田 in a large title), not a table.
    xs, ys, ws, hs = blobs.boxes()
    for i in np.flatnonzero((ws >= _MIN_TABLE_W * unit) & (hs >= _MIN_TABLE_H * unit)).tolist():
        box = (int(xs[i]), int(ys[i]), int(xs[i] + ws[i]), int(ys[i] + hs[i]))
        own = keep_blobs(rules, blobs, np.arange(len(blobs)) == i, box)
        x0, y0, x1, y1 = box
        own = _to_sides(own, horizontal[y0:y1, x0:x1], vertical[y0:y1, x0:x1], ink[y0:y1, x0:x1], unit)
        cells = _table_cells(own, box[:2], unit)
        if len(cells) >= 2:
            tables.append(RuledTable(box=box, cells=cells))
            kept[i] = True
    tables.sort(key=lambda t: (t.box[1], t.box[0]))
    return Layout(unit=unit, tables=tuple(tables), rules=keep_blobs(rules, blobs, kept) > 0)

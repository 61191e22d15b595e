"""Rules, blobs, coloured ink and pen marks measured the quick way, against the way that labels
or visits every pixel of the page, on a page of the scanned corpus."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from scanlib import BLUE_PEN, _pen, stamp, tick

from jixiao.extractors.ocr import ruling
from jixiao.extractors.ocr.blobs import find_blobs, keep_blobs
from jixiao.extractors.ocr.clean import CleanPage, clean_page, drop_colour
from jixiao.extractors.ocr.marks import _unmarked, find_marks
from jixiao.extractors.ocr.render import PageImage, pdf_pages


@pytest.fixture(scope="module")
def scanned(shared: Path) -> PageImage:
    return next(pdf_pages((shared / "corpus" / "pdf_scanned" / "a_scan_01.pdf").read_bytes(), [1]))


@pytest.fixture(scope="module")
def page(scanned: PageImage) -> CleanPage:
    return clean_page(scanned.rgb)


def _labelled_keep(segments: np.ndarray, across: np.ndarray, long_len: float, horizontal: bool, reach: int,
                   short: bool = True) -> np.ndarray:
    """`ruling._keep_rules` as first written: every pixel labelled, each candidate's ends looked up in turn."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(segments, connectivity=8)
    near = cv2.dilate(across, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 2 * reach + 1)))
    keep = np.zeros(n, dtype=bool)
    for i in range(1, n):
        x, y, w, h = stats[i, :4]
        if (w if horizontal else h) >= long_len:
            keep[i] = True
        elif short and horizontal:
            ys, ye = np.nonzero(labels[y:y + h, x] == i)[0], np.nonzero(labels[y:y + h, x + w - 1] == i)[0]
            keep[i] = near[y + ys[0], x] > 0 and near[y + ye[0], x + w - 1] > 0
        elif short:
            xs, xe = np.nonzero(labels[y, x:x + w] == i)[0], np.nonzero(labels[y + h - 1, x:x + w] == i)[0]
            keep[i] = near[y, x + xs[0]] > 0 and near[y + h - 1, x + xe[0]] > 0
    return (keep[labels] * 255).astype(np.uint8)


def _blob_count(mask: np.ndarray) -> int:
    return cv2.connectedComponents(mask, connectivity=8)[0] - 1


def test_rule_candidates_of_a_scanned_page_are_kept_as_when_every_pixel_is_labelled(page: CleanPage) -> None:
    unit = ruling.text_unit(page.ink)
    bridge, reach = max(2, round(ruling._BRIDGE * unit)), max(2, round(ruling._TOUCH * unit))
    h_len, v_len = round(ruling._MIN_H_RULE * unit), max(3, round(ruling._MIN_RULE * unit))
    long_h_len, long_v_len = ruling._LONG_H_RULE * unit, ruling._LONG_V_RULE * unit
    candidates = {}
    for name, mask in (("ink", page.ink), ("faint", page.faint)):
        mask8 = mask.astype(np.uint8) * 255
        candidates[name] = (ruling._bridge(ruling._runs(mask8, h_len, True), bridge, True),
                            ruling._bridge(ruling._runs(mask8, v_len, False), bridge, False))
    (ink_h, ink_v), (faint_h, faint_v) = candidates["ink"], candidates["faint"]
    # Each call find_rules makes, in its order.
    long_h = ruling._keep_rules(faint_h, faint_v, long_h_len, True, reach, False)
    assert np.array_equal(long_h, _labelled_keep(faint_h, faint_v, long_h_len, True, reach, False))
    long_v = ruling._keep_rules(faint_v, faint_h, long_v_len, False, reach, False)
    assert np.array_equal(long_v, _labelled_keep(faint_v, faint_h, long_v_len, False, reach, False))
    across = cv2.bitwise_or(long_h, ink_h)
    short_v = ruling._keep_rules(ink_v, across, long_v_len, False, reach)
    assert np.array_equal(short_v, _labelled_keep(ink_v, across, long_v_len, False, reach))
    vertical = cv2.bitwise_or(long_v, short_v)
    short_h = ruling._keep_rules(ink_h, vertical, long_h_len, True, reach)
    assert np.array_equal(short_h, _labelled_keep(ink_h, vertical, long_h_len, True, reach))
    # Not a comparison of nothing: most vertical candidates in the ink are strokes of print, dropped,
    # while the table's rules are kept.
    assert _blob_count(ink_v) > 20 * _blob_count(short_v) > 0
    assert _blob_count(long_h) > 5 and _blob_count(long_v) > 5
    # No rule of this page is short; with none counted long, every candidate stands or falls by its ends.
    for segments, other, horizontal in ((ink_v, across, False), (ink_h, vertical, True)):
        by_ends = ruling._keep_rules(segments, other, 1e9, horizontal, reach)
        assert np.array_equal(by_ends, _labelled_keep(segments, other, 1e9, horizontal, reach))
        assert 0 < _blob_count(by_ends) < _blob_count(segments)


def test_a_short_rule_is_kept_where_both_its_ends_meet_a_rule_across() -> None:
    across = np.zeros((40, 60), np.uint8)
    across[5, :] = across[30, :] = 255
    down = np.zeros_like(across)
    down[6:30, 10] = 255  # both ends meet a rule
    down[6:20, 30] = 255  # the top end only
    down[9:27, 50] = 255  # neither
    kept = ruling._keep_rules(down, across, long_len=100, horizontal=False, reach=2)
    assert np.array_equal(np.flatnonzero(kept.any(axis=0)), [10])
    # An end is the first pixel of the segment's first or last row: a fork at the bottom meets a rule
    # that stops short of its right prong.
    fork, stub = np.zeros_like(across), across.copy()
    fork[6:28, 40] = 255
    fork[28, [39, 41]] = fork[29, [38, 42]] = 255
    stub[30, 39:] = 0
    assert np.array_equal(ruling._keep_rules(fork, stub, long_len=100, horizontal=False, reach=1), fork)
    assert not ruling._keep_rules(fork[:, ::-1].copy(), stub[:, ::-1].copy(), 100, horizontal=False, reach=1).any()
    assert np.array_equal(ruling._keep_rules(fork.T.copy(), stub.T.copy(), 100, horizontal=True, reach=1), fork.T)
    assert np.array_equal(ruling._keep_rules(down, across, long_len=18, horizontal=False, reach=2),
                          np.where(np.isin(np.arange(60), [10, 50]), down, 0))


def test_a_blob_in_the_hole_of_another_is_a_blob_of_its_own() -> None:
    mask = np.zeros((30, 30), np.uint8)
    mask[2:28, 2:28] = 255
    mask[4:26, 4:26] = 0
    mask[12:17, 12:17] = 255
    blobs = find_blobs(mask)
    x, y, w, h = blobs.boxes()
    boxes = sorted(zip(x.tolist(), y.tolist(), w.tolist(), h.tolist(), blobs.nesting.tolist()))
    assert boxes == [(2, 2, 26, 26, 0), (12, 12, 5, 5, 1)]
    frame = w == 26
    frame_only, dot_only = mask.copy(), np.zeros_like(mask)
    frame_only[12:17, 12:17], dot_only[12:17, 12:17] = 0, 255
    assert np.array_equal(keep_blobs(mask, blobs, frame), frame_only)
    assert np.array_equal(keep_blobs(mask, blobs, ~frame), dot_only)
    assert np.array_equal(keep_blobs(mask, blobs, ~frame, (10, 10, 20, 20)), dot_only[10:20, 10:20])


def test_blobs_by_their_borders_are_the_labelled_blobs_of_a_scanned_page(page: CleanPage) -> None:
    for mask in (page.ink, page.faint):
        x, y, w, h = find_blobs(mask.astype(np.uint8)).boxes()
        stats = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)[2][1:, :4]
        assert len(stats) > 500
        assert sorted(zip(x.tolist(), y.tolist(), w.tolist(), h.tolist())) == sorted(map(tuple, stats.tolist()))


def _full_page_drop_colour(rgb: np.ndarray) -> np.ndarray:
    """`clean.drop_colour` as first written (paper not tinted): every pixel weighed, each hue a pass over the page."""
    r, g, b = cv2.split(rgb)
    top = cv2.max(cv2.max(r, g), b)
    chroma = cv2.subtract(top, cv2.min(cv2.min(r, g), b))
    weight = np.clip((chroma.astype(np.float32) / np.maximum(top, 1) - 0.15) / 0.2, 0, 1)
    weight[chroma < 25] = 0
    coloured = weight > 0.99
    hue = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV_FULL)[:, :, 0] // 16
    paper = float(np.percentile(top[::4, ::4], 90))
    gain = np.ones(16, np.float32)
    for k in range(16):
        values = top[coloured & ((hue == k) | (hue == (k + 1) % 16) | (hue == (k - 1) % 16))]
        if len(values) >= 200:
            gain[k] = np.clip(paper / max(float(np.percentile(values, 90)), 1.0), 1.0, 4.0)
    return np.clip(top.astype(np.float32) * (1 + weight * (gain[hue] - 1)), 0, 255).astype(np.uint8)


def test_colour_is_dropped_as_when_every_pixel_is_weighed(scanned: PageImage) -> None:
    sheet = Image.fromarray(np.ascontiguousarray(scanned.rgb[400:1200, 300:1100]))  # part of the first table
    sheet = stamp(sheet, (450, 350), 160)
    sheet = _pen(sheet, [tick((200, 650), 80, np.random.default_rng(3))], BLUE_PEN, 4)
    rgb = np.asarray(sheet)
    gray = drop_colour(rgb)
    assert np.array_equal(gray, _full_page_drop_colour(rgb))
    seal, pen = rgb[:, :, 0].astype(int) - rgb[:, :, 1] > 60, rgb[:, :, 2].astype(int) - rgb[:, :, 0] > 60
    assert seal.sum() > 2000 and pen.sum() > 100
    assert np.median(gray[seal]) > 200 and np.median(gray[pen]) > 200  # both are paper now


def test_a_cell_is_looked_at_for_marks_only_where_its_rows_of_ink_allow_one(page: CleanPage) -> None:
    layout = ruling.find_tables(page.ink, page.faint)
    near = cv2.dilate(layout.rules.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    ink = page.ink & ~near
    cell = max((c for t in layout.tables for c in t.cells), key=lambda c: ink[c.box[1]:c.box[3], c.box[0]:c.box[2]].sum())
    x0, y0, x1, y1 = cell.box
    assert _unmarked(ink[y0:y1, x0:x1], layout.unit) and find_marks(ink, cell.box, layout.unit) is None
    # A pen's tick over it, taller than the print and reaching the cell's border: looked at, and found.
    ticked = ink.copy()
    cv2.line(ticked.view(np.uint8), (x1 - 40, y1 - 1), (x1 - 20, y0 + 1), 1, 3)
    assert not _unmarked(ticked[y0:y1, x0:x1], layout.unit)
    assert find_marks(ticked, cell.box, layout.unit) is not None

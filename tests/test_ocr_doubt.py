"""How sure a reading is, told from the text itself: the comma and full stop between Chinese
characters, a comma at a line's wrap, brackets that do not pair and a lone letter or two. On the
corpus gold (every text as printed) and on those texts misread as the recognisers misread them."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from scripted import Scripted, script_lines

from jixiao.extractors import ExtractOptions
from jixiao.extractors.ocr.engines.ctc import Alphabet
from jixiao.extractors.ocr.punctuation import punctuation_across_lines, spacing_as_printed
from jixiao.extractors.ocr.suspect import SUSPECT, cannot_be_printed


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


_PRINTED = {"project_name", "department", "implementing_unit", "project_lead", "goal_expected", "goal_actual",
            "level1_raw", "level2_raw", "name", "target_raw", "actual_raw", "deviation_note"}


def gold_texts(shared: Path) -> list[str]:
    """Every text the corpus gold says a form printed, project and indicator fields alike."""
    texts = []
    for path in sorted((shared / "corpus" / "gold").glob("*.json")):
        for form in json.loads(path.read_text(encoding="utf-8"))["forms"]:
            texts += [v for k, v in form.items() if k in _PRINTED and isinstance(v, str)]
            texts += [v for row in form["indicators"] for k, v in row.items() if k in _PRINTED and isinstance(v, str)]
    return texts


def test_a_comma_in_prose_is_as_sure_as_its_full_stop_twin_and_trusted_from_0_4() -> None:
    """Class 0 is the blank. "，" split with "." between 提 and 高, or after 提 at the line's end, is
    one reading ("." is put back as "，" there); a comma read there with 0.4 or more is trusted (0.95);
    in "1.5" the same split leaves the point in doubt, and a "。" read in prose keeps its doubt."""
    alphabet = Alphabet(["提", "高", "，", ".", "1", "5", "、", "。"])

    def read(steps: list[tuple[int, float, int, float]]) -> tuple[str, tuple[float, ...] | None]:
        classes, probs, second, second_probs = (np.array(column) for column in zip(*steps, strict=True))
        reading = alphabet.decode(classes, probs, second, second_probs)
        return reading.text, reading.chars

    han, gao = (1, 1.0, 0, 0.0), (2, 1.0, 0, 0.0)
    assert read([han, (3, 0.55, 4, 0.44), gao]) == ("提，高", pytest.approx((1.0, 0.99, 1.0)))
    assert read([han, (4, 0.6, 3, 0.39), (9, 1.0, 0, 0.0), gao]) == ("提. 高", pytest.approx((1.0, 0.99, 1.0, 1.0)))
    assert read([han, (4, 0.55, 3, 0.44)]) == ("提.", pytest.approx((1.0, 0.99)))
    assert read([han, (3, 0.45, 0, 0.4), gao]) == ("提，高", pytest.approx((1.0, 0.95, 1.0)))
    assert read([han, (3, 0.35, 7, 0.3), gao]) == ("提，高", pytest.approx((1.0, 0.35, 1.0)))
    assert read([han, (8, 0.55, 3, 0.44), gao]) == ("提。高", pytest.approx((1.0, 0.55, 1.0)))
    assert read([(5, 1.0, 0, 0.0), (4, 0.55, 3, 0.44), (6, 1.0, 0, 0.0)]) == ("1.5", pytest.approx((1.0, 0.55, 1.0)))
    # How sure the comma trusted was as read (the cascade reads a line holding one below 0.9 again).
    assert alphabet.decode(*(np.array(c) for c in zip(han, (3, 0.45, 0, 0.4), gao, strict=True))).comma_read == 0.45
    assert alphabet.decode(*(np.array(c) for c in zip(han, (3, 0.55, 4, 0.44), gao, strict=True))).comma_read == \
        pytest.approx(0.99)


def test_a_full_stop_ending_a_wrapped_line_is_the_comma_printed(shared: Path) -> None:
    """Goal texts of the corpus wrapped into lines of 12 characters, each "，" that ends a line read as
    "."; put back, the text is as printed. A figure's point at a line's end stays."""
    texts = [t for t in gold_texts(shared) if len(t) > 60 and "，" in unicodedata.normalize("NFC", t).replace(",", "，")]
    assert len(texts) > 20
    changed = 0
    for text in texts:
        printed = text.replace(",", "，")
        lines = [printed[k:k + 12] for k in range(0, len(printed), 12)]
        misread = [line[:-1] + "." if line.endswith("，") and k + 1 < len(lines) and _han(lines[k + 1][0])
                   and _han(line[-2]) else line for k, line in enumerate(lines)]
        changed += misread != lines
        assert punctuation_across_lines("\n".join(misread)) == "\n".join(lines)
    assert changed >= 5
    for figures in ("共计1.\n5万元", "2024.\n12.31", "No.\n1"):
        assert punctuation_across_lines(figures) == figures


def test_no_text_as_printed_cannot_be_printed(shared: Path) -> None:
    texts = gold_texts(shared)
    assert len(texts) > 1000
    assert [t for t in texts if cannot_be_printed(t)] == []


def test_brackets_that_do_not_pair_and_a_lone_letter_cannot_be_printed(shared: Path) -> None:
    """As the recognisers misread the corpus at 100 dpi and in faxes: the ")" of a level's weight
    dropped, a cell's ruled edge read as "[" before a line, a figure read as letters."""
    texts = gold_texts(shared)
    weights = [t for t in texts if t.endswith(("分)", "分）"))]
    assert weights and all(cannot_be_printed(t[:-1]) for t in weights)
    wrapped = [t for t in texts if len(t) > 30 and "[" not in t and "〔" not in t]
    assert all(cannot_be_printed(t[:15] + "\n[" + t[15:]) for t in wrapped)
    assert [cannot_be_printed(t) for t in ("I", "TT", "Do", "m", "1", "HIS系统", "A级", "(京发〔2022]9号)")] == \
        [True, True, True, True, False, False, False, False]
    assert 0 < SUSPECT < ExtractOptions().ocr_min_confidence  # below the default threshold


def _indicator_grid(gold: dict, merge_first_two_levels: bool, source: tuple[str, str] = ("image", "ocr")):
    """A scanned form's table as the reader gives it, from the gold of a corpus form: level cells
    merged over their rows; with `merge_first_two_levels`, the rule between the first two 一级指标
    lost, so that one cell spans both groups and holds both names."""
    from jixiao.grid import Cell, Grid, Table

    rows = gold["indicators"]
    cells = [Cell("项目名称", 0, 0), Cell(gold["project_name"], 0, 1, colspan=7),
             Cell("一级指标", 1, 0), Cell("二级指标", 1, 1), Cell("三级指标", 1, 2), Cell("年度指标值", 1, 3),
             Cell("实际完成值", 1, 4), Cell("分值", 1, 5), Cell("得分", 1, 6), Cell("偏差原因分析及改进措施", 1, 7)]
    groups: list[list[int]] = []
    for k, row in enumerate(rows):
        if groups and rows[groups[-1][0]]["level1_raw"] == row["level1_raw"]:
            groups[-1].append(k)
        else:
            groups.append([k])
    if merge_first_two_levels:
        groups[:2] = [groups[0] + groups[1]]
    for group in groups:
        text = "\n".join(dict.fromkeys(rows[k]["level1_raw"] for k in group))
        cells.append(Cell(text, 2 + group[0], 0, rowspan=len(group), confidence=0.99))
    for k, row in enumerate(rows):
        values = [row["level2_raw"], row["name"], row["target_raw"], row["actual_raw"], row["weight"], row["score"],
                  row["deviation_note"]]
        cells += [Cell("" if v is None else str(v), 2 + k, 1 + c, confidence=0.99) for c, v in enumerate(values)]
    total = 2 + len(rows)
    cells += [Cell("总分", total, 0, colspan=5), Cell(str(gold["total_weight"]), total, 5),
              Cell(str(gold["total_score"]), total, 6)]
    return Grid(*source, [Table(cells)], min_confidence=0.9)


def test_a_level_cell_that_names_two_levels_puts_the_rows_it_spans_in_doubt(shared: Path) -> None:
    """A fax lost the rule between 产出指标 and 效益指标 of a corpus form: one cell spans both
    groups. Its rows (and those whose level is inferred under it) are flagged; the next level's are
    not, and the form as printed has no flag."""
    from jixiao.normalizers import normalize

    gold = json.loads((shared / "corpus" / "gold" / "a_pdf_08.json").read_text(encoding="utf-8"))["forms"][2]
    levels = [row["level1_raw"] for row in gold["indicators"]]
    assert levels[:5] == ["产出指标"] * 4 + ["效益指标"] and levels[-1] == "满意度指标"
    printed = normalize(_indicator_grid(gold, False)).forms[0]
    assert [i.level1 for i in printed.indicators] == [row["level1"] for row in gold["indicators"]]
    assert all("unreadable_cell" not in i.issues for i in printed.indicators)
    merged = normalize(_indicator_grid(gold, True)).forms[0]
    flagged = ["unreadable_cell" in i.issues for i in merged.indicators]
    assert flagged == [True] * 7 + [False]
    # A document's own text is no reading: the same cells in a Word file are as the author made them.
    typed = normalize(_indicator_grid(gold, True, ("docx", "docx"))).forms[0]
    assert all("unreadable_cell" not in i.issues for i in typed.indicators)


def test_a_price_per_thing_without_its_slash_is_a_slash_lost(shared: Path) -> None:
    """Every target and actual of the corpus gold that prints a price per thing (元/人/年, 元/平方米/天)
    with a "/" dropped, as PP-OCR drops the thin stroke at 100 dpi, is known for it; as printed, none
    is; nor are amounts followed by other words (元人民币), nor a unit of two characters (元/人次)."""
    from jixiao.normalizers.values import lost_per_slash

    values = [v for path in sorted((shared / "corpus" / "gold").glob("*.json"))
              for form in json.loads(path.read_text(encoding="utf-8"))["forms"]
              for row in form["indicators"] for v in (row["target_raw"], row["actual_raw"]) if v]
    prices = [v for v in values if "元/" in v]
    assert len(prices) >= 5
    assert not any(lost_per_slash(v) for v in values)
    for price in prices:
        assert lost_per_slash(price.replace("元/", "元", 1))
        if price.count("/") > 1:
            assert lost_per_slash(price[::-1].replace("/", "", 1)[::-1])
    assert not any(lost_per_slash(v) for v in ("合计300元人民币", "≤20万元", "50元/人次", "8元/个月"))


def test_a_target_that_lost_its_slash_flags_its_row(shared: Path) -> None:
    gold = json.loads((shared / "corpus" / "gold" / "a_pdf_08.json").read_text(encoding="utf-8"))["forms"][2]
    gold["indicators"][2]["target_raw"] = "≤300元人/年"
    from jixiao.normalizers import normalize

    form = normalize(_indicator_grid(gold, False)).forms[0]
    assert ["unreadable_cell" in i.issues for i in form.indicators] == [False, False, True] + [False] * 5
    typed = normalize(_indicator_grid(gold, False, ("docx", "docx"))).forms[0]
    assert all("unreadable_cell" not in i.issues for i in typed.indicators)


def test_a_comparison_with_one_bar_or_two_is_one_reading() -> None:
    """"≤" split with "≦" is no doubt of the recogniser's: glyphs.py tells the bars from the glyph."""
    alphabet = Alphabet(["≤", "≦", "4", "0", "s"])
    classes, probs, second, second_probs = (np.array(c) for c in zip((1, 0.55, 2, 0.44), (3, 1.0, 0, 0.0),
                                                                         (4, 1.0, 0, 0.0), strict=True))
    assert alphabet.decode(classes, probs, second, second_probs).chars == pytest.approx((0.99, 1.0, 1.0))
    classes, probs, second, second_probs = (np.array(c) for c in zip((1, 0.55, 5, 0.44), (3, 1.0, 0, 0.0),
                                                                         (4, 1.0, 0, 0.0), strict=True))
    assert alphabet.decode(classes, probs, second, second_probs).chars == pytest.approx((0.55, 1.0, 1.0))


def test_a_full_stop_or_enumeration_comma_both_models_doubt_stays_in_doubt() -> None:
    """Read alike by tiny and small, a line is sure, but for a "。" or "、" each read below 0.9: a comma
    with its tail lost is read so by both. Another character both doubt is sure, as before."""
    from jixiao.extractors.ocr.engines import Reading
    from jixiao.extractors.ocr.engines.ppocr import CascadeEngine

    tiny = Scripted({0: Reading("需求。", 0.8, 0.39, (1.0, 1.0, 0.39)), 1: Reading("增强", 0.8, 0.63, (1.0, 0.63)),
                  2: Reading("减少、公报", 0.9, 0.61, (1.0, 1.0, 0.61, 1.0, 1.0)),
                  3: Reading("减少、公报", 0.9, 0.61, (1.0, 1.0, 0.61, 1.0, 1.0))})
    small = Scripted({0: Reading("需求。", 0.8, 0.49, (1.0, 1.0, 0.49)), 1: Reading("增强", 0.8, 0.57, (1.0, 0.57)),
                   2: Reading("减少、公报", 0.9, 0.8, (1.0, 1.0, 0.8, 1.0, 1.0)),
                   3: Reading("减少、公报", 0.9, 0.95, (1.0, 1.0, 0.95, 1.0, 1.0))})
    engine = CascadeEngine("test", tiny, small, 0.98)  # type: ignore[arg-type]
    readings = engine.read_lines(script_lines(4))
    assert [r.least for r in readings] == pytest.approx([0.49, 0.99, 0.8, 0.99])
    assert readings[0].chars == pytest.approx((1.0, 1.0, 0.49))


def test_spaces_read_between_chinese_and_figures_are_dropped(shared: Path) -> None:
    """The texts of the corpus gold with a space put between every Chinese character and the figure or
    Latin letter beside it, and after a comparison, as PP-OCR small reads them: back as printed."""
    import re

    texts = [t for t in gold_texts(shared) if re.search(r"[\u4e00-\u9fff][0-9A-Za-z]|[0-9A-Za-z][\u4e00-\u9fff]", t)]
    assert len(texts) > 100
    for text in texts:
        spaced = re.sub(r"(?<=[\u4e00-\u9fff])(?=[0-9A-Za-z])|(?<=[0-9A-Za-z%])(?=[\u4e00-\u9fff])|(?<=[≤≥])(?=\d)",
                        " ", text)
        assert spacing_as_printed(spaced) == text
    assert spacing_as_printed("1 200人次") == "1 200人次"  # thousands grouped by a space stay


def test_a_target_or_actual_read_as_its_unit_alone_flags_its_row(shared: Path) -> None:
    """The "1" of "1次" lost on a turned fax page: a unit alone is no value any form prints (none in
    the corpus gold), so its row is flagged; as printed, and from a Word file, nothing is."""
    from jixiao.normalizers import normalize
    from jixiao.normalizers.values import is_bare_unit

    assert not any(is_bare_unit(t) for t in gold_texts(shared))
    gold = json.loads((shared / "corpus" / "gold" / "a_pdf_08.json").read_text(encoding="utf-8"))["forms"][2]
    assert gold["indicators"][0]["actual_raw"] == "1次"
    gold["indicators"][0]["actual_raw"] = "次"
    form = normalize(_indicator_grid(gold, False)).forms[0]
    assert ["unreadable_cell" in i.issues for i in form.indicators] == [True] + [False] * 7
    typed = normalize(_indicator_grid(gold, False, ("docx", "docx"))).forms[0]
    assert all("unreadable_cell" not in i.issues for i in typed.indicators)


def test_a_head_label_read_unsure_does_not_flag_the_project() -> None:
    """The budget block's label with a bracket of its unit note lost, and 项目名称 read unsure: labels
    still taken for what they are, no value in doubt. A value of the head read unsure still flags."""
    from jixiao.grid import Cell, Grid, Table
    from jixiao.normalizers import normalize

    rows = [["项目名称", "测试项目"], ["项目\n资金\n万\n元)", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
            ["", "年度资金总额", "100", "100", "90", "10", "90%", "9"],
            ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
            ["产出指标", "数量指标", "培训人次", "≥100人次", "120人次", "50", "50"],
            ["效益指标", "社会效益指标", "覆盖率", "≥90%", "95%", "40", "40"], ["总分", "100", "99"]]

    def form(unsure: set[tuple[int, int]]):
        cells = [Cell(text, r, c, confidence=0.5 if (r, c) in unsure else 0.99)
                 for r, row in enumerate(rows) for c, text in enumerate(row)]
        return normalize(Grid("image", "ocr", [Table(cells)], min_confidence=0.9)).forms[0]

    labels = form({(0, 0), (1, 0)})
    assert labels.project.project_name == "测试项目" and labels.project.budget_executed == 90
    assert "unreadable_cell" not in labels.project.issues
    assert "unreadable_cell" in form({(0, 1)}).project.issues


def test_a_full_stop_the_model_saw_after_the_last_character_is_perhaps_dropped() -> None:
    """Class 0 is the blank. A blank after 设 whose second reading is "。" is a stop perhaps dropped, as
    likely as that reading; after a "。" read, or before the last character, it is none. Both models of
    the cascade must think it dropped for it to stay in doubt (the line is read again for another
    character's doubt; which lines are read again does not change)."""
    from jixiao.extractors.ocr.engines import Reading
    from jixiao.extractors.ocr.engines.ppocr import CascadeEngine

    alphabet = Alphabet(["建", "设", "。"])

    def read(steps: list[tuple[int, float, int, float]]) -> Reading:
        classes, probs, second, second_probs = (np.array(column) for column in zip(*steps, strict=True))
        return alphabet.decode(classes, probs, second, second_probs)

    jian, she, stop = (1, 1.0, 0, 0.0), (2, 1.0, 0, 0.0), (3, 1.0, 0, 0.0)
    assert read([jian, she, (0, 0.62, 3, 0.38), (0, 1.0, 0, 0.0)]).stop_dropped == pytest.approx(0.38)
    assert read([jian, she, stop, (0, 0.62, 3, 0.38)]).stop_dropped == 0.0
    assert read([jian, (0, 0.62, 3, 0.38), she]).stop_dropped == 0.0
    assert read([jian, she, (0, 0.62, 1, 0.38)]).stop_dropped == 0.0

    tiny = Scripted([Reading("建设", 0.9, 0.6, (0.6, 1.0), 0.38), Reading("建设", 0.9, 0.6, (0.6, 1.0), 0.38),
                  Reading("建设", 1.0, 1.0, (1.0, 1.0), 0.38)])
    small = Scripted([Reading("建设", 0.9, 0.95, (0.95, 1.0), 0.2), Reading("建设", 0.9, 0.95, (0.95, 1.0), 0.0)])
    readings = CascadeEngine("test", tiny, small, 0.98).read_lines(script_lines(3))  # type: ignore[arg-type]
    assert [r.stop_dropped for r in readings] == pytest.approx([0.2, 0.0, 0.38])


def _comparison_crop(shared: Path, stem: str, sign: str) -> np.ndarray:
    """The first line of a corpus text PDF that begins with `sign`, rendered at 150 dpi."""
    import pdfplumber
    from scanlib import render

    path = shared / "corpus" / "pdf" / f"{stem}.pdf"
    with pdfplumber.open(path) as pdf:
        number, char = next((n, c) for n, page in enumerate(pdf.pages, 1) for c in page.chars if c["text"] == sign)
    scale, size = 150 / 72, char["bottom"] - char["top"]
    page = np.asarray(render(path.read_bytes(), 150, [number])[0].convert("L"))
    return page[int((char["top"] + 0.05 * size) * scale):int((char["bottom"] + 0.05 * size) * scale),
                int((char["x0"] - 0.1 * size) * scale):int((char["x0"] + 3 * size) * scale)]


def test_a_comparison_whose_bars_the_glyph_leaves_undecided_is_in_doubt(shared: Path) -> None:
    """≦≧ and ≤≥ as the corpus PDFs print them, blurred as a photo blurs them and their height scaled
    by 0.8-1.4: two bars give three strokes and one bar two at most scales. A ≧ that measures a little
    short of two bars while showing three strokes is read ≥ in doubt, not silently; a ≥ told right is
    never in doubt; nor is a glyph in black and white (a fax), whose strokes are not counted."""
    import cv2

    from jixiao.extractors.ocr.glyphs import _NEAR, _TALL, _leading, comparison_as_printed, strokes

    for stem, printed, read in (("a_pdf_08", "≧", "≥"), ("a_pdf_07", "≦", "≤"), ("a_pdf_05", "≥", "≥"),
                                ("a_pdf_02", "≤", "≤")):
        crop = cv2.GaussianBlur(_comparison_crop(shared, stem, printed), (0, 0), 0.5)
        doubted = counted = 0
        scales = np.arange(0.8, 1.41, 0.05)
        for scale in scales:
            # As the reader gets it: stretched 1.3 sideways (page.py).
            line = cv2.resize(crop, (round(crop.shape[1] * 1.3), round(crop.shape[0] * scale)),
                              interpolation=cv2.INTER_AREA)
            darkness, height, width = _leading(line)
            text, undecided = comparison_as_printed(read + "95%", line)
            if strokes(darkness) == (3 if printed in "≦≧" else 2):
                counted += 1
                assert undecided == (_TALL - _NEAR <= height / width < _TALL and text[0] != printed)
            doubted += undecided
            _, black_and_white = cv2.threshold(line, 128, 255, cv2.THRESH_BINARY)
            assert not comparison_as_printed(read + "95%", black_and_white)[1]
        assert counted >= 0.8 * len(scales)
        assert (doubted > 0) == (printed in "≦≧")


def test_a_row_read_without_a_weight_where_the_weights_do_not_add_up_is_flagged(shared: Path) -> None:
    """A weight lost at 100 dpi ("10" read as a character, sure of it): the weights no longer add up,
    and the row without one is where the sum went wrong. Every form of the corpus gold prints a
    weight in every row; as printed, and from a Word file, nothing is flagged."""
    from jixiao.normalizers import normalize

    golds = [form for path in sorted((shared / "corpus" / "gold").glob("*.json"))
             for form in json.loads(path.read_text(encoding="utf-8"))["forms"]]
    assert all(row["weight"] is not None for form in golds for row in form["indicators"])
    gold = json.loads((shared / "corpus" / "gold" / "a_pdf_08.json").read_text(encoding="utf-8"))["forms"][2]
    # Its table without the budget block: the total row is what the indicators add up to.
    gold["total_weight"] = sum(row["weight"] for row in gold["indicators"])
    gold["total_score"] = sum(row["score"] for row in gold["indicators"])
    printed = normalize(_indicator_grid(gold, False)).forms[0]
    assert "weights_sum_mismatch" not in printed.project.issues
    assert all("unreadable_cell" not in i.issues for i in printed.indicators)
    for misread in ("门", ""):  # "10" read as a character with 0.99, or lost
        gold["indicators"][4]["weight"] = misread
        form = normalize(_indicator_grid(gold, False)).forms[0]
        assert form.indicators[4].weight is None and "weights_sum_mismatch" in form.project.issues
        assert ["unreadable_cell" in i.issues for i in form.indicators] == [False] * 4 + [True] + [False] * 3
    typed = normalize(_indicator_grid(gold, False, ("docx", "docx"))).forms[0]
    assert all("unreadable_cell" not in i.issues for i in typed.indicators)


def test_an_actual_read_as_a_bare_figure_where_the_target_prints_none_is_flagged(shared: Path) -> None:
    """"提高" in the 实际完成值 column read "1" at 100 dpi, sure of it: no row of the gold (corpus and
    seeds) pairs a target without a figure with an actual that is a figure alone, so the row is flagged.
    As printed, a target with a figure and a bare actual ("100%" and "10"), and from a Word file,
    nothing is."""
    from jixiao.normalizers import normalize

    rows = [row for path in [*sorted((shared / "corpus" / "gold").glob("*.json")), *sorted((shared / "gold").glob("*.json"))]
            for form in json.loads(path.read_text(encoding="utf-8"))["forms"] for row in form["indicators"]]
    assert len(rows) > 1500
    bare = [row for row in rows if row["actual_raw"] and row["actual_raw"].strip().replace(".", "", 1).isdigit()]
    assert bare and all(any(ch.isdigit() for ch in row["target_raw"] or "0") for row in bare)
    gold = json.loads((shared / "corpus" / "gold" / "a_pdf_07.json").read_text(encoding="utf-8"))["forms"][1]
    assert (gold["indicators"][2]["target_raw"], gold["indicators"][2]["actual_raw"]) == ("100%", "10")
    printed = normalize(_indicator_grid(gold, False)).forms[0]
    assert all("unreadable_cell" not in i.issues for i in printed.indicators)
    assert gold["indicators"][4]["actual_raw"] == "提高"
    gold["indicators"][4]["actual_raw"] = "1"
    form = normalize(_indicator_grid(gold, False)).forms[0]
    assert form.indicators[4].actual_value == 1
    assert ["unreadable_cell" in i.issues for i in form.indicators] == [False] * 4 + [True] + [False] * 2
    typed = normalize(_indicator_grid(gold, False, ("docx", "docx"))).forms[0]
    assert all("unreadable_cell" not in i.issues for i in typed.indicators)


def test_a_sign_read_twice_cannot_be_printed(shared: Path) -> None:
    """"95%" read "95%%" on a flat scan (a blank step split the run of "%"), and every percentage and
    every "，" of the gold read so: in doubt. No text of the gold (corpus and seeds) doubles a sign."""
    texts = gold_texts(shared) + [v for path in sorted((shared / "gold").glob("*.json"))
                                  for form in json.loads(path.read_text(encoding="utf-8"))["forms"]
                                  for row in [form, *form["indicators"]] for v in row.values() if isinstance(v, str)]
    assert len(texts) > 3000 and not [t for t in texts if cannot_be_printed(t)]
    doubled = [t.replace(sign, sign * 2, 1) for t in texts for sign in ("%", "，") if sign in t]
    assert len(doubled) > 200 and all(cannot_be_printed(t) for t in doubled)
    assert [cannot_be_printed(t) for t in ("95%%", "95%", "提高，，加强", "..0项目支出绩效自评表")] == [True, False, True, False]


def test_an_actual_that_misses_its_target_by_a_one_at_its_edge_in_a_full_marks_row_is_flagged(shared: Path) -> None:
    """"7" read "71" beside "等于7" on a flat scan, "8880" read "18880" beside "≤8880元" at 100 dpi (the
    cell's ruled edge read as a digit, with 0.99): here "100000元" read "1100000元", so that the row
    keeps full marks while its actual misses "≤100000元". No row of the gold (corpus and seeds) has an actual
    that is its target's figure with a "1" added at an end; as printed, and from a Word file, nothing
    is flagged."""
    import re

    from jixiao.normalizers import normalize

    figures = re.compile(r"\d+(?:\.\d+)?")
    rows = [row for path in [*sorted((shared / "corpus" / "gold").glob("*.json")), *sorted((shared / "gold").glob("*.json"))]
            for form in json.loads(path.read_text(encoding="utf-8"))["forms"] for row in form["indicators"]]
    pairs = [(figures.findall(row["target_raw"] or ""), figures.findall(row["actual_raw"] or "")) for row in rows]
    assert not [(t, a) for t, a in pairs if len(t) == len(a) == 1 and a[0] in ("1" + t[0], t[0] + "1")]
    gold = json.loads((shared / "corpus" / "gold" / "a_pdf_01.json").read_text(encoding="utf-8"))["forms"][1]
    row = gold["indicators"][5]
    assert (row["target_raw"], row["actual_raw"], row["weight"], row["score"]) == ("≤100000元", "100000元", 10, 10)
    printed = normalize(_indicator_grid(gold, False)).forms[0]
    flagged = ["unreadable_cell" in i.issues for i in printed.indicators]
    row["actual_raw"] = "1100000元"
    form = normalize(_indicator_grid(gold, False)).forms[0]
    assert "unmet_target_full_score" in form.indicators[5].issues
    assert ["unreadable_cell" in i.issues for i in form.indicators] == [*flagged[:5], True, *flagged[6:]]
    assert not flagged[5]
    typed = normalize(_indicator_grid(gold, False, ("docx", "docx"))).forms[0]
    assert all("unreadable_cell" not in i.issues for i in typed.indicators)


def test_a_weight_or_score_read_unsure_that_the_total_confirms_does_not_flag_its_row(shared: Path) -> None:
    """A lone "5" read with 0.68 in a fax, right: every row prints a score and they add up to the total
    row's, so the figure is confirmed and its row not flagged. Where the scores do not add up, or the
    row has another cell read unsure, the flag stays."""
    from dataclasses import replace

    from jixiao.normalizers import normalize

    gold = json.loads((shared / "corpus" / "gold" / "a_pdf_08.json").read_text(encoding="utf-8"))["forms"][2]
    gold["total_weight"] = sum(row["weight"] for row in gold["indicators"])
    gold["total_score"] = sum(row["score"] for row in gold["indicators"])

    def flags(unsure: dict[tuple[int, int], float], total_score: float | None = None) -> list[bool]:
        grid = _indicator_grid(dict(gold, total_score=total_score or gold["total_score"]), False)
        table = grid.tables[0]
        table.cells[:] = [replace(c, confidence=unsure.get((c.row, c.col), c.confidence)) for c in table.cells]
        return ["unreadable_cell" in i.issues for i in normalize(grid).forms[0].indicators]

    score, weight, name = (2 + 3, 6), (2 + 3, 5), (2 + 3, 2)
    assert flags({}) == [False] * 8
    assert flags({score: 0.68}) == flags({weight: 0.68}) == flags({score: 0.68, weight: 0.6}) == [False] * 8
    assert flags({score: 0.68, name: 0.7}) == [False] * 3 + [True] + [False] * 4
    assert flags({score: 0.68}, total_score=gold["total_score"] + 1)[3]

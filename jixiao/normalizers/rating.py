"""`self_rating`: the grade a form gives itself (SCHEMA.md § projects), and the band its 总分 earns.

The grade is printed in a row labelled 自评等级 / 评价等级 / 自评结果 (and their variants), in
the label's cell after a colon or in the cells after it, or stated in a 评价结论 sentence
("综合评价等级为“良”"). Some forms tick one of 优 / 良 / 中 / 差 printed side by side. The
four grades are also printed as whole words, or in the words of the older four-band scales
with the same bands (优秀 / 良好 / 合格 / 不合格, 优秀 / 良好 / 一般 / 较差): each is the grade
of its band. Anything else (a score, "达标") is no grade, and the form has none.
"""
from __future__ import annotations

import re
import unicodedata

from jixiao.normalizers.rows import RCell, Row
from jixiao.normalizers.vocab import BLOCK_LABELS, BLOCKS

GRADES: dict[str, str] = {
    "优": "优", "优秀": "优",
    "良": "良", "良好": "良",
    "中": "中", "中等": "中", "合格": "中", "一般": "中",
    "差": "差", "较差": "差", "不合格": "差",
}
# The Ministry of Finance's bands (财预〔2020〕10号): 优 ≥ 90, 良 80–<90, 中 60–<80, 差 < 60.
BANDS: tuple[tuple[float, str], ...] = ((90.0, "优"), (80.0, "良"), (60.0, "中"))
LOWEST = "差"

_WORDS = "|".join(sorted(GRADES, key=len, reverse=True))
_QUOTES = "“”\"'‘’「」『』《》【】[]()"
_Q = re.escape(_QUOTES)
_GRADE_WORD = re.compile(_WORDS)
# The grade as a cell's whole text: "优", "“良好”", "优秀等级", "中等级".
_WHOLE = re.compile(rf"(?P<grade>{_WORDS})(?:等级|等次|级|等)?")
# A grade opening a cell, followed by something else than text: "优（95分）", "良 88.5".
_LEADING = re.compile(rf"(?P<grade>{_WORDS})(?=[\s(\d])")
# A sentence that states it: "综合评价等级为“良”", "自评结果：优秀", "评定为优".
_STATED = re.compile(
    rf"(?:等级|等次|结果|结论|评定|评为|定为)\s*(?:为|是|:|评定为|确定为)?\s*[{_Q}]?\s*"
    rf"(?P<grade>{_WORDS})(?=$|[\s{_Q},.;:!?、。，；：！？]|等级|等次|级|等)")
# Grades printed as choices, one ticked: "☑优 □良 □中 □差", "优(√) 良( ) 中( ) 差( )".
_TICK, _BOX = "☑✓✔√■●▣◉", "□☐○◯"
_MARK_BEFORE = re.compile(rf"(?P<mark>[{_TICK}{_BOX}])\s*(?P<grade>{_WORDS})")
_MARK_AFTER = re.compile(rf"(?P<grade>{_WORDS})\s*(?:\(\s*(?P<in>[{_TICK}]?)\s*\)|(?P<mark>[{_TICK}{_BOX}]))")


def parse_grade(text: str) -> str | None:
    """The grade a cell states, as one of 优 良 中 差; None when it states none, or prints
    several choices with none (or more than one) ticked."""
    text = unicodedata.normalize("NFKC", text).strip()
    choices = _ticked(text)
    if choices is not None:
        return choices
    bare = text.strip(_QUOTES).strip()
    whole = _WHOLE.fullmatch(bare)
    if whole:
        return GRADES[whole.group("grade")]
    stated = _STATED.search(bare)
    if stated:
        return GRADES[stated.group("grade")]
    leading = _LEADING.match(bare)
    if leading and len({GRADES[w] for w in _GRADE_WORD.findall(bare)}) == 1:
        return GRADES[leading.group("grade")]
    return None


def _ticked(text: str) -> str | None:
    """The one ticked grade where the text prints grades as marked choices; None otherwise."""
    before = list(_MARK_BEFORE.finditer(text))
    after = list(_MARK_AFTER.finditer(text))
    if len(before) < 2 and len(after) < 2:
        return None
    if len(before) >= len(after):
        ticked = {GRADES[m.group("grade")] for m in before if m.group("mark") in _TICK}
    else:
        ticked = {GRADES[m.group("grade")] for m in after if (m.group("mark") or m.group("in") or "") in _TICK
                  and (m.group("mark") or m.group("in"))}
    return ticked.pop() if len(ticked) == 1 else None


def band(total_score: float) -> str:
    return next((grade for floor, grade in BANDS if total_score >= floor), LOWEST)


_LABELS = sorted(BLOCK_LABELS["self_rating"], key=len, reverse=True)
# A rating label opening a cell, and what the cell prints after it ("自评等级：优", "评价结论：…").
_LABELLED = re.compile(rf"^(?:{'|'.join(_LABELS)})\s*:?\s*(?P<rest>.*)$", re.DOTALL)


def _rating_label(cell: RCell, exact: bool) -> tuple[bool, str | None]:
    """Whether the cell is a rating label, and the text printed after it in the cell."""
    labelled = _LABELLED.match(cell.text.replace(" ", ""))
    if labelled:
        return True, labelled.group("rest") or None
    if not exact and BLOCKS.match(cell.text) == "self_rating":
        return True, None  # misread by OCR: the label alone
    return False, None


def rating_row(row: Row, exact: bool = False) -> tuple[bool, str | None, RCell | None]:
    """Whether the row is a rating row, the grade it states and the cell it is printed in. The label opens the row, or
    follows a 总分 row's label and figures ("总分 | 100 | 95 | 自评等级 | 优"). `exact`: inside an
    indicator grid the label must be printed exactly, as an indicator may be named alike (考评等级)."""
    printed = row.printed()
    for k, cell in enumerate(printed):
        is_label, inline = _rating_label(cell, exact)
        if is_label:
            texts = ([(inline, cell)] if inline else []) + [(c.text, c) for c in printed[k + 1:]]
            return True, *next(((g, c) for t, c in texts if (g := parse_grade(t)) is not None), (None, None))
        if k == 0 and BLOCKS.match(cell.text) == "total":
            continue
        if k == 0 or BLOCKS.match(printed[0].text) != "total":
            return False, None, None
    return False, None, None

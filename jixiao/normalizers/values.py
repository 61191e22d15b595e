"""Values parsed exactly as SCHEMA.md says: numbers, rates, targets with operator and unit, codes."""
from __future__ import annotations

import re
from dataclasses import dataclass

from jixiao.normalizers.cleaning import is_cjk, is_null_text

# Longest first, so 不低于 wins over 低于 and 大于等于 over 大于.
_OPERATORS: tuple[tuple[str, str], ...] = tuple(
    sorted(
        {
            "≥": "≥", "≧": "≥", "⩾": "≥", ">=": "≥", "大于等于": "≥", "大于或等于": "≥",
            "不低于": "≥", "不少于": "≥", "不小于": "≥",
            "≤": "≤", "≦": "≤", "⩽": "≤", "<=": "≤", "小于等于": "≤", "小于或等于": "≤",
            "不高于": "≤", "不超过": "≤", "不多于": "≤", "不大于": "≤",
            ">": ">", "大于": ">", "高于": ">", "超过": ">",
            "<": "<", "小于": "<", "低于": "<",
            "=": "=", "等于": "=",
        }.items(),
        key=lambda kv: -len(kv[0]),
    )
)

UNITS: tuple[str, ...] = (
    "%", "万元", "元", "人", "人次", "次", "个", "件", "套", "户", "盒", "本", "份", "部", "篇", "类",
    "项", "场", "家", "所", "名", "台", "辆", "张", "册", "期", "天", "日", "月", "个月", "年",
    "小时", "分钟", "工作日", "平方米", "分",
)
_UNITS_LONGEST_FIRST = tuple(sorted(UNITS, key=len, reverse=True))
# A price per thing prints its "/" (元/人/天, 元/平方米/天): a unit of things right after an amount's 元,
# or two units run together after 元/ (元/平方米天; 人次 is one unit), and nothing Chinese after them
# (元人民币 is no price per 人), is a "/" the reader lost (a thin stroke at 100 dpi or in a fax). No
# target or actual value of the corpus or the seeds prints one.
_PER = "|".join(re.escape(u) for u in _UNITS_LONGEST_FIRST if u not in ("%", "万元", "元", "分"))
_NO_HAN_AFTER = r"(?![\u4e00-\u9fff])"
_PER_WITHOUT_SLASH = re.compile(rf"\d\s*万?元\s*(?:{_PER})(?:/?(?:{_PER}))*{_NO_HAN_AFTER}"
                                rf"|元/(?:(?>{_PER})/)*(?>{_PER})(?>{_PER}){_NO_HAN_AFTER}")
# Between a number and its unit: "400多人", "10余次".
_SKIPPABLE = "多余"

# Thousands grouped by "," or by one space ("1 200人次").
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_AMOUNT_SUFFIX = re.compile(r"(?:万元|元|分)$")
# ">100%", "≥100%", "约95%": the rate is the number printed.
_RATE_PREFIX = re.compile(r"^(?:[<>=≥≤≧≦]+|约)")


@dataclass(frozen=True, slots=True)
class Measure:
    op: str | None
    value: float | None
    unit: str | None


def _to_float(token: str) -> float:
    return float(token.replace(",", "").replace(" ", ""))


def parse_number(text: str) -> float | None:
    """A cell that is one plain number ("4507.55", "10分", "1,200"); None otherwise."""
    if is_null_text(text):
        return None
    s = text.replace(" ", "")
    s = _AMOUNT_SUFFIX.sub("", s)
    if not _PLAIN_NUMBER.match(s):
        return None
    return _to_float(s)


def parse_rate(text: str) -> float | None:
    """执行率 as a fraction: "91%" -> 0.91; a bare number above 2 is read as percent points."""
    if is_null_text(text):
        return None
    s = _RATE_PREFIX.sub("", text.replace(" ", ""))
    if s.endswith("%"):
        number = parse_number(s[:-1])
        return None if number is None else number / 100
    number = parse_number(s)
    if number is None:
        return None
    return number / 100 if number > 2 else number


def is_rate_text(text: str) -> bool:
    return text.replace(" ", "").endswith("%") and parse_rate(text) is not None


def is_unreadable(text: str) -> bool:
    """A cell an export printed as "#####" (a number too wide for its spreadsheet column)."""
    return len(text) >= 3 and set(text) == {"#"}


# A figure with a few marks read into it ("10/", "10√", "i0", "8V,"): short, holding a digit and
# nothing a printed word would.
_MAX_DAMAGED = 6


def is_damaged_number(text: str) -> bool:
    """A cell that is no plain number but reads as one with stray marks (a pen tick, a scrap of a
    signature): what it printed is in doubt."""
    s = text.replace(" ", "")
    return (0 < len(s) <= _MAX_DAMAGED and any(ch.isdigit() for ch in s) and not any(is_cjk(ch) for ch in s)
            and parse_number(s) is None and parse_rate(s) is None)


def is_bare_unit(text: str) -> bool:
    """A value that is a unit alone ("次", "≥人"): its figure was not read (no target or actual of the
    corpus or the seeds prints one)."""
    return _RATE_PREFIX.sub("", text.replace(" ", "")) in UNITS


def lost_per_slash(text: str) -> bool:
    """A price per thing printed without a "/" between its units ("300元人/年", "600元场", "2元/平方米天")."""
    return bool(_PER_WITHOUT_SLASH.search(text))


def _unit_at(text: str, pos: int) -> str | None:
    for unit in _UNITS_LONGEST_FIRST:
        if text.startswith(unit, pos):
            return unit
    return None


def _compound_unit_at(text: str, pos: int) -> str | None:
    """A unit, extended by "/unit" parts: 元/人/天, 元/平方米/天."""
    unit = _unit_at(text, pos)
    if unit is None:
        return None
    end = pos + len(unit)
    while end < len(text) and text[end] == "/":
        nxt = _unit_at(text, end + 1)
        if nxt is None:
            break
        unit += "/" + nxt
        end += 1 + len(nxt)
    return unit


def _unit_after(text: str, pos: int) -> str | None:
    while pos < len(text) and text[pos] == " ":
        pos += 1
    if pos < len(text) and text[pos] in _SKIPPABLE:
        pos += 1
    unit = _compound_unit_at(text, pos)
    # "4个工作日": the measure word 个 gives way to a unit that reaches further.
    if pos < len(text) and text[pos] == "个":
        after = _compound_unit_at(text, pos + 1)
        if after is not None and 1 + len(after) > len(unit or ""):
            return after
    return unit


def parse_operator(text: str) -> str | None:
    """The comparison printed before the first number (or anywhere, when none is printed)."""
    m = _NUMBER.search(text)
    head = text[: m.start()] if m else text
    best: tuple[int, str] | None = None
    for token, op in _OPERATORS:
        i = head.find(token)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, op)
    return best[1] if best else None


def parse_measure(text: str | None) -> Measure:
    """Target or actual cell -> operator, the one number printed, and the unit right after it."""
    if text is None or is_null_text(text) or is_unreadable(text):
        return Measure(None, None, None)
    op = parse_operator(text)
    numbers = list(_NUMBER.finditer(text))
    if len(numbers) != 1:
        return Measure(op, None, None)
    m = numbers[0]
    return Measure(op, _to_float(m.group()), _unit_after(text, m.end()))


_CODE_TRAILING = re.compile(r"^(?P<name>.*?[^\d\s\-_])[\s\-_:]*[(\[【]?(?P<code>\d{3,})[)\]】]?$")
_CODE_LEADING = re.compile(r"^[(\[【]?(?P<code>\d{3,})[)\]】]?[\s\-_:、.]*(?P<name>[^\d\s\-_].*)$")


def split_code(text: str | None) -> tuple[str | None, str | None]:
    """"…卫生健康委员会162001" -> (name, "162001"); "219-池州市…" -> ("池州市…", "219")."""
    if text is None:
        return None, None
    for pattern in (_CODE_TRAILING, _CODE_LEADING):
        m = pattern.match(text)
        if m:
            return m.group("name").strip(), m.group("code")
    return text, None


_YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年度|年|度)")
# "年度：2024", "评价年度: 2024": the year after its label.
_LABELLED_YEAR = re.compile(r"(?:年度|年份)\s*[:：]\s*((?:19|20)\d{2})(?!\d)")
# "二〇二四年度": a year in Chinese numerals (〇 often typed as ○ or 零).
_CN_YEAR = re.compile(r"([〇○零一二三四五六七八九]{4})\s*(?=年)")
_CN_DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")


def parse_year(text: str) -> int | None:
    if "年" in text and _CN_YEAR.search(text):
        text = _CN_YEAR.sub(lambda m: m.group(1).translate(_CN_DIGITS), text)
    m = _YEAR.search(text) or _LABELLED_YEAR.search(text)
    return int(m.group(1)) if m else None

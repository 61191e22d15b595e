"""The one canonical vocabulary of the form, and the matcher that maps printed labels onto it.

Matching tolerates spaces and line breaks inside a label, a "(40分)" annotation,
trailing colons, and one wrong character (as OCR produces) where that one
character still points at a single label.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

# Labels of the form's blocks: canonical key -> printed variants.
BLOCK_LABELS: dict[str, tuple[str, ...]] = {
    "project_name": ("项目名称",),
    "department": ("主管部门", "主管部门及代码", "主管单位", "主管部门名称", "主管部门(单位)"),
    "implementing_unit": ("实施单位", "项目实施单位", "实施单位名称", "实施单位及代码"),
    "project_lead": ("项目负责人", "负责人"),
    "contact_phone": ("联系电话", "联系方式"),
    "funds": ("项目资金", "项目资金情况", "资金情况", "预算执行情况"),
    # "其中" printed in a cell of its own, merged down the sub-rows it introduces.
    "subrows": ("其中",),
    "budget_total": ("年度资金总额", "资金总额", "年度资金总额合计"),
    "budget_fiscal": ("当年财政拨款", "本年财政拨款", "其中当年财政拨款", "其中本年财政拨款", "财政拨款",
                      "其中财政拨款", "财政资金", "本级财政资金", "当年财政资金", "其中财政资金", "其中本级财政资金",
                      "其中当年财政资金"),
    "budget_carryover": ("上年结转资金", "其中上年结转资金", "上年结转"),
    "budget_other": ("其他资金", "其中其他资金"),
    "goal": ("年度总体目标", "总体目标", "年度目标", "年度总目标", "年度", "总体目标完成情况", "年度绩效目标", "绩效目标"),
    "goal_expected": ("预期目标", "年度预期目标"),
    "goal_actual": ("实际完成情况", "目标实际完成情况", "实际完成目标"),
    "indicators": ("绩效指标", "年度绩效指标"),
    "total": ("总分", "总计", "合计", "总分值", "评分合计"),
    # The grade the form gives itself, or the conclusion that states it (see rating.py).
    "self_rating": ("自评等级", "评价等级", "自评结果", "评价结果", "综合评价等级", "绩效评价等级", "自评等次",
                    "评价等次", "绩效等级", "评定等级", "等级", "自评评级", "综合评级", "综合评价结果", "绩效评价结果",
                    "自评结论", "评价结论", "综合评价结论", "绩效评价结论"),
}

# Column headers of the indicator grid.
INDICATOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "name": ("三级指标",),
    "target": ("年度指标值", "全年指标值", "指标值", "年度目标值", "预期指标值", "计划指标值"),
    "actual": ("实际完成值", "实际值", "全年实际值", "全年实际完成值", "实际完成指标值"),
    "weight": ("分值", "权重", "权重分值", "指标权重", "指标分值"),
    "score": ("得分", "评分", "自评得分", "实际得分", "评价得分"),
    "note": ("偏差原因分析及改进措施", "未完成原因分析", "偏差原因分析", "原因分析及改进措施",
             "未完成原因分析及改进措施", "偏差原因及改进措施", "偏差原因分析和改进措施"),
}

# Column headers of the budget block. Its 分值 and 得分 are printed with the words the
# indicator grid's header uses ("指标分值", "权重", "自评得分").
BUDGET_COLUMNS: dict[str, tuple[str, ...]] = {
    "initial": ("年初预算数", "年初预算"),
    "annual": ("全年预算数", "全年预算", "调整后预算数"),
    "executed": ("全年执行数", "全年执行", "实际执行数"),
    "weight": INDICATOR_COLUMNS["weight"],
    "rate": ("执行率", "预算执行率"),
    "score": INDICATOR_COLUMNS["score"],
}

# Column headers vary beyond any list ("指标权重(%)", "未完成原因及改进措施"); a header
# naming none of the variants is read by the word that gives its meaning, in this order.
INDICATOR_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("一级", "level1"), ("二级", "level2"), ("三级", "name"), ("原因", "note"), ("实际", "actual"),
    ("指标值", "target"), ("目标值", "target"), ("权重", "weight"), ("分值", "weight"), ("得分", "score"),
    ("评分", "score"),
)
_MAX_KEYWORD_LABEL = 12
BUDGET_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("年初", "initial"), ("执行率", "rate"), ("执行数", "executed"), ("全年预算", "annual"), ("调整后", "annual"),
    ("权重", "weight"), ("分值", "weight"), ("得分", "score"), ("评分", "score"),
)

# 一级指标: canonical -> printed variants.
LEVEL1: dict[str, tuple[str, ...]] = {
    "产出指标": ("产出指标", "产出"),
    "效益指标": ("效益指标", "效果指标", "效益", "效果"),
    "满意度指标": ("满意度指标", "满意度"),
    "成本指标": ("成本指标", "成本"),
}

# 二级指标: canonical -> printed variants.
LEVEL2: dict[str, tuple[str, ...]] = {
    "数量指标": ("数量指标", "数量"),
    "质量指标": ("质量指标", "质量"),
    "时效指标": ("时效指标", "时效"),
    "成本指标": ("成本指标", "成本"),
    "经济成本指标": ("经济成本指标", "经济成本"),
    "社会成本指标": ("社会成本指标", "社会成本"),
    "生态环境成本指标": ("生态环境成本指标", "生态环境成本", "生态成本指标"),
    "经济效益指标": ("经济效益指标", "经济效益"),
    "社会效益指标": ("社会效益指标", "社会效益"),
    "生态效益指标": ("生态效益指标", "生态效益", "生态环境效益指标", "生态环境效益"),
    "可持续影响指标": ("可持续影响指标", "可持续影响", "可持续发展指标"),
    "服务对象满意度指标": ("服务对象满意度指标", "服务对象满意度", "满意度指标", "满意度"),
}

# Which 一级指标 a 二级指标 belongs under; the first is inferred when none is printed.
LEVEL2_PARENTS: dict[str, tuple[str, ...]] = {
    "数量指标": ("产出指标",),
    "质量指标": ("产出指标",),
    "时效指标": ("产出指标",),
    "成本指标": ("产出指标", "成本指标"),
    "经济成本指标": ("成本指标", "产出指标"),
    "社会成本指标": ("成本指标", "产出指标"),
    "生态环境成本指标": ("成本指标", "产出指标"),
    "经济效益指标": ("效益指标",),
    "社会效益指标": ("效益指标",),
    "生态效益指标": ("效益指标",),
    "可持续影响指标": ("效益指标",),
    "服务对象满意度指标": ("满意度指标",),
}

_PARENS = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]")
_POINTS = re.compile(r"\d+(?:\.\d+)?分")
_STRIP = re.compile(r"[\s:：*※·,，、。.;；_]+")
# A label with one or two characters that no label prints (letters, figures, strokes) before or after it.
_STRAY = re.compile(r"[^\u4e00-\u9fff]{0,2}(?P<label>[\u4e00-\u9fff]{2,})[^\u4e00-\u9fff]{0,2}")


def label_key(text: str) -> str:
    """What a label says once spacing, annotations and punctuation are gone."""
    key = unicodedata.normalize("NFKC", text)
    key = _PARENS.sub("", key)
    key = _POINTS.sub("", key)
    return _STRIP.sub("", key)


def _inverse(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {label_key(v): canonical for canonical, variants in table.items() for v in variants}


class Vocabulary:
    """Maps printed labels of one kind onto canonical keys.

    `reserved` holds the exact labels of every vocabulary: a label that is
    exactly another kind's (绩效指标) is never taken as a misprint of this
    kind's (时效指标).
    """

    def __init__(self, table: dict[str, tuple[str, ...]], reserved: frozenset[str],
                 keywords: tuple[tuple[str, str], ...] = (), headers: bool = False) -> None:
        self._exact = _inverse(table)
        self._headers = headers
        self._reserved = reserved
        self._keywords = keywords
        self._choices = list(self._exact)
        self.match = lru_cache(maxsize=65536)(self._match)

    def exact(self, text: str) -> str | None:
        """The label only when printed exactly (spacing and annotations aside)."""
        return self._exact.get(label_key(text))

    def _match(self, text: str) -> str | None:
        key = label_key(text)
        if not key:
            return None
        hit = self._exact.get(key)
        if hit is not None or key in self._reserved:
            return hit
        stray = _STRAY.fullmatch(key) if self._headers else None
        if stray is not None and stray["label"] in self._exact:
            # A pen's tick over a column header, read as a letter or a figure beside it ("得分 1").
            return self._exact[stray["label"]]
        if len(key) < 4:
            return self._by_keyword(key)
        # One wrong character, and only when it points at one label.
        found = process.extract(key, self._choices, scorer=Levenshtein.distance, score_cutoff=1, limit=3)
        targets = {self._exact[choice] for choice, _, _ in found if len(choice) >= 4}
        if len(targets) == 1:
            return targets.pop()
        return self._by_keyword(key)

    def _by_keyword(self, key: str) -> str | None:
        # Headers are short and hold no figures; cells of prose or values never qualify.
        if len(key) > _MAX_KEYWORD_LABEL or any(ch.isdigit() for ch in key):
            return None
        return next((canonical for word, canonical in self._keywords if word in key), None)


_TABLES = (BLOCK_LABELS, INDICATOR_COLUMNS, BUDGET_COLUMNS, LEVEL1, LEVEL2)
_RESERVED = frozenset(key for table in _TABLES for key in _inverse(table))

BLOCKS = Vocabulary(BLOCK_LABELS, _RESERVED)
COLUMNS = Vocabulary(INDICATOR_COLUMNS, _RESERVED, INDICATOR_KEYWORDS, headers=True)
BUDGET = Vocabulary(BUDGET_COLUMNS, _RESERVED, BUDGET_KEYWORDS, headers=True)
L1 = Vocabulary(LEVEL1, _RESERVED)
L2 = Vocabulary(LEVEL2, _RESERVED)

_L1_WEIGHT = re.compile(r"(\d+(?:\.\d+)?)\s*分")


def level1_weight(raw: str) -> float | None:
    """The "(40分)" annotation printed with a 一级指标."""
    m = _L1_WEIGHT.search(raw)
    return float(m.group(1)) if m else None

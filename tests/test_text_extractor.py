"""Text exports: encodings and the two layouts, detected by content."""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from jixiao.extractors import ExtractError, extract, sniff_format
from jixiao.extractors.text import extract_text
from jixiao.grid import Grid

ROWS_LAYOUT = "002_9da3ca00a275ab0a.txt"
CELLS_LAYOUT = "004_ad2826ca3708fa31.txt"


def texts(grid: Grid) -> list[list[str]]:
    return [[c.text for c in r] for table in grid.tables for r in table.rows()]


@pytest.fixture(scope="module")
def seed_text(shared: Path) -> str:
    return (shared / "seeds" / ROWS_LAYOUT).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
        lambda s: codecs.BOM_UTF16_LE + s.encode("utf-16-le"),
        lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"),
        lambda s: s.encode("utf-16-le"),
        lambda s: s.encode("gb18030"),
        lambda s: s.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le-no-bom", "gb18030", "crlf"],
)
def test_every_encoding_gives_the_same_grid(seed_text: str, encode) -> None:  # type: ignore[no-untyped-def]
    data = encode(seed_text)
    assert sniff_format(data[:8192], data) == "txt"
    assert texts(extract_text(data)) == texts(extract_text(seed_text.encode("utf-8")))


def test_rows_layout(seed_text: str) -> None:
    rows = texts(extract_text(seed_text.encode("utf-8")))
    name_row = next(r for r in rows if r[0] == "项目名称")
    assert name_row[:3] == ["项目名称", "", "基层医疗卫生服务能力提升项目补助资金"]


def test_cells_layout_joins_continuation_lines(shared: Path) -> None:
    rows = texts(extract_text((shared / "seeds" / CELLS_LAYOUT).read_bytes()))
    assert ["项目名称", "                                 调研经费"] in rows
    header = next(r for r in rows if r and r[0] == "绩\n效\n指\n标")
    assert header[4] == "年度\n指标值"


def test_quoted_cells_hold_line_breaks() -> None:
    data = '项目名称\t\t某项目\n一级指标\t"年度\n指标值"\t分值\n'.encode("utf-16")
    assert texts(extract_text(data))[1] == ["一级指标", "年度\n指标值", "分值"]


def test_quoted_cells_with_doubled_quotes() -> None:
    data = '项目名称\t\t某项目\n\t可持续影响指标\t"建立""建管并重""机制"\t建立\r\n'.encode("gb18030")
    assert texts(extract_text(data))[1] == ["", "可持续影响指标", '建立"建管并重"机制', "建立"]


def test_unquoted_line_break_inside_a_cell_is_joined_back() -> None:
    lines = [
        "项目名称\t\t2023年度财政票据电子化\t\t\t\t\t\t",
        "绩效指标\t一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析及改进措施",
        "\t产出指标\t数量指标\t培训人数\t≥300人\t320人\t10\t10\t",
        "\t\t时效指标\t培训计划",
        "完成时间\t2022年12月底前\t2022年12月\t10\t10\t",
        "\t\t质量指标\t合格率\t≥90%\t95%\t10\t10\t",
    ]
    rows = texts(extract_text("\n".join(lines).encode("utf-8")))
    assert rows[3] == ["", "", "时效指标", "培训计划\n完成时间", "2022年12月底前", "2022年12月", "10", "10", ""]
    assert len(rows) == 5


def test_short_lines_of_an_unpadded_export_stay_apart() -> None:
    lines = ["主管部门\t某局\t实施单位\t某中心", "项目负责人\t张三\t联系电话\t123",
             "a\tb\tc", "a\tb\tc\td\te\tf\tg", "a\tb\tc\td\te"]
    assert len(texts(extract_text("\n".join(lines).encode("utf-8")))) == 5


def test_a_file_that_changes_layout_between_exports(shared: Path) -> None:
    rows_part = (shared / "seeds" / "003_a583d9a954743c2a.txt").read_text(encoding="utf-8")
    cells_part = (shared / "seeds" / CELLS_LAYOUT).read_text(encoding="utf-8")
    rows = texts(extract_text((rows_part + "\n\n\n" + cells_part).encode("utf-8")))
    assert ["项目名称", "", "政府专项工作经费", "", "", "", "", "", ""] in rows
    assert ["项目名称", "                                 调研经费"] in rows


def test_binary_junk_is_refused() -> None:
    junk = bytes(range(256)) * 64
    with pytest.raises(ExtractError) as caught:
        extract(sniff_format(junk[:8192], junk), junk)
    assert caught.value.category == "unsupported"


@pytest.mark.parametrize(
    ("head", "fmt"),
    [(b"%PDF-1.7\n", "pdf"), (b"\x89PNG\r\n\x1a\n....", "image"), (b"<html><table>", "html"),
     (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t", "doc"),
     (b"", "empty"), ("项目名称\t某项目".encode(), "txt"),
     (b"\xef\xbb\xbf  <!DOCTYPE html><html>", "html"), ("说明：原表是 <table> 网页\n项目名称\t某项目".encode(), "txt")],
)
def test_format_is_sniffed_from_content(head: bytes, fmt: str) -> None:
    assert sniff_format(head, head) == fmt


def test_formats_without_an_extractor_fail_as_unsupported() -> None:
    with pytest.raises(ExtractError) as caught:
        extract("ole2", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert caught.value.category == "unsupported"

"""Spreadsheet values as the sheet displays them (jixiao/extractors/numfmt.py)."""
from __future__ import annotations

import datetime as dt

import pytest

from jixiao.extractors.numfmt import format_value, is_date_format


@pytest.mark.parametrize(("value", "fmt", "shown"), [
    (0.91, "0%", "91%"),
    (0.9123, "0.00%", "91.23%"),
    (4507.55, "General", "4507.55"),
    (0.1 + 0.2, "General", "0.3"),
    (10.0, "General", "10"),
    (4104.267, "0.000", "4104.267"),
    (1.005, "0.00", "1.01"),  # Excel rounds half away from zero
    (1234.5, "#,##0.00", "1,234.50"),
    (1234567, '#,##0,"千"', "1,235千"),
    (5, '0"分"', "5分"),
    (1200, '#,##0"人次"', "1,200人次"),
    (-3.5, "0.00_);(0.00)", "(3.50)"),
    (-3.5, "0.00", "-3.50"),
    (0, '0.00;-0.00;"—"', "—"),
    (1.5, "0.##", "1.5"),
    (0.25, "#.00", ".25"),
    (12345.678, "[$¥-804]#,##0.00", "¥12,345.68"),
    (0.5, "[Red]0.0%", "50.0%"),
    (0.001234, "0.00E+00", "1.23E-03"),
    (0.95, '[>=1]0%;"≥"0%', "≥95%"),  # conditional sections
    (1, '[>=1]0%;"≥"0%', "100%"),
    (-5, '[<0]"欠"0;0', "欠5"),
    ("已完成", "@", "已完成"),
    ("≥95%", "General", "≥95%"),
    (True, "General", "TRUE"),
    (None, "0.00", ""),
    (45366, 'yyyy"年"m"月"d"日"', "2024年3月15日"),
    (dt.datetime(2024, 3, 1, 9, 5), "yyyy-mm-dd hh:mm", "2024-03-01 09:05"),
    (dt.date(2024, 10, 1), 'yyyy"年"mm"月"', "2024年10月"),
    (45366.75, "h:mm AM/PM", "6:00 PM"),
])
def test_displayed_text(value: object, fmt: str, shown: str) -> None:
    assert format_value(value, fmt) == shown


def test_date_formats_are_told_from_number_formats() -> None:
    assert is_date_format('yyyy"年"m"月"') and is_date_format("m/d/yy h:mm")
    assert not is_date_format("0.00%") and not is_date_format('#,##0"人次"') and not is_date_format("General")

"""A spreadsheet cell's value as the sheet displays it, from its Excel number format.

A form's reader sees "91%" where the file stores 0.91, "4,507.55" for 4507.55 with
a thousands format, "2024年3月1日" for a date serial. Covered: General, digit
placeholders (0 # ?), decimals, thousands separators and scaling commas, percent,
scientific, quoted and escaped literals, padding (_x) and fills (*x), bracketed
colours, conditions and locales, text (@), and dates and times. Fractions fall back
to General.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_DATE_TOKEN = re.compile(r"(yyyy|yy|e|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p|上午/下午)", re.IGNORECASE)
_CONDITION = re.compile(r"(<=|>=|<>|<|>|=)\s*(-?\d+(?:\.\d+)?)")
_COMPARE = {"<=": float.__le__, ">=": float.__ge__, "<>": float.__ne__, "<": float.__lt__, ">": float.__gt__,
            "=": float.__eq__}
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def general(value: float) -> str:
    """Excel's General: the shortest text, at most 15 significant digits."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.15g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}E{int(exponent):+03d}"
    return text


def _tokens(section: str) -> list[tuple[str, str]]:
    """("lit", text) for literals, ("code", text) for format characters."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            out.append(("lit", section[i + 1:end]))
            i = end + 1
        elif ch == "\\" and i + 1 < len(section):
            out.append(("lit", section[i + 1]))
            i += 2
        elif ch == "_" and i + 1 < len(section):
            out.append(("lit", " "))
            i += 2
        elif ch == "*" and i + 1 < len(section):
            i += 2
        elif ch == "[":
            end = section.find("]", i)
            end = len(section) if end < 0 else end
            inside = section[i + 1:end]
            currency = re.match(r"\$([^-\]]*)", inside)
            if currency and currency.group(1):
                out.append(("lit", currency.group(1)))
            elif _CONDITION.fullmatch(inside):
                out.append(("cond", inside))
            i = end + 1
        else:
            out.append(("code", ch))
            i += 1
    return out


@lru_cache(maxsize=512)
def _sections(fmt: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    parts: list[str] = []
    depth_quote, current = False, ""
    for ch in fmt:
        if ch == '"':
            depth_quote = not depth_quote
        if ch == ";" and not depth_quote:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return tuple(tuple(_tokens(p)) for p in parts)


def _code(tokens: tuple[tuple[str, str], ...]) -> str:
    return "".join(text for kind, text in tokens if kind == "code")


def is_date_format(fmt: str) -> bool:
    code = _code(_sections(fmt)[0]).lower().replace("general", "")
    return bool(re.search(r"[ymdhs]", code)) and not re.search(r"[0#?]", code.replace("ss.0", ""))


def format_value(value: object, fmt: str | None) -> str:
    """The displayed text of a cell value (None → "")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return _date(value, fmt or "yyyy-mm-dd")
    if isinstance(value, str):
        sections = _sections(fmt) if fmt else ()
        text_section = next((s for s in sections if "@" in _code(s)), None)
        if text_section is None:
            return value
        return "".join(value if (k, t) == ("code", "@") else t for k, t in text_section if k == "lit" or t == "@")
    if not isinstance(value, (int, float)):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return "#NUM!"  # what Excel shows for a number it cannot hold
    if not fmt or fmt.lower() in ("general", "@"):
        return general(number)
    if is_date_format(fmt):
        try:
            return _date(_EXCEL_EPOCH + dt.timedelta(days=number), fmt)
        except OverflowError:
            return general(number)  # a serial past the calendar's end is not a date
    return _number(number, fmt)


def _condition(section: tuple[tuple[str, str], ...]) -> str | None:
    return next((text for kind, text in section if kind == "cond"), None)


def _holds(condition: str, number: float) -> bool:
    m = _CONDITION.fullmatch(condition)
    return m is not None and _COMPARE[m.group(1)](number, float(m.group(2)))


def _number(number: float, fmt: str) -> str:
    sections = [s for s in _sections(fmt) if "@" not in _code(s)] or list(_sections(fmt))
    sign = ""
    if any(_condition(s) for s in sections):
        # "[>=1]0%;"≥"0%": the first section whose condition holds, else the first without one.
        section = next((s for s in sections if (c := _condition(s)) and _holds(c, number)),
                       next((s for s in sections if not _condition(s)), sections[-1]))
        if number < 0:
            # A section chosen by its condition prints its own sign, as a negative section does.
            sign, number = ("" if _condition(section) else "-"), -number
    elif number < 0 and len(sections) >= 2:
        section, number = sections[1], -number
    elif number == 0 and len(sections) >= 3:
        section = sections[2]
    else:
        section = sections[0]
        if number < 0:
            sign, number = "-", -number
    code = _code(section)
    if not re.search(r"[0#?]", code) or "/" in code:
        if re.search(r"[0#?]", code):
            return sign + general(number)
        return "".join(t for k, t in section if k == "lit") or sign + general(number)
    number *= 100 ** code.count("%")
    digits = _digits(number, code)
    out: list[str] = []
    placed = False
    for kind, text in section:
        if kind == "lit":
            out.append(text)
        elif kind == "cond":
            continue
        elif text in "0#?.,eE+-":
            if not placed:
                out.append(digits)
                placed = True
        elif text != "%" or out[-1:] != ["%"]:
            out.append(text)
    return sign + "".join(out)


def _digits(number: float, code: str) -> str:
    mantissa = re.sub(r"[^0#?.,eE+-]", "", code)
    if "e" in mantissa.lower():
        places = len(re.sub(r"[^0#?]", "", mantissa.lower().split("e")[0].partition(".")[2]))
        text = f"{number:.{places}E}"
        head, exponent = text.split("E")
        return f"{head}E{int(exponent):+03d}"
    integer_part, _, decimal_part = mantissa.partition(".")
    scale_commas = len(integer_part) - len(integer_part.rstrip(","))
    number /= 1000 ** scale_commas
    integer_part = integer_part.rstrip(",")
    grouped = "," in integer_part
    decimals = decimal_part.replace(",", "")
    places = len(decimals)
    # Precision for every digit a double can have, so no finite number fails to round.
    context = Context(prec=places + 400)
    rounded = Decimal(repr(number)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=context)
    whole, _, frac = f"{rounded:f}".partition(".")
    optional = len(decimals) - len(decimals.rstrip("#?"))
    if optional and frac:
        keep = max(len(frac) - optional, len(frac.rstrip("0")))
        frac = frac[:keep]
    min_int = integer_part.count("0")
    if whole == "0" and min_int == 0:
        whole = ""
    whole = whole.zfill(min_int) if min_int else whole
    if grouped and whole:
        whole = f"{int(whole):,}"
    return whole + ("." + frac if frac or decimals.startswith("0") else "")


def _date(value: dt.date | dt.time, fmt: str) -> str:
    if isinstance(value, dt.time):
        value = dt.datetime.combine(dt.date(1899, 12, 30), value)
    elif not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    section = _sections(fmt)[0]
    twelve_hour = bool(re.search(r"am/pm|a/p|上午/下午", _code(section), re.IGNORECASE))
    runs: list[tuple[str, str]] = []
    for kind, text in section:
        if kind == "code" and runs and runs[-1][0] == "code":
            runs[-1] = ("code", runs[-1][1] + text)
        else:
            runs.append((kind, text))
    pieces: list[tuple[str, str]] = []
    for kind, text in runs:
        if kind == "cond":
            continue
        if kind == "lit":
            pieces.append(("lit", text))
        else:
            pieces.extend(("code", t) for t in _DATE_TOKEN.split(text) if t)
    codes = [t.lower() if k == "code" else None for k, t in pieces]
    out: list[str] = []
    for i, (kind, text) in enumerate(pieces):
        token = text.lower()
        if kind == "lit" or not _DATE_TOKEN.fullmatch(text):
            out.append(text)
            continue
        if token in ("m", "mm"):
            before = next((c for c in reversed(codes[:i]) if c and _DATE_TOKEN.fullmatch(c)), None)
            after = next((c for c in codes[i + 1:] if c and _DATE_TOKEN.fullmatch(c)), None)
            minutes = (before or "").startswith("h") or (after or "").startswith("s")
            part = value.minute if minutes else value.month
            out.append(f"{part:02d}" if token == "mm" else str(part))
        else:
            out.append(_date_part(value, token, twelve_hour))
    return "".join(out)


def _date_part(value: dt.datetime, token: str, twelve_hour: bool) -> str:
    hour = value.hour % 12 or 12 if twelve_hour else value.hour
    parts = {
        "yyyy": f"{value.year:04d}", "yy": f"{value.year % 100:02d}", "e": str(value.year),
        "mmmm": _MONTHS[value.month - 1], "mmm": _MONTHS[value.month - 1][:3],
        "dddd": _DAYS[value.weekday()], "ddd": _DAYS[value.weekday()][:3],
        "dd": f"{value.day:02d}", "d": str(value.day), "hh": f"{hour:02d}", "h": str(hour),
        "ss": f"{value.second:02d}", "s": str(value.second),
        "am/pm": "AM" if value.hour < 12 else "PM", "a/p": "A" if value.hour < 12 else "P",
        "上午/下午": "上午" if value.hour < 12 else "下午",
    }
    return parts[token]

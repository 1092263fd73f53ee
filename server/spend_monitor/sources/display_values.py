"""Reading values as Tableau displays them: "$1,234.56", "(1,234.56)", "14.4%", "2/14/2026",
"February 2026" … Each parser returns None for what it cannot read (a number too large to be
finite, or to be summed exactly, included), and never guesses 0."""

from __future__ import annotations

import functools
import math
import re
from datetime import date, datetime

from ..domain.columns import MAX_AMOUNT

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_CURRENCY = "$€£¥"
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%Y-%m-%d %H:%M:%S")
MONTH_FORMATS = ("%B %Y", "%b %Y", "%Y-%m", "%m/%Y")


def parse_amount(text: str) -> float | None:
    value = text.strip().replace("\u00a0", "")
    if not value:
        return None
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    if value.startswith("-"):
        negative, value = not negative, value[1:].strip()
    value = value.lstrip(_CURRENCY).rstrip("%").replace(",", "").strip()
    if value.startswith("-"):
        negative, value = not negative, value[1:]
    if not _NUMBER.match(value):
        return None
    number = float(value)
    if not math.isfinite(number) or number >= MAX_AMOUNT:
        return None
    return -number if negative else number


# A view repeats the same few dozen date captions thousands of times; strptime is slow.
@functools.lru_cache(maxsize=4096)
def parse_day(text: str) -> date | None:
    value = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


@functools.lru_cache(maxsize=1024)
def parse_month(text: str) -> date | None:
    """The first day of the month a caption names; a full date names its month."""
    value = text.strip()
    for fmt in MONTH_FORMATS:
        try:
            return datetime.strptime(value, fmt).date().replace(day=1)
        except ValueError:
            continue
    day = parse_day(value)
    return day.replace(day=1) if day else None

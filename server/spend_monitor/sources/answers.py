"""Reading a revenue figure out of an agent's reply, and refusing to guess.

An amount is a number with a currency sign or code: `$1,234.56`, `1234.56 USD`, `USD 1,234`,
`$1.2M`, `$56K`. A bare number, a year or a date (`2026`, `2026-02`) is never an amount: the
old script read such replies as $0 and raised false -100% alarms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SCALE = {
    "": 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
_NUMBER = r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_SUFFIX = r"(?:\s?(?P<scale>k|mm|m|bn|b|thousand|million|billion)\b)?"
_SIGNED = r"(?P<minus>-|−)?"
PATTERNS = (
    re.compile(rf"{_SIGNED}\$\s?{_NUMBER}{_SUFFIX}", re.IGNORECASE),
    re.compile(rf"{_SIGNED}(?:USD|US\$)\s?{_NUMBER}{_SUFFIX}", re.IGNORECASE),
    re.compile(rf"{_SIGNED}{_NUMBER}{_SUFFIX}\s?(?:USD|dollars)\b", re.IGNORECASE),
)
DATA_KEYS = ("total_revenue", "totalRevenue", "revenue", "total", "amount", "value")


def amount_in_text(text: str) -> float | None:
    """The first amount in the text, or None when it holds none."""
    found: list[tuple[int, float]] = []
    for pattern in PATTERNS:
        for match in pattern.finditer(text):
            number = float(match["number"].replace(",", ""))
            number *= _SCALE[(match["scale"] or "").lower()]
            found.append((match.start(), -number if match["minus"] else number))
    return min(found)[1] if found else None


def amount_in_data(data: Any) -> float | None:
    """A structured answer: a number under a revenue-like key, or an amount-like string."""
    if isinstance(data, Mapping):
        for key in DATA_KEYS:
            if key in data:
                value = data[key]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return float(value)
                if isinstance(value, str):
                    return amount_in_text(value) or _plain_number(value)
        for value in data.values():
            found = amount_in_data(value)
            if found is not None:
                return found
    return None


def _plain_number(text: str) -> float | None:
    """Under a revenue key a plain number is an amount (the key says what it is)."""
    try:
        return float(text.replace(",", "").strip())
    except ValueError:
        return None


def shorten(text: str, limit: int = 120) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"

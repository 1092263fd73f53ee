"""A unicode sparkline: two weeks of daily revenue at a glance, in any chat client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

BARS = "▁▂▃▄▅▆▇█"
SPARK_DAYS = 14


def recent_days(
    daily: Mapping[date, float], end: date, days: int = SPARK_DAYS
) -> tuple[float, ...]:
    """The last `days` daily totals ending on `end`; a day without rows is zero."""
    if not daily:
        return ()
    start = end - timedelta(days=days - 1)
    return tuple(daily.get(start + timedelta(days=i), 0.0) for i in range(days))


def sparkline(values: Sequence[float]) -> str:
    if not values:
        return ""
    # Bars start at zero, so a dip reads as its real size rather than as a collapse.
    low, high = min(0.0, *values), max(values)
    if high == low:
        # Only an all-zero run gets here (bars start at zero): the lowest bar, never mid-height.
        return BARS[0] * len(values)
    scale = (len(BARS) - 1) / (high - low)
    return "".join(BARS[round((v - low) * scale)] for v in values)

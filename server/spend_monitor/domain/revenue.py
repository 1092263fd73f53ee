"""Assembling a customer's revenue from the aggregates a source returns."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from datetime import date

from .models import CustomerRevenue, ServiceRevenue, SourceName
from .periods import Period


def from_daily(
    key: str,
    source: SourceName,
    daily: Mapping[date, float],
    services: Iterable[ServiceRevenue],
    period: Period,
) -> CustomerRevenue:
    """Totals for the compared windows, summed from daily totals that cover both months
    (exactly rounded, whatever order the days came in: the same data gives the same cents)."""
    current, prior_total, prior_same = window_totals(daily, period)
    return CustomerRevenue(
        key=key,
        source=source,
        current=current,
        prior_total=prior_total,
        prior_same_days=prior_same,
        services=tuple(sorted(services, key=lambda s: s.service)),
        daily=dict(sorted(daily.items())),
    )


def window_totals(daily: Mapping[date, float], period: Period) -> tuple[float, float, float]:
    """This month so far, the whole prior month and its same days (`Period.windows`), each
    summed exactly (math.fsum: the same cents whatever order the days come in). Each
    window's days are found by bisection in the days sorted once: a Tableau book of 5,000
    customers sums 55,000 series, and testing every day against every window was a fifth
    of its run."""
    days = sorted(daily)
    amounts = [daily[day] for day in days]
    current, prior_total, prior_same = (
        math.fsum(amounts[bisect_left(days, first) : bisect_right(days, last)])
        for first, last in period.windows.values()
    )
    return current, prior_total, prior_same


def unavailable(key: str, source: SourceName, reason: str) -> CustomerRevenue:
    """A customer whose data could not be had: never a zero."""
    return CustomerRevenue(key=key, source=source, current=None, prior_total=None, error=reason)

"""Which days a digest compares, and business-day arithmetic for stale tickets."""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict


class Period(BaseModel):
    """The current month-to-date and the prior month, as fixed by the as-of date and the data."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    data_through: date
    current_start: date
    prior_start: date
    prior_end: date
    # The source's last day with rows, when known (it may be later than data_through: today's
    # rows, or a last day left out as incomplete).
    source_last_day: date | None = None
    # The source's first day with rows, when known: before current_start, or nothing compares.
    source_first_day: date | None = None

    @property
    def days_elapsed(self) -> int:
        """`d`: days of the current month that have data."""
        return self.data_through.day

    @property
    def days_in_prior(self) -> int:
        return self.prior_end.day

    @property
    def days_in_current(self) -> int:
        return days_in_month(self.current_start)

    @property
    def current_month(self) -> str:
        return self.current_start.strftime("%Y-%m")

    @property
    def prior_month(self) -> str:
        return self.prior_start.strftime("%Y-%m")

    def prior_same_day_end(self) -> date:
        """Last prior-month day in the same-days window (days 1..d, capped at the month end)."""
        return self.prior_start.replace(day=min(self.days_elapsed, self.days_in_prior))

    @property
    def windows(self) -> dict[str, tuple[date, date]]:
        """The compared totals and the days each sums, first to last: this month so far, the
        whole prior month, and the prior month's same days."""
        return {
            "current": (self.current_start, self.data_through),
            "prior_total": (self.prior_start, self.prior_end),
            "prior_same_days": (self.prior_start, self.prior_same_day_end()),
        }


def days_in_month(day: date) -> int:
    return _days_in_month(day.year, day.month)


@functools.cache
def _days_in_month(year: int, month: int) -> int:
    """Asked for every customer projected, always of the same few months."""
    return calendar.monthrange(year, month)[1]


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month_start(day: date) -> date:
    return (month_start(day) - timedelta(days=1)).replace(day=1)


def data_through(as_of: date, latest: date | None) -> date:
    """The last complete day: yesterday, or the latest day the source has if that is earlier.

    Today's partial day (and anything later) never counts.
    """
    yesterday = as_of - timedelta(days=1)
    if latest is None or latest >= yesterday:
        return yesterday
    return latest


def period_for(
    as_of: date,
    latest: date | None = None,
    through: date | None = None,
    first: date | None = None,
) -> Period:
    """The period for `as_of` with data to `latest`; `through` caps it earlier (a last day
    left out as incomplete)."""
    through = min(data_through(as_of, latest), through or as_of)
    prior_start = previous_month_start(through)
    return Period(
        as_of=as_of,
        data_through=through,
        current_start=month_start(through),
        prior_start=prior_start,
        prior_end=month_start(through) - timedelta(days=1),
        source_last_day=latest,
        source_first_day=first,
    )


def business_days_between(start: date, end: date, holidays: Iterable[date] = ()) -> int:
    """Business days after `start` up to and including `end`: weekends and holidays skipped."""
    closed = set(holidays)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if day.weekday() < 5 and day not in closed:
            count += 1
        day += timedelta(days=1)
    return count


def public_holidays(country: str, start: date, end: date) -> frozenset[date]:
    """Public holidays of `country` (ISO code) between two dates; the data ships with the code."""
    import holidays

    calendar_ = holidays.country_holidays(country, years=range(start.year, end.year + 1))
    return frozenset(day for day in calendar_ if start <= day <= end)

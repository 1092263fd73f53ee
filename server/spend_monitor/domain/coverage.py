"""What the data covers, and the rules that keep a gap from reading as a move.

Each rule lives here once (documented in docs/pacing.md with its default): a source without the
prior month, a customer new or returning, a prior month covered only in part, a customer that
stopped, a partial last day, and data late as a whole. A day without rows is never a zero.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Literal

import numpy as np

from .columns import Floats, Ints, Mask, RevenueColumns, last_true
from .formatting import format_amount, month_abbr, short_date
from .models import Coverage, Frozen, SourceCoverage, Thresholds, lean
from .periods import Period, period_for

# A customer "has revenue on most days" when it does on this share of its usual days.
MOST_DAYS_SHARE = 0.6
# The weeks a stop and a partial day are judged against.
HISTORY_DAYS = 28
# A prior month whose rows end this many days or more before its end is covered in part.
PRIOR_GAP_DAYS = 7
# Same weekdays needed before a day can be called incomplete.
MIN_USUAL_WEEKS = 2

History = Literal["new", "returning"]


class Stop(Frozen):
    """A customer's last revenue day, and its usual daily revenue before."""

    last_day: date
    daily: float

    @property
    def text(self) -> str:
        return (
            f"no revenue since {short_date(self.last_day)} "
            f"(was {format_amount(self.daily)}/day) — a stop or a data gap: check the source"
        )


class PartialDay(Frozen):
    """The last day, left out: its book total as a share of a usual same weekday."""

    day: date
    share_pct: float

    @property
    def pace_through(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def text(self) -> str:
        return (
            f"{short_date(self.day)} looks incomplete (book total {self.share_pct:.0f}% of a "
            f"usual {self.day:%A}): pacing through {short_date(self.pace_through)}"
        )


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def lookback_start(period: Period, thresholds: Thresholds) -> date:
    """The first day a source must fetch so `new` and `returning` can be told apart."""
    return period.current_start - timedelta(days=thresholds.lookback_days)


def source_coverage(book: Mapping[date, float], first_day: date | None = None) -> SourceCoverage:
    """The book's first and last day with rows (`first_day`: when known to be earlier than the
    days in `book`) and the days between without any."""
    if not book:
        return SourceCoverage(first_day=first_day, last_day=None)
    first, last = min(book), max(book)
    return SourceCoverage(
        first_day=min(first, first_day or first),
        last_day=last,
        days_missing=tuple(d for d in _days(first, last) if d not in book),
    )


def coverage_lines(coverage: SourceCoverage, names: Mapping[str, str] | None = None) -> list[str]:
    """What `spend-monitor check` says about a source's coverage (`names`: key → label)."""
    if coverage.first_day is None or coverage.last_day is None:
        return ["no rows at all"]
    lines = [f"data from {coverage.first_day} to {coverage.last_day}"]
    if coverage.days_missing:
        shown = ", ".join(short_date(d) for d in coverage.days_missing[:10])
        more = len(coverage.days_missing) - 10
        lines.append(
            f"{len(coverage.days_missing)} day(s) without any row: {shown}"
            + (f" and {more} more" if more > 0 else "")
        )
    for key, last in coverage.ends_early.items():
        lines.append(f"{(names or {}).get(key, key)}: rows end early, on {short_date(last)}")
    return lines


def daily_with_gaps(
    daily: Mapping[date, float], start: date, end: date
) -> list[tuple[date, float | None]]:
    """Each day from start to end with its revenue, None where the data has no rows: a day
    without rows is not a real zero (the history answer marks it)."""
    return [(d, daily.get(d)) for d in _days(start, end)]


def ends_early(ends: Mapping[str, date], period: Period) -> dict[str, date]:
    """Customers whose rows stop inside the compared months before the period's last day (a
    customer gone for longer is churned, not a gap), with their last day."""
    return {
        key: last
        for key, last in sorted(ends.items())
        if period.prior_start <= last < period.data_through
    }


def book_totals(customers: Iterable[Mapping[date, float]]) -> dict[date, float]:
    """The whole book's total per day with rows, summed exactly from each customer's daily
    totals (math.fsum: the same whatever order customers come in)."""
    amounts: dict[date, list[float]] = {}
    for daily in customers:
        for day, amount in daily.items():
            amounts.setdefault(day, []).append(amount)
    return {day: math.fsum(values) for day, values in amounts.items()}


def prior_uncovered(first_day: date | None, period: Period) -> str | None:
    """The one line a run fails with when the source holds nothing before this month."""
    if first_day is not None and first_day < period.current_start:
        return None
    start = short_date(period.current_start)
    return f"the source has no data before {start}: nothing to compare with"


def late_notice(as_of: date, last_day: date | None, thresholds: Thresholds) -> str | None:
    """The header line for data late as a whole: yesterday is on time."""
    if last_day is None or (as_of - last_day).days <= thresholds.max_data_lag_days:
        return None
    late = (as_of - last_day).days - 1
    return f"⚠️ data through {short_date(last_day)} — {late} day{'s' if late != 1 else ''} late"


def partial_last_day(
    book: Mapping[date, float], latest: date, thresholds: Thresholds
) -> PartialDay | None:
    """The latest day, when the book's total for it is far below what the same weekday brought
    in the weeks before (their median): an export cut short, not a quiet day."""
    usual = [
        book[day]
        for week in range(1, HISTORY_DAYS // 7 + 1)
        if (day := latest - timedelta(weeks=week)) in book
    ]
    if len(usual) < MIN_USUAL_WEEKS:
        return None
    typical = statistics.median(usual)
    if typical <= 0:
        return None
    share = book.get(latest, 0.0) / typical * 100
    return PartialDay(day=latest, share_pct=share) if share < thresholds.partial_day_pct else None


def settle_period(
    as_of: date,
    book: Mapping[date, float],
    thresholds: Thresholds,
    first: date | None = None,
    latest: date | None = None,
) -> tuple[Period, str | None]:
    """The period the book allows for `as_of` and, when its last day looks cut short, the line
    that says so (the period then ends the day before). `first`/`latest`: the source's first
    and last day when known beyond `book`."""
    first = first or (min(book) if book else None)
    latest = latest or (max(book) if book else None)
    period = period_for(as_of, latest, first=first)
    if latest is None or period.data_through != latest:
        return period, None
    partial = partial_last_day(book, latest, thresholds)
    if partial is None:
        return period, None
    return period_for(as_of, latest, through=partial.pace_through, first=first), partial.text


def history(daily: Mapping[date, float], period: Period, since: date) -> History | None:
    """`new` with no revenue from `since` to the prior month's end; `returning` with revenue
    before the prior month but none in it; None when the prior month had revenue."""
    if any(v > 0 for d, v in daily.items() if period.prior_start <= d <= period.prior_end):
        return None
    earlier = any(v > 0 for d, v in daily.items() if since <= d < period.prior_start)
    return "returning" if earlier else "new"


def _active(daily: Mapping[date, float], days: Iterable[date]) -> list[float]:
    return [daily[d] for d in days if daily.get(d, 0.0) > 0]


def prior_through(daily: Mapping[date, float], period: Period) -> date | None:
    """The prior month's last day with rows, when the customer's rows end early in it while it
    had revenue on most days before: the rest of that month is a gap, not a zero."""
    prior = [d for d in daily if period.prior_start <= d <= period.prior_end]
    if not prior:
        return None
    last = max(prior)
    if (period.prior_end - last).days < PRIOR_GAP_DAYS:
        return None
    span = _days(max(period.prior_start, last - timedelta(days=HISTORY_DAYS - 1)), last)
    return last if len(_active(daily, span)) >= MOST_DAYS_SHARE * len(span) else None


def stopped(
    daily: Mapping[date, float],
    period: Period,
    thresholds: Thresholds,
    book_missing: Collection[date] = (),
) -> Stop | None:
    """No revenue on `stop_days` or more of the customer's usual days (weekdays it mostly
    trades on) since its last revenue in the compared months, on days the book has rows for,
    after revenue on most usual days of the four weeks before."""
    paid = [d for d, v in daily.items() if v > 0 and d <= period.data_through]
    if not paid or max(paid) < period.prior_start:
        return None
    last = max(paid)
    weeks = _days(last - timedelta(days=HISTORY_DAYS - 1), last)
    counts = [0] * 7
    for day in weeks:
        counts[day.weekday()] += daily.get(day, 0.0) > 0
    usual = {w for w in range(7) if counts[w] >= MIN_USUAL_WEEKS}
    usual_days = [d for d in weeks if d.weekday() in usual]
    active = _active(daily, usual_days)
    if not usual_days or len(active) < MOST_DAYS_SHARE * len(usual_days):
        return None
    quiet = [
        d
        for d in _days(last + timedelta(days=1), period.data_through)
        if d.weekday() in usual and d not in book_missing
    ]
    if len(quiet) < thresholds.stop_days:
        return None
    return Stop(last_day=last, daily=sum(active) / len(active))


def customer_coverage(daily: Mapping[date, float], period: Period) -> Coverage:
    """The days of each compared period one customer's rows cover, its last revenue, and
    which days were left out of the comparison and why."""
    paid = [d for d, v in daily.items() if v > 0 and d <= period.data_through]
    through = prior_through(daily, period)
    return Coverage(
        prior_days=sum(period.prior_start <= d <= period.prior_end for d in daily),
        current_days=sum(period.current_start <= d <= period.data_through for d in daily),
        last_revenue_day=max(paid) if paid else None,
        prior_through=through,
        excluded=excluded_days(through, period),
    )


def excluded_days(through: date | None, period: Period) -> tuple[str, ...]:
    """Which days were left out of a customer's comparison and why: the prior month after
    its rows end early (`through`), and a last day that looks incomplete."""
    excluded = []
    if through is not None:
        gap = f"{short_date(through + timedelta(days=1))}–{short_date(period.prior_end)}"
        excluded.append(
            f"{gap}: no rows after revenue on most days: {covered_prior_note(through, period)}"
        )
    last = period.source_last_day
    if last is not None and period.data_through < last < period.as_of:
        excluded.append(f"{short_date(last)}: the book's total for it looks incomplete")
    return tuple(excluded)


def covered_prior_note(through: date, period: Period) -> str:
    days = (through - period.prior_start).days + 1
    return (
        f"{month_abbr(period.prior_start)} has rows only through {short_date(through)}: "
        f"compared over the {days} days covered"
    )


@dataclass(frozen=True, eq=False)
class Coverages:
    """`customer_coverage`, `stopped` and `history` for every row of the book; days are
    columns of `columns` (-1: none)."""

    columns: RevenueColumns
    prior_days: Ints
    current_days: Ints
    last_paid: Ints
    prior_through: Ints
    stop_daily: Floats
    stopped: Mask
    returning: Mask
    _made: dict[tuple[int, int, int, int], Coverage] = field(default_factory=dict)

    def day(self, column: int) -> date | None:
        return None if column < 0 else self.columns.day(column)

    def of(self, row: int, period: Period) -> Coverage:
        """Row `row`'s coverage in `period` (the one these were worked out for). Customers
        whose days agree share one frozen model: most of a book has the same few."""
        key = self._keys[row]
        made = self._made.get(key)
        if made is None:
            prior_days, current_days, last_paid, prior_through = key
            through = self.day(prior_through)
            made = self._made[key] = lean(
                Coverage,
                {
                    "prior_days": prior_days,
                    "current_days": current_days,
                    "last_revenue_day": self.day(last_paid),
                    "prior_through": through,
                    "excluded": excluded_days(through, period),
                },
            )
        return made

    @cached_property
    def _keys(self) -> list[tuple[int, int, int, int]]:
        """Each row's days as plain ints, read once for the whole book."""
        return list(
            zip(
                self.prior_days.tolist(),
                self.current_days.tolist(),
                self.last_paid.tolist(),
                self.prior_through.tolist(),
                strict=True,
            )
        )

    def stop(self, row: int) -> Stop | None:
        if not self.stopped[row]:
            return None
        last = self.day(int(self.last_paid[row]))
        if last is None:
            return None
        return Stop(last_day=last, daily=float(self.stop_daily[row]))


@dataclass(frozen=True, eq=False)
class _Days:
    """The book's days from `start`, reaching far enough back for every rule's look-back."""

    start: date
    values: Floats
    rows: Mask
    paid: Mask

    def col(self, day: date) -> int:
        return (day - self.start).days


def _prior_through(days: _Days, period: Period) -> Ints:
    """`prior_through` for every row: the prior month's last column with rows, where they end
    PRIOR_GAP_DAYS or more early after revenue on most days before it; else -1."""
    prior = slice(days.col(period.prior_start), days.col(period.prior_end) + 1)
    covered = days.rows[:, prior].any(axis=1)
    last = np.where(covered, prior.start + last_true(days.rows[:, prior]), -1)
    gap = days.col(period.prior_end) - last >= PRIOR_GAP_DAYS
    first = np.maximum(prior.start, last - (HISTORY_DAYS - 1))
    zero = np.zeros((len(last), 1), np.int32)
    running = np.concatenate([zero, days.paid.cumsum(axis=1, dtype=np.int32)], axis=1)
    every = np.arange(len(last))
    active = running[every, last + 1] - running[every, first]
    ends_early = covered & gap & (active >= MOST_DAYS_SHARE * (last - first + 1))
    return np.where(ends_early, last, -1)


def _stops(
    days: _Days,
    last_paid: Ints,
    period: Period,
    thresholds: Thresholds,
    book_missing: Collection[date],
) -> tuple[Mask, Floats]:
    """`stopped` for every row: whether it stopped, and its usual daily revenue before."""
    every = np.arange(len(last_paid))
    weekday0 = days.start.weekday()
    weeks = np.maximum(last_paid, 0)[:, None] + np.arange(-(HISTORY_DAYS - 1), 1)[None, :]
    inside = np.maximum(weeks, 0)
    in_weeks = days.paid[every[:, None], inside] & (weeks >= 0)
    amounts = np.where(in_weeks, days.values[every[:, None], inside], 0.0)
    weekday = (weekday0 + weeks) % 7
    counts = np.stack([(in_weeks & (weekday == w)).sum(axis=1) for w in range(7)], axis=1)
    usual = counts >= MIN_USUAL_WEEKS
    usual_day = np.take_along_axis(usual, weekday, axis=1)
    active = (in_weeks & usual_day).sum(axis=1)
    usual_days = usual_day.sum(axis=1)
    steady = (usual_days > 0) & (active >= MOST_DAYS_SHARE * usual_days)
    # Quiet usual weekdays since the last revenue, on days the book has rows for.
    width = days.values.shape[1]
    open_day = np.array(
        [days.start + timedelta(days=c) not in book_missing for c in range(width)], np.bool_
    )
    through = days.col(period.data_through)
    quiet = np.zeros(len(last_paid), np.intp)
    for w in range(7):
        seen = np.concatenate([[0], np.cumsum(open_day & ((weekday0 + np.arange(width)) % 7 == w))])
        quiet += np.where(usual[:, w], seen[through + 1] - seen[np.maximum(last_paid, 0) + 1], 0)
    stopped_ = (
        (last_paid >= days.col(period.prior_start)) & steady & (quiet >= thresholds.stop_days)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = np.where(usual_day, amounts, 0.0).sum(axis=1) / active
    return np.asarray(stopped_), daily


def _returning(days: _Days, period: Period, thresholds: Thresholds) -> Mask:
    """`history(...) == "returning"` for every row: no revenue in the prior month, some in the
    look-back before it."""
    prior = slice(days.col(period.prior_start), days.col(period.prior_end) + 1)
    since = max(days.col(lookback_start(period, thresholds)), 0)
    earlier = days.paid[:, since : prior.start].any(axis=1)
    return np.asarray(~days.paid[:, prior].any(axis=1) & earlier)


def coverages(
    columns: RevenueColumns,
    period: Period,
    thresholds: Thresholds,
    book_missing: Collection[date] = (),
) -> Coverages:
    """The coverage rules over whole columns, each in a helper next to the one-customer
    function it mirrors (`prior_through`, `stopped`, `history`, `customer_coverage`)."""
    earliest = min(columns.start, lookback_start(period, thresholds), period.prior_start)
    start = earliest - timedelta(days=HISTORY_DAYS)
    values, rows = columns.window(start, max(period.data_through, columns.day(columns.days - 1)))
    days = _Days(start, values, rows, (values > 0) & rows)
    prior = slice(days.col(period.prior_start), days.col(period.prior_end) + 1)
    current = slice(days.col(period.current_start), days.col(period.data_through) + 1)
    last_paid = last_true(days.paid[:, : days.col(period.data_through) + 1])
    stopped_, stop_daily = _stops(days, last_paid, period, thresholds, frozenset(book_missing))
    prior_through = _prior_through(days, period)
    # Back to the book's own columns (the days start `pad` days earlier).
    pad = (columns.start - start).days
    return Coverages(
        columns=columns,
        prior_days=rows[:, prior].sum(axis=1),
        current_days=rows[:, current].sum(axis=1),
        last_paid=np.where(last_paid >= 0, last_paid - pad, -1),
        prior_through=np.where(prior_through >= 0, prior_through - pad, -1),
        stop_daily=stop_daily,
        stopped=stopped_,
        returning=_returning(days, period, thresholds),
    )

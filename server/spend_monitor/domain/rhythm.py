"""A customer's weekly rhythm and noise, from its own daily history.

The weekday profile is the median revenue of each weekday over the prior month, relative to the
average weekday (medians shrug off one odd day); public holidays count as the customer's
quietest weekday. The noise is a robust spread (MAD) of the days around that profile.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from .columns import Floats, Mask, RevenueColumns
from .periods import Period

MIN_HISTORY_DAYS = 28
MAD_TO_SIGMA = 1.4826
CHANGE_WINDOW_DAYS = 45
MIN_SEGMENT_DAYS = 3
# Rows `change_points` works through at a time.
CHANGE_ROWS = 4096


class Rhythm(BaseModel):
    """Weekday weights (Mon..Sun, averaging 1) and the daily noise around them."""

    model_config = ConfigDict(frozen=True)

    weights: tuple[float, ...]
    daily_sigma: float
    holidays: frozenset[date] = frozenset()

    def weight(self, day: date) -> float:
        if day in self.holidays:
            return min(self.weights)
        return self.weights[day.weekday()]

    def span(self, start: date, end: date) -> float:
        """Total weight of the days from start to end, inclusive: whole weeks at once, then
        the days left over, then each holiday in the range swapped to the quietest weight."""
        days = (end - start).days + 1
        if days <= 0:
            return 0.0
        weeks, rest = divmod(days, 7)
        total = weeks * sum(self.weights)
        total += sum(self.weights[(start.weekday() + i) % 7] for i in range(rest))
        quiet = min(self.weights)
        for holiday in self.holidays:
            if start <= holiday <= end:
                total += quiet - self.weights[holiday.weekday()]
        return total


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def rhythm_for(
    daily: Mapping[date, float], period: Period, holidays: Collection[date] = ()
) -> Rhythm | None:
    """The customer's rhythm from the prior month, or None with too little history (fewer than
    four weeks of days with data, or nothing to weigh)."""
    days = _days(period.prior_start, period.prior_end)
    if not daily or min(daily) > period.prior_start or len(days) < MIN_HISTORY_DAYS:
        return None
    closed = frozenset(holidays)
    samples: dict[int, list[float]] = {w: [] for w in range(7)}
    for day in days:
        if day not in closed:
            samples[day.weekday()].append(daily.get(day, 0.0))
    medians = [statistics.median(samples[w]) if samples[w] else 0.0 for w in range(7)]
    level = sum(medians) / 7
    if level <= 0:
        return None
    weights = tuple(m / level for m in medians)
    residuals = [daily.get(d, 0.0) - level * weights[d.weekday()] for d in days if d not in closed]
    center = statistics.median(residuals)
    mad = statistics.median(abs(r - center) for r in residuals)
    return Rhythm(weights=weights, daily_sigma=mad * MAD_TO_SIGMA, holidays=closed)


@dataclass(frozen=True, eq=False)
class Rhythms:
    """Every customer's `Rhythm` at once (rows where `known` is False have none)."""

    weights: Floats
    daily_sigma: Floats
    known: Mask
    holidays: frozenset[date]

    def of(self, row: int) -> Rhythm | None:
        if not self.known[row]:
            return None
        return Rhythm(
            weights=tuple(self.weights[row].tolist()),
            daily_sigma=float(self.daily_sigma[row]),
            holidays=self.holidays,
        )

    def span(self, start: date, end: date) -> Floats:
        """`Rhythm.span` for every row."""
        days = (end - start).days + 1
        if days <= 0:
            return np.zeros(len(self.known))
        weeks, rest = divmod(days, 7)
        total = weeks * _row_sums(self.weights)
        total = total + _row_sums(self.weights[:, [(start.weekday() + i) % 7 for i in range(rest)]])
        quiet = self.weights.min(axis=1)
        for holiday in sorted(self.holidays):
            if start <= holiday <= end:
                total = total + (quiet - self.weights[:, holiday.weekday()])
        return total


def _row_sums(values: Floats) -> Floats:
    """Each row's sum added left to right, as Python's sum() adds a few weights."""
    total = np.zeros(values.shape[0])
    for column in range(values.shape[1]):
        total = total + values[:, column]
    return total


def rhythms_for(columns: RevenueColumns, period: Period, holidays: Collection[date]) -> Rhythms:
    """`rhythm_for` over every row of the book: medians per weekday and the noise around
    them as whole columns."""
    n = len(columns)
    closed = frozenset(holidays)
    none = Rhythms(np.ones((n, 7)), np.zeros(n), np.zeros(n, dtype=np.bool_), closed)
    first = columns.column(period.prior_start)
    days = _days(period.prior_start, period.prior_end)
    if first < 0 or columns.days == 0 or len(days) < MIN_HISTORY_DAYS:
        return none
    has_rows = columns.rows.any(axis=1)
    known = has_rows & (columns.rows.argmax(axis=1) <= first)
    open_days = [i for i, day in enumerate(days) if day not in closed]
    values = columns.window(period.prior_start, period.prior_end)[0]
    medians = np.zeros((n, 7))
    for weekday in range(7):
        chosen = [i for i in open_days if days[i].weekday() == weekday]
        if chosen:
            medians[:, weekday] = np.median(values[:, chosen], axis=1)
    level = _row_sums(medians) / 7
    known &= level > 0
    safe = np.where(known, level, 1.0)
    weights = medians / safe[:, None]
    weekdays = [days[i].weekday() for i in open_days]
    residuals = values[:, open_days] - safe[:, None] * weights[:, weekdays]
    center = np.median(residuals, axis=1)
    mad = np.median(np.abs(residuals - center[:, None]), axis=1)
    return Rhythms(np.where(known[:, None], weights, 1.0), mad * MAD_TO_SIGMA, known, closed)


def weekday_ratios(rhythms: Rhythms, period: Period) -> Floats:
    """`weekday_ratio` for every row (NaN where the rhythm is unknown)."""
    prior = rhythms.span(period.prior_start, period.prior_end)
    ratio = rhythms.span(period.current_start, period.data_through) / np.where(
        rhythms.known, prior, 1.0
    )
    return np.where(rhythms.known, ratio, np.nan)


def weekday_ratio(rhythm: Rhythm, period: Period) -> float:
    """Expected share of the prior month's total by data_through, by weekday weight."""
    prior = rhythm.span(period.prior_start, period.prior_end)
    return rhythm.span(period.current_start, period.data_through) / prior


class Projection(BaseModel):
    model_config = ConfigDict(frozen=True)

    total: float
    low: float
    high: float


def project(
    current: float,
    period: Period,
    rhythm: Rhythm | None,
    z: float = 2.0,
    level: float | None = None,
) -> Projection:
    """Where the month closes if the pace so far holds (weekday-weighted when the rhythm is
    known), with a range of `z` daily sigmas over the days left. With `level` (the daily mean
    after a detected change point) the days left run at that level instead: a customer that
    stopped is on track for what it has."""
    month_end = period.current_start.replace(day=period.days_in_current)
    left = (month_end - period.data_through).days
    if left <= 0:
        return Projection(total=current, low=current, high=current)
    if level is not None:
        # Weekday weights average 1, so a day's expected revenue is level × its weight.
        rest_days = (
            rhythm.span(period.data_through + timedelta(days=1), month_end) if rhythm else left
        )
        total = current + level * rest_days
        spread = z * rhythm.daily_sigma * left**0.5 if rhythm else 0.0
    elif rhythm is None:
        total = current * period.days_in_current / period.days_elapsed
        spread = 0.0
    else:
        done = rhythm.span(period.current_start, period.data_through)
        rest = rhythm.span(period.data_through + timedelta(days=1), month_end)
        total = current + (current / done * rest if done > 0 else 0.0)
        spread = z * rhythm.daily_sigma * left**0.5
    return Projection(
        total=total, low=max(total - spread, min(current, total)), high=total + spread
    )


@dataclass(frozen=True, eq=False)
class Projections:
    total: Floats
    low: Floats
    high: Floats


def projections(
    current: Floats,
    period: Period,
    rhythms: Rhythms,
    z: float = 2.0,
    level: Floats | None = None,
) -> Projections:
    """`project` for every row, with each row's `level` when given."""
    month_end = period.current_start.replace(day=period.days_in_current)
    left = (month_end - period.data_through).days
    if left <= 0:
        return Projections(current, current, current)
    rest = rhythms.span(period.data_through + timedelta(days=1), month_end)
    if level is not None:
        total = current + level * np.where(rhythms.known, rest, float(left))
    else:
        plain = current * period.days_in_current / period.days_elapsed
        done = rhythms.span(period.current_start, period.data_through)
        shared = np.where(done > 0, current / np.where(done > 0, done, 1.0) * rest, 0.0)
        total = np.where(rhythms.known, current + shared, plain)
    spread = np.where(rhythms.known, z * rhythms.daily_sigma * left**0.5, 0.0)
    low = np.maximum(total - spread, np.minimum(current, total))
    return Projections(total, low, total + spread)


class ChangePoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date
    before: float
    after: float


def _step_error(values: list[float], cut: int) -> float:
    """Squared error of fitting one mean before `cut` and another from it on."""
    left, right = values[:cut], values[cut:]
    mean_l, mean_r = sum(left) / len(left), sum(right) / len(right)
    return sum((v - mean_l) ** 2 for v in left) + sum((v - mean_r) ** 2 for v in right)


def _approximate_errors(values: list[float], cuts: range) -> list[float]:
    """Every cut's step error from running sums, in one pass (sum of squares less the
    squared sum over the count, on values centred first so little cancels)."""
    centre = sum(values) / len(values)
    shifted = [v - centre for v in values]
    total, total_sq = sum(shifted), sum(v * v for v in shifted)
    errors, run, run_sq = [], 0.0, 0.0
    for i, v in enumerate(shifted, start=1):
        run, run_sq = run + v, run_sq + v * v
        if i in cuts:
            rest, rest_sq, n = total - run, total_sq - run_sq, len(values) - i
            errors.append(run_sq - run * run / i + rest_sq - rest * rest / n)
    return errors


def change_started(daily: Mapping[date, float], end: date) -> ChangePoint | None:
    """The day the level shifted: the split of the last ~45 days whose two means leave the
    least squared error (a single step fit, simple enough to explain). Running sums rank
    every split in one pass; the few within rounding of the best are then scored exactly,
    so the answer is the plain fit's (first best split), at a fraction of its cost."""
    days = _days(end - timedelta(days=CHANGE_WINDOW_DAYS - 1), end)
    values = [daily.get(d, 0.0) for d in days]
    cuts = range(MIN_SEGMENT_DAYS, len(values) - MIN_SEGMENT_DAYS + 1)
    if not any(values) or not cuts:
        return None
    approximate = _approximate_errors(values, cuts)
    slack = 1e-9 * (max(approximate) + 1.0)
    least = min(approximate)
    close = [cut for cut, e in zip(cuts, approximate, strict=True) if e <= least + slack]
    cut = min(close, key=lambda c: _step_error(values, c))
    before, after = values[:cut], values[cut:]
    return ChangePoint(
        day=days[cut], before=sum(before) / len(before), after=sum(after) / len(after)
    )


@dataclass(frozen=True, eq=False)
class ChangePoints:
    """`change_started` for some rows at once: where `found`, the step's day and the daily
    means before and after it; `unsure` rows (several splits within rounding of the best)
    are left to the one-customer rule, which scores those splits exactly."""

    day: list[date]
    before: Floats
    after: Floats
    found: Mask
    unsure: Mask


def change_points(values: Floats, end: date) -> ChangePoints:
    """`change_started` over rows of the last CHANGE_WINDOW_DAYS daily totals ending on `end`
    (zero where no rows), with the same running sums added in the same order. Rows are
    worked through CHANGE_ROWS at a time: the search holds about ten arrays as wide as the
    window for every row it works on (140 MB at once for 50,000 customers)."""
    rows, width = values.shape
    days = _days(end - timedelta(days=width - 1), end)
    if rows == 0 or width - MIN_SEGMENT_DAYS < MIN_SEGMENT_DAYS:
        nothing = np.zeros(rows, dtype=np.bool_)
        return ChangePoints([], np.zeros(rows), np.zeros(rows), nothing, nothing)
    parts = [_best_splits(values[at : at + CHANGE_ROWS]) for at in range(0, rows, CHANGE_ROWS)]
    cut, before, after, unsure = (np.concatenate(column) for column in zip(*parts, strict=True))
    return ChangePoints(
        day=[days[c] for c in cut.tolist()],
        before=before,
        after=after,
        found=np.asarray(values.any(axis=1)),
        unsure=unsure,
    )


def _best_splits(values: Floats) -> tuple[NDArray[np.intp], Floats, Floats, Mask]:
    """For each row: the first day after the best split, the daily means before and after
    it, and whether several splits score within rounding of the best."""
    rows, width = values.shape
    centre = np.cumsum(values, axis=1)[:, -1] / width
    shifted = values - centre[:, None]
    run = np.cumsum(shifted, axis=1)
    run_sq = np.cumsum(shifted * shifted, axis=1)
    total, total_sq = run[:, -1:], run_sq[:, -1:]
    i = np.arange(MIN_SEGMENT_DAYS, width - MIN_SEGMENT_DAYS + 1)
    run, run_sq = run[:, i - 1], run_sq[:, i - 1]
    rest, rest_sq = total - run, total_sq - run_sq
    errors = run_sq - run * run / i + rest_sq - rest * rest / (width - i)
    slack = 1e-9 * (errors.max(axis=1) + 1.0)
    close = errors <= errors.min(axis=1)[:, None] + slack[:, None]
    cut = i[close.argmax(axis=1)]
    before = np.cumsum(values, axis=1)[np.arange(rows), cut - 1] / cut
    # Summed from the cut on, in order, as the one-customer rule adds them (zeros before
    # the cut add nothing).
    later = np.arange(width)[None, :] >= cut[:, None]
    after = np.cumsum(np.where(later, values, 0.0), axis=1)[:, -1] / (width - cut)
    return cut, before, after, np.asarray(close.sum(axis=1) > 1)

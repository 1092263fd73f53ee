"""How well each pace method would have done: replay past months with only the data through
checkpoint day d, project each month's total, and count false alarms.

For a method with baseline `B_d` for days 1..d and `B_full` for the whole month, the projected
total is `current × B_full / B_d`. A false alarm is a flag (growing or declining) on a
(customer, month, day) whose month closed within ±5% of the prior month.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping, Sequence
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel

from .coverage import book_totals, partial_last_day, prior_through, stopped
from .models import Customer, CustomerRevenue, MethodChoice, Thresholds, Totals
from .pacing import classify, pace_for
from .periods import Period, days_in_month, period_for
from .revenue import from_daily
from .rhythm import rhythm_for

BacktestMethod = Literal["legacy", "prorated", "same_days", "weekday", "auto"]
METHODS: tuple[BacktestMethod, ...] = ("legacy", "prorated", "same_days", "weekday", "auto")
STABLE_BAND = 0.05


class MethodScore(BaseModel):
    n: int
    mdape: float | None
    mape: float | None
    false_alarm_rate: float | None
    stable_cases: int


class BacktestReport(BaseModel):
    start: str
    end: str
    days: list[int]
    customers: int
    methods: dict[str, MethodScore]
    # Months left out because the data ends inside them: only complete months are scored.
    incomplete_months: list[str] = []
    # Complete days the partial-day rule would have left out (it must be 0).
    partial_day_exclusions: int = 0
    # Replayed (customer, month, day) cases the coverage rules change: how many read as a stop
    # or as a prior month covered in part, and how many of those closed the month stable
    # (within ±5% of the prior month: a wrong call).
    coverage_cases: dict[str, int] = {}


def _month_total(daily: Mapping[date, float], start: date) -> float:
    end = start.replace(day=days_in_month(start))
    return sum(v for d, v in daily.items() if start <= d <= end)


def _visible(daily: Mapping[date, float], through: date) -> dict[date, float]:
    return {d: v for d, v in daily.items() if d <= through}


def _baselines(
    method: BacktestMethod,
    revenue: CustomerRevenue,
    totals: Totals,
    daily: Mapping[date, float],
    period: Period,
    thresholds: Thresholds,
    holidays: Collection[date],
) -> tuple[float, float, bool]:
    """(B_d, B_full, flagged) for one method on one checkpoint."""
    d, dim, prior_days = period.days_elapsed, period.days_in_current, period.days_in_prior
    prior = totals.prior_total
    if method == "legacy":  # the old script: prorated to today's day number, data to yesterday
        b_d = prior * (d + 1) / prior_days
        pct = (totals.current - b_d) / b_d * 100
        return (
            b_d,
            prior * dim / prior_days,
            classify(totals.current, b_d, pct, thresholds) in ("growing", "declining"),
        )
    rhythm = rhythm_for(daily, period, holidays)
    requested: MethodChoice = method
    settings = (
        thresholds
        if method == "auto"
        else thresholds.model_copy(update={"suppress_noise": False, "min_baseline": 0})
    )
    pace = pace_for(Customer(name=revenue.key), revenue, period, requested, settings, rhythm)
    b_d = pace.baseline or 0.0
    if pace.method == "weekday" and rhythm is not None:
        end = period.current_start.replace(day=dim)
        b_full = (
            prior
            * rhythm.span(period.current_start, end)
            / rhythm.span(period.prior_start, period.prior_end)
        )
    elif pace.method == "same_days" and dim <= prior_days:
        b_full = sum(
            v
            for day, v in daily.items()
            if period.prior_start <= day < period.prior_start + timedelta(days=dim)
        )
    else:
        b_full = prior * dim / prior_days
    return b_d, b_full, pace.flag in ("growing", "declining")


def backtest(
    daily_by_customer: Mapping[str, Mapping[date, float]],
    months: Sequence[date],
    checkpoints: Sequence[int],
    thresholds: Thresholds,
    holidays: Collection[date] = (),
    complete_through: date | None = None,
) -> BacktestReport:
    """Scores only months complete in the data: ending by `complete_through` (the source's last
    complete day; by default the last day any customer has)."""
    last = complete_through or max(
        (d for daily in daily_by_customer.values() for d in daily), default=None
    )
    complete = [m for m in months if last is not None and m.replace(day=days_in_month(m)) <= last]
    errors: dict[str, list[float]] = {m: [] for m in METHODS}
    alarms: dict[str, list[bool]] = {m: [] for m in METHODS}
    cases = dict.fromkeys(("stopped", "stopped_stable", "prior_in_part", "prior_in_part_stable"), 0)
    for daily in daily_by_customer.values():
        for month in complete:
            prior_start = (month - timedelta(days=1)).replace(day=1)
            actual, prior_total = _month_total(daily, month), _month_total(daily, prior_start)
            if prior_total <= 0:
                continue
            stable = abs(actual - prior_total) <= STABLE_BAND * prior_total
            for d in checkpoints:
                if d > days_in_month(month):
                    continue
                period = period_for(month.replace(day=d) + timedelta(days=1))
                seen = _visible(daily, period.data_through)
                revenue = from_daily("backtest", "local", seen, (), period)
                totals = revenue.totals
                if totals is None:
                    continue
                for rule, fired in (
                    ("stopped", stopped(seen, period, thresholds) is not None),
                    ("prior_in_part", prior_through(seen, period) is not None),
                ):
                    cases[rule] += fired
                    cases[f"{rule}_stable"] += fired and stable
                for method in METHODS:
                    b_d, b_full, flagged = _baselines(
                        method, revenue, totals, seen, period, thresholds, holidays
                    )
                    if b_d > 0 and actual > 0:
                        projected = totals.current * b_full / b_d
                        errors[method].append(abs(projected - actual) / actual)
                    if stable:
                        alarms[method].append(flagged)
    return BacktestReport(
        start=months[0].strftime("%Y-%m"),
        end=months[-1].strftime("%Y-%m"),
        days=list(checkpoints),
        customers=len(daily_by_customer),
        methods={
            m: MethodScore(
                n=len(errors[m]),
                mdape=round(statistics.median(errors[m]), 4) if errors[m] else None,
                mape=round(statistics.fmean(errors[m]), 4) if errors[m] else None,
                false_alarm_rate=round(sum(alarms[m]) / len(alarms[m]), 4) if alarms[m] else None,
                stable_cases=len(alarms[m]),
            )
            for m in METHODS
        },
        incomplete_months=[m.strftime("%Y-%m") for m in months if m not in complete],
        partial_day_exclusions=false_exclusions(daily_by_customer, last, thresholds),
        coverage_cases=cases,
    )


def false_exclusions(
    daily_by_customer: Mapping[str, Mapping[date, float]], last: date | None, thresholds: Thresholds
) -> int:
    """How many complete days (through `last`) the partial-day rule would call incomplete."""
    book = book_totals(daily_by_customer.values())
    complete = [day for day in book if last is not None and day <= last]
    return sum(partial_last_day(book, day, thresholds) is not None for day in complete)


def months_between(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months

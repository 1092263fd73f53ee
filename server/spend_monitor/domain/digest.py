"""From a period's revenue to the `Digest`: pace, drivers and the watch list, in one pass."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Collection, Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .columns import Floats, Mask, RevenueColumns, cents
from .coverage import (
    Coverages,
    Stop,
    coverages,
    covered_prior_note,
    customer_coverage,
    history,
    late_notice,
    lookback_start,
    prior_uncovered,
    stopped,
)
from .customers import CustomerIndex
from .drivers import Drivers, drivers_for, drivers_over
from .models import (
    Amounts,
    Customer,
    CustomerRevenue,
    Digest,
    Escalation,
    Flag,
    MethodChoice,
    Pace,
    PaceMethod,
    SourceCoverage,
    Thresholds,
    Ticket,
    lean,
)
from .pacing import (
    Paces,
    held_back_note,
    pace_for,
    paces_for,
    status_words,
    unavailable_pace,
)
from .periods import Period
from .rhythm import (
    CHANGE_WINDOW_DAYS,
    ChangePoint,
    ChangePoints,
    Projections,
    Rhythm,
    Rhythms,
    change_points,
    change_started,
    project,
    projections,
    rhythm_for,
    rhythms_for,
    weekday_ratio,
    weekday_ratios,
)
from .sparkline import SPARK_DAYS, recent_days
from .watch import DEFAULT_CLOSED_STATUSES, watch_list

# Alerts first, the quiet majority last.
FLAG_ORDER: dict[Flag, int] = {
    "stopped": 0,
    "declining": 1,
    "growing": 2,
    "unavailable": 3,
    "new": 4,
    "returning": 5,
    "normal": 6,
    "inactive": 7,
}


def digest_order(pace: Pace) -> tuple[int, float, str]:
    return (FLAG_ORDER[pace.flag], -abs(pace.delta), pace.display_name.casefold())


def _over_covered_days(revenue: CustomerRevenue, through: date, period: Period) -> CustomerRevenue:
    """The prior month as its covered days say it would have been: the customer's totals and
    service lines scaled from the days with rows, so missing days never count as zeros."""
    factor = period.days_in_prior / ((through - period.prior_start).days + 1)
    unknown = {"prior_same_days": None}
    return revenue.model_copy(
        update={
            "prior_total": (revenue.prior_total or 0.0) * factor,
            **unknown,
            "services": tuple(
                s.model_copy(update={"prior_total": s.prior_total * factor, **unknown})
                for s in revenue.services
            ),
        }
    )


def assess(
    customer: Customer,
    revenue: CustomerRevenue,
    period: Period,
    method: MethodChoice,
    thresholds: Thresholds,
    holidays: Collection[date] = (),
    book_missing: Collection[date] = (),
) -> Pace:
    """One customer's pace with the service lines behind it, when a big move began, and what
    its data covers; a gap in its rows is never read as a move (domain/coverage.py)."""
    coverage = customer_coverage(revenue.daily, period) if revenue.daily else None
    compared = revenue
    if coverage is not None and coverage.prior_through is not None:
        compared = _over_covered_days(revenue, coverage.prior_through, period)
        method = "prorated"
    usable = revenue.error is None and compared is revenue
    rhythm = rhythm_for(revenue.daily, period, holidays) if usable else None
    pace = pace_for(customer, compared, period, method, thresholds, rhythm)
    if pace.flag == "unavailable":
        return pace
    ratio = weekday_ratio(rhythm, period) if rhythm is not None else None
    update: dict[str, object] = {
        "drivers": drivers_for(compared, period, pace.method, thresholds, ratio),
        "recent": recent_days(revenue.daily, period.data_through),
        "prior_total": revenue.prior_total,
        "coverage": coverage,
    }
    if compared is not revenue and coverage is not None and coverage.prior_through is not None:
        note = covered_prior_note(coverage.prior_through, period)
        update["note"] = "; ".join(n for n in (pace.note, note) if n)
    stop = stopped(revenue.daily, period, thresholds, book_missing) if revenue.daily else None
    if stop is not None:
        return pace.model_copy(update=update | _stopped_fields(stop, pace.current))
    since = lookback_start(period, thresholds)
    if pace.flag == "new" and history(revenue.daily, period, since) == "returning":
        update |= _returning_fields(period, thresholds)
    if _alerted_move(pace.flag, pace.big_mover) and revenue.daily:
        shift = change_started(revenue.daily, period.data_through)
        update |= _change_fields(shift, pace.current or 0.0, period, rhythm)
    return pace.model_copy(update=update)


def _stopped_fields(stop: Stop, current: float | None) -> dict[str, object]:
    return {
        "flag": "stopped",
        "status": stop.text,
        "change_pct": None,
        "big_mover": False,
        "z_score": None,
        "within_noise": None,
        "held_back": False,
        "projected_total": current,
        "projected_low": current,
        "projected_high": current,
    }


def _returning_fields(period: Period, thresholds: Thresholds) -> dict[str, object]:
    words = status_words("returning", None, 0.0, period, thresholds.big_mover_pct)
    return {"flag": "returning", "status": words}


def _alerted_move(flag: str, big_mover: bool) -> bool:
    """A decline, or a surge: when the move began is worth finding."""
    return flag == "declining" or (flag == "growing" and big_mover)


def _change_fields(
    shift: ChangePoint | None, current: float, period: Period, rhythm: Rhythm | None
) -> dict[str, object]:
    if shift is None:
        return {}
    after = project(current, period, rhythm, level=shift.after)
    return {
        "change_started": shift.day,
        "daily_before": shift.before,
        "daily_after": shift.after,
        "projected_total": after.total,
        "projected_low": after.low,
        "projected_high": after.high,
    }


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


@dataclasses.dataclass(frozen=True, eq=False)
class _Sparklines:
    """Every row's sparkline days: what each customer's `Amounts` reads them from (it keeps
    these, not the whole book's columns)."""

    amounts: Floats

    @functools.cached_property
    def cents(self) -> Floats:
        return cents(self.amounts)

    def of(self, row: int) -> Amounts:
        """Row `row`'s days, read when wanted."""
        return Amounts(
            read=functools.partial(_row, self.amounts, row),
            shown=functools.partial(_row, self.cents, row),
        )


def _row(matrix: Floats, row: int) -> list[float]:
    days: list[float] = matrix[row].tolist()
    return days


@dataclasses.dataclass(frozen=True, eq=False)
class _Book:
    """Everything `assess_book` worked out over whole columns."""

    columns: RevenueColumns
    period: Period
    thresholds: Thresholds
    has_daily: Mask
    covered: Mask
    cover: Coverages
    rhythms: Rhythms
    paces: Paces
    projections: Projections
    drivers: Drivers
    sparklines: _Sparklines
    changes: ChangePoints

    @functools.cached_property
    def after_change(self) -> Projections:
        """Each row's projection at the level after its change point."""
        return projections(
            self.columns.current, self.period, self.rhythms, level=self.changes.after
        )

    def change_fields(self, row: int, current: float) -> dict[str, object]:
        """`_change_fields` for row `row`, from the columns unless the split was unsure."""
        changes = self.changes
        if changes.unsure[row]:
            shift = change_started(self.columns.daily_of(row), self.period.data_through)
            return _change_fields(shift, current, self.period, self.rhythms.of(row))
        if not changes.found[row]:
            return {}
        after = self.after_change
        return {
            "change_started": changes.day[row],
            "daily_before": float(changes.before[row]),
            "daily_after": float(changes.after[row]),
            "projected_total": float(after.total[row]),
            "projected_low": float(after.low[row]),
            "projected_high": float(after.high[row]),
        }

    def pace(self, customer: Customer, v: _Plain) -> Pace:
        """One customer's `Pace`, as `assess` would give it (`v`: this book's `_Plain`)."""
        row = self.columns.index[customer.name]
        columns, period = self.columns, self.period
        common: dict[str, object] = {
            "name": customer.name,
            "display_name": customer.label,
            "method": v.method[row],
            "source": columns.source_of(row),
            "days_elapsed": period.days_elapsed,
        }
        if row in columns.errors:
            return unavailable_pace(common, columns.errors[row])
        current, base, flag = v.current[row], v.baseline[row], v.flag[row]
        pct, z = _number(v.change_pct[row]), _number(v.z_score[row])
        notes = [why] if (why := self.paces.why[row]) else []
        if v.held_back[row]:
            notes.append(held_back_note(v.moved[row], base, pct, z, self.thresholds))
        daily = v.has_daily[row]
        if v.covered[row]:
            through = self.cover.day(v.prior_through[row])
            notes.append(covered_prior_note(through or period.prior_start, period))
        fields: dict[str, object] = common | {
            "flag": flag,
            "status": status_words(
                flag, pct, base - current, period, self.thresholds.big_mover_pct
            ),
            "current": current,
            "prior_total": v.prior_total[row],
            "baseline": base,
            "change_pct": pct,
            "note": "; ".join(notes) or None,
            "big_mover": v.big_mover[row],
            "z_score": z,
            "within_noise": None if z is None else v.quiet[row],
            "projected_total": v.projected_total[row],
            "projected_low": v.projected_low[row],
            "projected_high": v.projected_high[row],
            "held_back": v.held_back[row],
            "drivers": self.drivers.of(row),
            "recent": self.sparklines.of(row) if daily else Amounts(),
            "coverage": self.cover.of(row, period) if daily else None,
        }
        stop = self.cover.stop(row) if daily else None
        if stop is not None:
            return lean(Pace, fields | _stopped_fields(stop, current))
        if flag == "new" and v.returning[row]:
            fields |= _returning_fields(period, self.thresholds)
        if _alerted_move(flag, v.big_mover[row]) and daily:
            fields |= self.change_fields(row, current)
        return lean(Pace, fields)


@dataclasses.dataclass(frozen=True)
class _Plain:
    """The numbers a `Pace` reads, as Python values read once for the whole book: a numpy
    scalar per field per customer was a fifth of building the Paces."""

    method: list[PaceMethod]
    flag: list[Flag]
    moved: list[Flag]
    current: list[float]
    prior_total: list[float]
    baseline: list[float]
    change_pct: list[float]
    z_score: list[float]
    quiet: list[bool]
    held_back: list[bool]
    big_mover: list[bool]
    has_daily: list[bool]
    covered: list[bool]
    prior_through: list[int]
    returning: list[bool]
    projected_total: list[float]
    projected_low: list[float]
    projected_high: list[float]

    @classmethod
    def of(cls, book: _Book) -> _Plain:
        paces, cover, projections = book.paces, book.cover, book.projections
        arrays: dict[str, NDArray[Any]] = {
            "method": paces.method,
            "flag": paces.flag,
            "moved": paces.moved,
            "current": book.columns.current,
            "prior_total": book.columns.prior_total,
            "baseline": paces.baseline,
            "change_pct": paces.change_pct,
            "z_score": paces.z_score,
            "quiet": paces.quiet,
            "held_back": paces.held_back,
            "big_mover": paces.big_mover,
            "has_daily": book.has_daily,
            "covered": book.covered,
            "prior_through": cover.prior_through,
            "returning": cover.returning,
            "projected_total": projections.total,
            "projected_low": projections.low,
            "projected_high": projections.high,
        }
        return cls(**{name: values.tolist() for name, values in arrays.items()})


def assess_book(
    customers: Sequence[Customer],
    columns: RevenueColumns,
    period: Period,
    method: MethodChoice,
    thresholds: Thresholds,
    holidays: Collection[date] = (),
    book_missing: Collection[date] = (),
) -> list[Pace]:
    """`assess` for the whole book: each rule runs over whole columns (the vectorised rule
    sits next to its one-customer reference; tests/test_columnar.py checks they agree), and a
    `Pace` is built per customer only from the numbers."""
    n = len(columns)
    failed = np.zeros(n, dtype=np.bool_)
    failed[list(columns.errors)] = True
    has_daily: Mask = np.asarray(columns.rows.any(axis=1))
    cover = coverages(columns, period, thresholds, book_missing)
    covered = has_daily & (cover.prior_through >= 0) & ~failed
    covered_days = cover.prior_through - columns.column(period.prior_start) + 1
    factor = np.where(covered, period.days_in_prior / np.where(covered, covered_days, 1), 1.0)
    prior_total = np.nan_to_num(columns.prior_total) * factor
    prior_same = np.where(covered, np.nan, columns.prior_same_days)
    services = columns.services
    line_prior = services.prior_total * factor[services.owner]
    line_same = np.where(covered[services.owner], np.nan, services.prior_same_days)
    found = rhythms_for(columns, period, holidays)
    rhythms = dataclasses.replace(found, known=found.known & ~failed & ~covered)
    ratio = weekday_ratios(rhythms, period)
    requested = np.where(covered, "prorated", method)
    paces = paces_for(
        columns.current, prior_total, prior_same, period, requested, thresholds, rhythms, ratio
    )
    book = _Book(
        columns=columns,
        period=period,
        thresholds=thresholds,
        has_daily=has_daily,
        covered=covered,
        cover=cover,
        rhythms=rhythms,
        paces=paces,
        projections=projections(columns.current, period, rhythms),
        drivers=drivers_over(
            services, line_prior, line_same, period, paces.method, thresholds, ratio
        ),
        sparklines=_Sparklines(
            columns.window(
                period.data_through - timedelta(days=SPARK_DAYS - 1), period.data_through
            )[0]
        ),
        changes=change_points(
            columns.window(
                period.data_through - timedelta(days=CHANGE_WINDOW_DAYS - 1), period.data_through
            )[0],
            period.data_through,
        ),
    )
    plain = _Plain.of(book)
    return [book.pace(customer, plain) for customer in customers]


def build_digest(
    customers: Sequence[Customer],
    revenue: RevenueColumns,
    period: Period,
    method: MethodChoice,
    thresholds: Thresholds,
    escalations: Iterable[Escalation] = (),
    tickets: Iterable[Ticket] = (),
    holidays: Iterable[date] = (),
    errors: Iterable[str] = (),
    coverage: SourceCoverage | None = None,
    notices: Iterable[str] = (),
    closed_statuses: Iterable[str] = DEFAULT_CLOSED_STATUSES,
) -> Digest:
    """`coverage`: the source's (days missing from the book are never a stop); `notices`:
    facts about the data as a whole to say under the title (a partial last day)."""
    closed = frozenset(holidays)
    missing = frozenset(coverage.days_missing) if coverage else frozenset()
    first_day = coverage.first_day if coverage else period.source_first_day
    nothing_before = prior_uncovered(first_day, period) if first_day is not None else None
    if nothing_before is not None:
        # No customer is new because the source starts this month: none can be compared.
        revenue = dataclasses.replace(
            revenue, errors=dict.fromkeys(range(len(revenue)), nothing_before)
        )
    paces = sorted(
        assess_book(customers, revenue, period, method, thresholds, closed, missing),
        key=digest_order,
    )
    last_day = (coverage.last_day if coverage else None) or period.source_last_day
    late = late_notice(period.as_of, last_day or period.data_through, thresholds)
    watch = watch_list(
        paces,
        period,
        thresholds,
        escalations,
        tickets,
        closed,
        CustomerIndex(customers),
        closed_statuses,
    )
    return Digest(
        as_of=period.as_of,
        data_through=period.data_through,
        prior_start=period.prior_start,
        days_elapsed=period.days_elapsed,
        current_month=period.current_month,
        prior_month=period.prior_month,
        method=method,
        thresholds=thresholds,
        customers=tuple(paces),
        watch_list=watch,
        errors=tuple(errors),
        notices=(*([late] if late else []), *notices),
        coverage=coverage,
    )

"""From a period's revenue to the `Digest`: pace, drivers and the watch list, in one pass."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date

from .customers import CustomerIndex
from .drivers import drivers_for
from .models import (
    Customer,
    CustomerRevenue,
    Digest,
    Escalation,
    Flag,
    MethodChoice,
    Pace,
    Thresholds,
    Ticket,
)
from .pacing import pace_for
from .periods import Period
from .rhythm import change_started, rhythm_for, weekday_ratio
from .sparkline import recent_days
from .watch import watch_list

# Alerts first, the quiet majority last.
FLAG_ORDER: dict[Flag, int] = {
    "declining": 0,
    "growing": 1,
    "unavailable": 2,
    "new": 3,
    "normal": 4,
    "inactive": 5,
}


def digest_order(pace: Pace) -> tuple[int, float, str]:
    return (FLAG_ORDER[pace.flag], -abs(pace.delta), pace.display_name.casefold())


def assess(
    customer: Customer,
    revenue: CustomerRevenue,
    period: Period,
    method: MethodChoice,
    thresholds: Thresholds,
    holidays: Collection[date] = (),
) -> Pace:
    """One customer's pace with the service lines behind it, and when a big move began."""
    rhythm = rhythm_for(revenue.daily, period, holidays) if revenue.error is None else None
    pace = pace_for(customer, revenue, period, method, thresholds, rhythm)
    if pace.flag == "unavailable":
        return pace
    ratio = weekday_ratio(rhythm, period) if rhythm is not None else None
    update: dict[str, object] = {
        "drivers": drivers_for(revenue, period, pace.method, thresholds, ratio),
        "recent": recent_days(revenue.daily, period.data_through),
    }
    surging = pace.flag == "growing" and pace.big_mover
    if (pace.flag == "declining" or surging) and revenue.daily:
        shift = change_started(revenue.daily, period.data_through)
        if shift is not None:
            update |= {
                "change_started": shift.day,
                "daily_before": shift.before,
                "daily_after": shift.after,
            }
    return pace.model_copy(update=update)


def build_digest(
    customers: Sequence[Customer],
    revenue: Mapping[str, CustomerRevenue],
    period: Period,
    method: MethodChoice,
    thresholds: Thresholds,
    escalations: Iterable[Escalation] = (),
    tickets: Iterable[Ticket] = (),
    holidays: Iterable[date] = (),
    errors: Iterable[str] = (),
) -> Digest:
    closed = frozenset(holidays)
    paces = sorted(
        (assess(c, revenue[c.name], period, method, thresholds, closed) for c in customers),
        key=digest_order,
    )
    watch = watch_list(
        paces, period, thresholds, escalations, tickets, closed, CustomerIndex(customers)
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
    )

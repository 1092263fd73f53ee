"""From a period's revenue to the `Digest`: pace, drivers and the watch list, in one pass."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
) -> Pace:
    """One customer's pace with the service lines behind it."""
    pace = pace_for(customer, revenue, period, method, thresholds)
    if pace.flag == "unavailable":
        return pace
    return pace.model_copy(
        update={
            "drivers": drivers_for(revenue, period, pace.method, thresholds),
            "recent": recent_days(revenue.daily, period.data_through),
        }
    )


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
    paces = sorted(
        (assess(c, revenue[c.name], period, method, thresholds) for c in customers),
        key=digest_order,
    )
    watch = watch_list(
        paces, period, thresholds, escalations, tickets, holidays, CustomerIndex(customers)
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

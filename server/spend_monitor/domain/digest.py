"""From a period's revenue to the `Digest`: pace, drivers and the watch list, in one pass."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date

from .coverage import (
    covered_prior_note,
    customer_coverage,
    history,
    late_notice,
    lookback_start,
    prior_uncovered,
    stopped,
)
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
    SourceCoverage,
    Thresholds,
    Ticket,
)
from .pacing import pace_for, status_words
from .periods import Period
from .revenue import unavailable
from .rhythm import change_started, project, rhythm_for, weekday_ratio
from .sparkline import recent_days
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
        return pace.model_copy(
            update=update
            | {
                "flag": "stopped",
                "status": stop.text,
                "change_pct": None,
                "big_mover": False,
                "z_score": None,
                "within_noise": None,
                "held_back": False,
                "projected_total": pace.current,
                "projected_low": pace.current,
                "projected_high": pace.current,
            }
        )
    since = lookback_start(period, thresholds)
    if pace.flag == "new" and history(revenue.daily, period, since) == "returning":
        update |= {
            "flag": "returning",
            "status": status_words("returning", None, 0.0, period, thresholds.big_mover_pct),
        }
    surging = pace.flag == "growing" and pace.big_mover
    if (pace.flag == "declining" or surging) and revenue.daily:
        shift = change_started(revenue.daily, period.data_through)
        if shift is not None:
            after = project(pace.current or 0.0, period, rhythm, level=shift.after)
            update |= {
                "change_started": shift.day,
                "daily_before": shift.before,
                "daily_after": shift.after,
                "projected_total": after.total,
                "projected_low": after.low,
                "projected_high": after.high,
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
        revenue = {k: unavailable(k, r.source, nothing_before) for k, r in revenue.items()}
    paces = sorted(
        (
            assess(c, revenue[c.name], period, method, thresholds, closed, missing)
            for c in customers
        ),
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

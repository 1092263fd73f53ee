"""The aggregate queries every SQL-speaking source runs: GROUP BY in the database, values bound.

They read a relation named `revenue` with columns `date`, `customer`, `service`, `amount`
(already typed) and take `:named` parameters, so only a few thousand numbers leave the
database. Each source supplies how to run a statement and how to filter on a list of
customers; `fetch_aggregates` turns the answers into a snapshot the same way for all.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from ..domain.coverage import (
    ends_early,
    lookback_start,
    settle_period,
    source_coverage,
)
from ..domain.models import CustomerRevenue, ServiceRevenue, SourceCoverage, SourceName, Thresholds
from ..domain.periods import Period, period_for
from ..domain.revenue import from_daily, unavailable
from ..errors import SourceError
from .base import RevenueSnapshot

Rows = list[tuple[Any, ...]]
Query = Callable[[str, dict[str, Any]], Rows]

DEFAULTS = Thresholds()


def exact_sum(amount: str) -> str:
    """A sum in decimal arithmetic, handed back as the nearest double: float sums depend on
    the order a parallel database adds rows in, so the same data gave different cents from
    run to run. Amounts are taken to 1/10,000 of a unit (DECIMAL(18,4))."""
    return f"CAST(sum(CAST({amount} AS DECIMAL(18, 4))) AS DOUBLE PRECISION)"


LATEST_DATE = "SELECT max(date) FROM revenue WHERE date < :as_of"
FIRST_DATE = "SELECT min(date) FROM revenue WHERE date < :as_of"
# The whole book's total per day: cheap, and all a partial day and the days missing need.
BOOK_DAILY = f"""
SELECT date, {exact_sum("amount")} AS amount
FROM revenue
WHERE date BETWEEN :history_start AND :latest
GROUP BY date
"""
ROWS_IN_WINDOW = "SELECT count(*) FROM revenue WHERE date BETWEEN :window_start AND :through"

_DAILY = f"""
SELECT customer, date, {exact_sum("amount")} AS amount
FROM revenue
WHERE date BETWEEN :history_start AND :through{{customer_filter}}
GROUP BY customer, date
"""

_SERVICES = f"""
SELECT customer, service,
       {exact_sum("CASE WHEN date >= :current_start THEN amount ELSE 0 END")} AS current,
       {exact_sum("CASE WHEN date < :current_start THEN amount ELSE 0 END")} AS prior_total,
       {exact_sum("CASE WHEN date <= :prior_same_end THEN amount ELSE 0 END")}
           AS prior_same_days,
       {exact_sum("CASE WHEN date >= :current_start AND amount > 0 THEN amount ELSE 0 END")}
           AS charges
FROM revenue
WHERE date BETWEEN :window_start AND :through{{customer_filter}}
GROUP BY customer, service
"""


def window_params(
    period: Period, customers: list[str] | None, since: date | None = None
) -> dict[str, Any]:
    """Values for the queries; daily totals reach back to `since` when that is earlier, and by
    default through the look-back window that tells `new` from `returning`."""
    since = since or lookback_start(period, DEFAULTS)
    params: dict[str, Any] = {
        "window_start": period.prior_start,
        "history_start": min(period.prior_start, since),
        "through": period.data_through,
        "current_start": period.current_start,
        "prior_same_end": period.prior_same_day_end(),
    }
    if customers is not None:
        params["customers"] = customers
    return params


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def latest_date(query: Query, as_of: date, where: str) -> date:
    rows = query(LATEST_DATE, {"as_of": as_of})
    latest = rows[0][0] if rows else None
    if latest is None:
        raise SourceError(
            f"{where} has no rows dated before {as_of}",
            "check the data's dates or pass an --as-of date it covers",
        )
    return _day(latest)


def book_daily(query: Query, start: date, latest: date) -> dict[date, float]:
    rows = query(BOOK_DAILY, {"history_start": start, "latest": latest})
    return {_day(day): float(amount) for day, amount in rows}


def book_coverage(
    query: Query,
    as_of: date,
    where: str,
    since: date | None = None,
    thresholds: Thresholds = DEFAULTS,
) -> tuple[Period, SourceCoverage, str | None]:
    """The period the data allows, what the book covers and, when the last day looks cut
    short, the line that says so (domain/coverage.py decides)."""
    latest = latest_date(query, as_of, where)
    first = _day(query(FIRST_DATE, {"as_of": as_of})[0][0])
    start = period_for(as_of, latest).prior_start
    lookback = since or lookback_start(period_for(as_of, latest), thresholds)
    book = book_daily(query, max(first, min(start, lookback)), latest)
    period, notice = settle_period(as_of, book, thresholds, first, latest)
    return period, source_coverage(book, first), notice


def rows_in_window(query: Query, as_of: date, where: str) -> tuple[Period, int]:
    period = period_for(as_of, latest_date(query, as_of, where))
    rows = query(ROWS_IN_WINDOW, window_params(period, None))
    return period, int(rows[0][0]) if rows else 0


def fetch_aggregates(
    query: Query,
    customer_filter: str,
    source: SourceName,
    where: str,
    as_of: date,
    customers: Sequence[str] | None,
    since: date | None,
    thresholds: Thresholds = DEFAULTS,
) -> RevenueSnapshot:
    """Coverage and the period, then daily totals and service totals for the window, grouped
    in the database. `customer_filter` is the dialect's `AND customer IN …` for `:customers`;
    `thresholds` are the config's (the partial-day rule and the look-back read them)."""
    period, coverage, notice = book_coverage(query, as_of, where, since, thresholds)
    wanted = list(customers) if customers is not None else None
    params = window_params(period, wanted, since)
    fragment = customer_filter if wanted is not None else ""
    daily: dict[str, dict[date, float]] = defaultdict(dict)
    for customer, day, amount in query(_DAILY.format(customer_filter=fragment), params):
        daily[customer][_day(day)] = float(amount)
    services: dict[str, list[ServiceRevenue]] = defaultdict(list)
    for customer, service, cur, prior, same, charges in query(
        _SERVICES.format(customer_filter=fragment), params
    ):
        services[customer].append(
            ServiceRevenue(
                service=service,
                current=float(cur),
                prior_total=float(prior),
                prior_same_days=float(same),
                current_charges=float(charges),
            )
        )
    # Everyone with rows in the compared months; the look-back only tells new from returning.
    keys = (
        wanted
        if wanted is not None
        else sorted(k for k, v in daily.items() if max(v) >= period.prior_start)
    )
    known = sorted(daily)

    def missing(key: str) -> CustomerRevenue:
        reason = (
            f"no rows for {key!r} in {where} from {period.prior_start} to {period.data_through}"
        )
        close = difflib.get_close_matches(key, known, n=1)
        return unavailable(key, source, reason + (f" (the data has {close[0]!r})" if close else ""))

    result = {
        key: from_daily(key, source, daily[key], services[key], period)
        if key in daily
        else missing(key)
        for key in keys
    }
    ends = {key: max(days) for key, days in daily.items() if days}
    coverage = coverage.model_copy(update={"ends_early": ends_early(ends, period)})
    return RevenueSnapshot(
        source=source,
        period=period,
        customers=result,
        coverage=coverage,
        notices=(notice,) if notice else (),
    )

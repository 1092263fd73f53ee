"""The aggregate queries every SQL-speaking source runs: GROUP BY in the database, values bound.

They read a relation named `revenue` with columns `date`, `customer`, `service`, `amount`
(already typed) and take `:named` parameters, so only a few thousand numbers leave the
database. Each source supplies how to run a statement and how to filter on a list of
customers; `fetch_aggregates` turns the answers into a snapshot the same way for all.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np

from ..domain.columns import Aggregates, Floats, Ints, from_aggregates, last_true
from ..domain.coverage import (
    ends_early,
    lookback_start,
    settle_period,
    source_coverage,
)
from ..domain.models import SourceCoverage, SourceName, Thresholds
from ..domain.periods import Period, period_for
from ..errors import SourceError
from .base import RevenueSnapshot

Rows = list[tuple[Any, ...]]
Query = Callable[[str, dict[str, Any]], Rows]
Columns = list[Any]
# Numbers the customers once (`NUMBERED`, with its parameters) and names the relation that
# holds them, `ids`.
Numbering = Callable[[str, dict[str, Any]], str]
# A statement's answer as one array per selected column, in order (DuckDB's fetchnumpy): no
# Python object per value. The flag marks a statement whose per-thread state is large (half
# a million groups of four exact sums at 50,000 customers): a database that parallelises
# should run it on one thread.
ColumnQuery = Callable[[str, dict[str, Any], bool], Columns]

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

# Customers get ids in key order (row_number over the distinct keys): the day and line answers
# then carry a number per row, not a string, and arrive as arrays.
NUMBERED = """SELECT customer, row_number() OVER (ORDER BY customer) - 1 AS id
FROM (SELECT DISTINCT customer FROM revenue
      WHERE date BETWEEN :history_start AND :through{customer_filter}) AS named"""

_NAMES = "SELECT customer FROM {ids} ORDER BY id"


def _numbered(columns: str, grouped: str) -> str:
    """`grouped` (a GROUP BY with a `customer` column) with each customer's id in place of
    its key: grouped on the keys first, then numbered, so the join touches one row per
    group, not per row."""
    return (
        f"SELECT CAST(ids.id AS INTEGER) AS customer, {columns}\n"
        f"FROM ({grouped}) AS a\n"
        "JOIN {ids} ON a.customer = ids.customer\n"
    )


_DAILY = _numbered(
    "a.date AS date, a.amount AS amount",
    f"SELECT customer, date, {exact_sum('amount')} AS amount FROM revenue "
    "WHERE date BETWEEN :history_start AND :through{customer_filter} GROUP BY customer, date",
)

_SERVICES = _numbered(
    "a.service AS service, a.current AS current, a.prior_total AS prior_total, "
    "a.prior_same_days AS prior_same_days, a.charges AS charges",
    "SELECT customer, service, "
    f"{exact_sum('CASE WHEN date >= :current_start THEN amount ELSE 0 END')} AS current, "
    f"{exact_sum('CASE WHEN date < :current_start THEN amount ELSE 0 END')} AS prior_total, "
    f"{exact_sum('CASE WHEN date <= :prior_same_end THEN amount ELSE 0 END')} "
    "AS prior_same_days, "
    f"{exact_sum('CASE WHEN date >= :current_start AND amount > 0 THEN amount ELSE 0 END')} "
    "AS charges FROM revenue "
    "WHERE date BETWEEN :window_start AND :through{customer_filter} GROUP BY customer, service",
)


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


def rows_as_columns(query: Query) -> ColumnQuery:
    """A column query for databases that answer in rows."""

    def run(sql: str, params: dict[str, Any], narrow: bool) -> Columns:
        return [np.array(column) for column in zip(*query(sql, params), strict=True)]

    return run


def _aggregates(
    query: Query, columns: ColumnQuery, sql: dict[str, str], params: dict[str, Any]
) -> Aggregates:
    names = tuple(str(row[0]) for row in query(sql["names"], params))
    days = columns(sql["daily"], params, False) or [()] * 3
    lines = columns(sql["services"], params, True) or [()] * 6

    def ints(values: Any) -> Ints:
        return np.asarray(values, dtype=np.intp).reshape(-1)

    def floats(values: Any) -> Floats:
        return np.asarray(values, dtype=np.float64).reshape(-1)

    customer, day, amount = days
    owner, service, current, prior_total, prior_same_days, charges = lines
    return Aggregates(
        names=names,
        customer=ints(customer),
        day=np.asarray(day, dtype="datetime64[D]").reshape(-1),
        amount=floats(amount),
        line_customer=ints(owner),
        service=np.asarray(service, dtype=np.object_).reshape(-1),
        line_current=floats(current),
        line_prior_total=floats(prior_total),
        line_prior_same_days=floats(prior_same_days),
        line_charges=floats(charges),
    )


def fetch_aggregates(
    query: Query,
    customer_filter: str,
    source: SourceName,
    where: str,
    as_of: date,
    customers: Sequence[str] | None,
    since: date | None,
    thresholds: Thresholds = DEFAULTS,
    columns: ColumnQuery | None = None,
    number: Numbering | None = None,
) -> RevenueSnapshot:
    """Coverage and the period, then daily totals and service totals for the window, grouped
    in the database and handed over as arrays (`columns`: the dialect's column query, when it
    has one; `number`: a way to number the customers once for all three queries, when the
    dialect keeps a table between statements). `customer_filter` is the dialect's
    `AND customer IN …` for `:customers`; `thresholds` are the config's (the partial-day
    rule and the look-back read them)."""
    period, coverage, notice = book_coverage(query, as_of, where, since, thresholds)
    wanted = list(customers) if customers is not None else None
    params = window_params(period, wanted, since)
    fragment = customer_filter if wanted is not None else ""
    numbered = NUMBERED.format(customer_filter=fragment)
    ids = number(numbered, params) if number else f"({numbered}) AS ids"
    statements = {
        name: template.format(customer_filter=fragment, ids=ids)
        for name, template in (("names", _NAMES), ("daily", _DAILY), ("services", _SERVICES))
    }
    found = _aggregates(query, columns or rows_as_columns(query), statements, params)
    # Who has rows in the compared months (the look-back only tells new from returning).
    since_prior = found.day >= np.datetime64(period.prior_start, "D")
    recent = np.bincount(found.customer[since_prior], minlength=len(found.names)) > 0
    keys = wanted if wanted is not None else [found.names[i] for i in np.flatnonzero(recent)]
    known = sorted(found.names)

    def missing(key: str) -> str:
        reason = (
            f"no rows for {key!r} in {where} from {period.prior_start} to {period.data_through}"
        )
        close = difflib.get_close_matches(key, known, n=1)
        return reason + (f" (the data has {close[0]!r})" if close else "")

    present = set(found.names)
    revenue = from_aggregates(
        source,
        found,
        keys,
        params["history_start"],
        period.data_through,
        period.windows,
        {key: missing(key) for key in keys if key not in present},
    )
    ends = {
        key: revenue.day(int(column))
        for key, column in zip(revenue.keys, last_true(revenue.rows).tolist(), strict=True)
        if column >= 0
    }
    coverage = coverage.model_copy(update={"ends_early": ends_early(ends, period)})
    return RevenueSnapshot(
        source=source,
        period=period,
        revenue=revenue,
        coverage=coverage,
        notices=(notice,) if notice else (),
    )

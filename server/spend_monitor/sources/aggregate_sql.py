"""The aggregate queries every SQL-speaking source runs: GROUP BY in the database, values bound.

They read a relation named `revenue` with columns `date`, `customer`, `service`, `amount`
(already typed) and take `:named` parameters, so only a few thousand numbers leave the
database. Each source supplies how to run a statement and how to filter on a list of
customers; `fetch_aggregates` turns the answers into a snapshot the same way for all.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..domain.columns import UNITS, Aggregates, Floats, Ints, from_aggregates, last_true
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
# should not give each of its threads the whole of it (the local source runs it in slices of
# the customers, one thread each).
ColumnQuery = Callable[[str, dict[str, Any], bool], Columns]

DEFAULTS = Thresholds()


def exact_sum(amount: str) -> str:
    """A sum in decimal arithmetic, handed back as the nearest double: float sums depend on
    the order a parallel database adds rows in, so the same data gave different cents from
    run to run. Amounts are taken to 1/10,000 of a unit (DECIMAL(18,4), columns.MAX_AMOUNT)."""
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


def _book_window(
    query: Query, as_of: date, where: str, since: date | None, thresholds: Thresholds
) -> tuple[date, date, date]:
    """The source's first and last day before `as_of`, and the first day the book's totals
    are read from (far enough back for the partial-day rule and the look-back)."""
    latest = latest_date(query, as_of, where)
    first = _day(query(FIRST_DATE, {"as_of": as_of})[0][0])
    provisional = period_for(as_of, latest)
    lookback = since or lookback_start(provisional, thresholds)
    return first, latest, max(first, min(provisional.prior_start, lookback))


def _settled(
    as_of: date, book: dict[date, float], thresholds: Thresholds, first: date, latest: date
) -> tuple[Period, SourceCoverage, str | None]:
    period, notice = settle_period(as_of, book, thresholds, first, latest)
    return period, source_coverage(book, first), notice


def book_coverage(
    query: Query,
    as_of: date,
    where: str,
    since: date | None = None,
    thresholds: Thresholds = DEFAULTS,
) -> tuple[Period, SourceCoverage, str | None]:
    """The period the data allows, what the book covers and, when the last day looks cut
    short, the line that says so (domain/coverage.py decides)."""
    first, latest, start = _book_window(query, as_of, where, since, thresholds)
    return _settled(as_of, book_daily(query, start, latest), thresholds, first, latest)


def rows_in_window(query: Query, as_of: date, where: str) -> tuple[Period, int]:
    period = period_for(as_of, latest_date(query, as_of, where))
    rows = query(ROWS_IN_WINDOW, window_params(period, None))
    return period, int(rows[0][0]) if rows else 0


def rows_as_columns(query: Query) -> ColumnQuery:
    """A column query for databases that answer in rows."""

    def run(sql: str, params: dict[str, Any], narrow: bool) -> Columns:
        return [np.array(column) for column in zip(*query(sql, params), strict=True)]

    return run


@dataclass(frozen=True)
class _Days:
    """What the numbering and the daily aggregate return: the customers' names by id, and
    one total per customer id and day."""

    names: tuple[str, ...]
    customer: Ints
    day: NDArray[np.datetime64]
    amount: Floats

    def book(self, start: date, end: date) -> dict[date, float] | None:
        """The whole book's total per day with rows, `start`..`end`, as BOOK_DAILY gives it:
        summed in integer units of 1/10,000, then the nearest double. None when the amounts
        are too large for the sums to be exact in doubles (2^53 units in all)."""
        offset = (self.day - np.datetime64(start, "D")).astype(np.int64)
        inside = (offset >= 0) & (offset <= (end - start).days)
        units = np.rint(self.amount[inside] * UNITS)
        width = (end - start).days + 1
        rows = np.bincount(offset[inside], minlength=width)
        totals = np.bincount(offset[inside], weights=units, minlength=width)
        if np.abs(units).sum() >= 2.0**53:
            return None
        return {
            start + timedelta(days=i): total / UNITS
            for i, (count, total) in enumerate(zip(rows.tolist(), totals.tolist(), strict=True))
            if count
        }


def _days(query: Query, columns: ColumnQuery, sql: dict[str, str], params: dict[str, Any]) -> _Days:
    names = tuple(str(row[0]) for row in query(sql["names"], params))
    customer, day, amount = columns(sql["daily"], params, False) or [()] * 3
    return _Days(
        names=names,
        customer=np.asarray(customer, dtype=np.intp).reshape(-1),
        day=np.asarray(day, dtype="datetime64[D]").reshape(-1),
        amount=np.asarray(amount, dtype=np.float64).reshape(-1),
    )


def _aggregates(
    days: _Days, columns: ColumnQuery, sql: dict[str, str], params: dict[str, Any]
) -> Aggregates:
    owner, service, current, prior_total, prior_same_days, charges = (
        columns(sql["services"], params, True) or [()] * 6
    )

    def floats(values: Any) -> Floats:
        return np.asarray(values, dtype=np.float64).reshape(-1)

    return Aggregates(
        names=days.names,
        customer=days.customer,
        day=days.day,
        amount=days.amount,
        line_customer=np.asarray(owner, dtype=np.intp).reshape(-1),
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
    rule and the look-back read them).

    For the whole book the daily aggregate is read first, from the book's first day to its
    last, and the book's own days are its sums: one pass over the rows fewer. The period is
    settled from them, then the service lines are read for it."""
    columns = columns or rows_as_columns(query)
    wanted = list(customers) if customers is not None else None
    fragment = customer_filter if wanted is not None else ""

    def statements(params: dict[str, Any]) -> dict[str, str]:
        numbered = NUMBERED.format(customer_filter=fragment)
        ids = number(numbered, params) if number else f"({numbered}) AS ids"
        return {
            name: template.format(customer_filter=fragment, ids=ids)
            for name, template in (("names", _NAMES), ("daily", _DAILY), ("services", _SERVICES))
        }

    settled: tuple[Period, SourceCoverage, str | None, dict[str, Any], _Days] | None = None
    if wanted is None:
        first, latest, start = _book_window(query, as_of, where, since, thresholds)
        guess = window_params(period_for(as_of, latest), None, since)
        wide = guess | {"history_start": min(start, guess["history_start"]), "through": latest}
        sql = statements(wide)
        days = _days(query, columns, sql, wide)
        book = days.book(start, latest)
        if book is not None:
            period, coverage, notice = _settled(as_of, book, thresholds, first, latest)
            params = window_params(period, None, since)
            # A partial last day on the 1st moves the period a month back: past the days read
            # only when the look-back is shorter than a month.
            if params["history_start"] >= wide["history_start"]:
                settled = (period, coverage, notice, params, days)
    if settled is None:
        period, coverage, notice = book_coverage(query, as_of, where, since, thresholds)
        params = window_params(period, wanted, since)
        sql = statements(params)
        settled = (period, coverage, notice, params, _days(query, columns, sql, params))
    period, coverage, notice, params, days = settled
    found = _aggregates(days, columns, sql, params)
    # Who has rows in the compared months (the look-back only tells new from returning).
    compared = (found.day >= np.datetime64(period.prior_start, "D")) & (
        found.day <= np.datetime64(period.data_through, "D")
    )
    recent = np.bincount(found.customer[compared], minlength=len(found.names)) > 0
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

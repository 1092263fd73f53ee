"""The aggregate queries every SQL-speaking source runs: GROUP BY in the database, values bound.

They read a relation named `revenue` with columns `date`, `customer`, `service`, `amount`
(already typed) and take named parameters, so only a few thousand numbers leave the database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..domain.periods import Period

LATEST_DATE = "SELECT max(date) FROM revenue WHERE date < $as_of"

ROWS_IN_WINDOW = "SELECT count(*) FROM revenue WHERE date BETWEEN $window_start AND $through"

_CUSTOMER_FILTER = " AND customer IN (SELECT unnest($customers))"

_DAILY = """
SELECT customer, date, sum(amount) AS amount
FROM revenue
WHERE date BETWEEN $history_start AND $through{filter}
GROUP BY customer, date
"""

_SERVICES = """
SELECT customer, service,
       sum(CASE WHEN date >= $current_start THEN amount ELSE 0 END) AS current,
       sum(CASE WHEN date < $current_start THEN amount ELSE 0 END) AS prior_total,
       sum(CASE WHEN date <= $prior_same_end THEN amount ELSE 0 END) AS prior_same_days
FROM revenue
WHERE date BETWEEN $window_start AND $through{filter}
GROUP BY customer, service
"""


def daily_totals_sql(filtered: bool) -> str:
    return _DAILY.format(filter=_CUSTOMER_FILTER if filtered else "")


def service_totals_sql(filtered: bool) -> str:
    return _SERVICES.format(filter=_CUSTOMER_FILTER if filtered else "")


def window_params(
    period: Period, customers: list[str] | None, since: date | None = None
) -> dict[str, Any]:
    """Values for the queries; daily totals reach back to `since` when that is earlier."""
    params: dict[str, Any] = {
        "window_start": period.prior_start,
        "history_start": min(period.prior_start, since or period.prior_start),
        "through": period.data_through,
        "current_start": period.current_start,
        "prior_same_end": period.prior_same_day_end(),
    }
    if customers is not None:
        params["customers"] = customers
    return params


def latest_params(as_of: date) -> dict[str, Any]:
    return {"as_of": as_of}

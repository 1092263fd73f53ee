"""The floor (issue 19): one DuckDB query over the data file that returns every aggregate the
digest needs — per customer the current month, the prior month's total and its same days; the
same per customer x service; and the daily totals per customer — fetched into Python.

`python bench/scale_floor.py FILE` prints one JSON line: wall time (from process start, so the
DuckDB import counts as it does for the monitor), rows returned and this process's peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time

STARTED = time.perf_counter()

import duckdb  # noqa: E402

# The period scale_data's as-of date (2026-03-16) gives: data through 15 March, the prior month
# February, its same days 1-15 February.
PRIOR_START, CURRENT_START, PRIOR_SAME_END, THROUGH = (
    "2026-02-01",
    "2026-03-01",
    "2026-02-15",
    "2026-03-15",
)

FLOOR = f"""
SELECT customer, service, date,
       sum(CASE WHEN date >= DATE '{CURRENT_START}' THEN amount ELSE 0 END) AS current,
       sum(CASE WHEN date < DATE '{CURRENT_START}' THEN amount ELSE 0 END) AS prior_total,
       sum(CASE WHEN date <= DATE '{PRIOR_SAME_END}' THEN amount ELSE 0 END) AS prior_same_days,
       sum(amount) AS total
FROM {{source}}
WHERE date BETWEEN DATE '{PRIOR_START}' AND DATE '{THROUGH}'
GROUP BY GROUPING SETS ((customer), (customer, service), (customer, date))
"""


def source(path: str) -> str:
    if path.endswith(".csv"):
        return (
            f"read_csv('{path}', header = true, columns = {{'date': 'DATE', "
            "'customer': 'VARCHAR', 'service': 'VARCHAR', 'amount': 'DOUBLE'})"
        )
    return f"read_parquet('{path}')"


def main(path: str) -> None:
    rows = duckdb.connect().execute(FLOOR.format(source=source(path))).fetchall()
    print(
        json.dumps(
            {
                "seconds": round(time.perf_counter() - STARTED, 3),
                "rows": len(rows),
                "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])

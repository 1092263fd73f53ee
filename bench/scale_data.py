"""Deterministic revenue files for the scale benchmark (issue 19): N customers x 10 services x
90 days of daily rows ending the day before the as-of date (the prior month, the current month
so far and the weeks before them), as Parquet and as CSV, written by DuckDB and cached in
bench/data/ (git-ignored).

`python bench/scale_data.py N [N ...]` writes the files for those sizes and prints their paths.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

DATA = Path(__file__).resolve().parent / "data"
SERVICES, DAYS = 10, 90
AS_OF = date(2026, 3, 16)
START = AS_OF - timedelta(days=DAYS)
FORMATS = ("parquet", "csv")

# Each customer x service has a base level, a trend over the 90 days (some grow, some shrink, a
# few stop), a weekday rhythm and daily noise; amounts are dollars with cents, as a billing
# export has them. Everything comes from hash(), so the same N always gives the same file.
ROWS = f"""
SELECT DATE '{START}' + CAST(d AS INTEGER) AS date,
       'customer-' || lpad(CAST(c AS VARCHAR), 6, '0') AS customer,
       'service-' || lpad(CAST(s AS VARCHAR), 2, '0') AS service,
       round(
           (5 + (hash(c, s) % 50000) / 100.0)
           * greatest(0, 1 + (CAST(hash(c) % 81 AS INTEGER) - 40) / 40.0 * d / {DAYS})
           * CASE WHEN dayofweek(DATE '{START}' + CAST(d AS INTEGER)) IN (0, 6)
                  THEN 0.6 ELSE 1.0 END
           * (0.85 + (hash(c, s, d) % 3001) / 10000.0),
           2) AS amount
FROM range({{n}}) t1(c), range({SERVICES}) t2(s), range({DAYS}) t3(d)
ORDER BY date, customer, service
"""


def data_file(customers: int, fmt: str) -> Path:
    """The cached file for `customers` in `fmt` ("parquet" or "csv"), written on first use."""
    path = DATA / f"scale-{customers}x{SERVICES}x{DAYS}.{fmt}"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER"
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute(f"COPY ({ROWS.format(n=customers)}) TO '{partial}' ({options})")
    con.close()
    partial.rename(path)
    print(
        f"wrote {path.name} ({customers * SERVICES * DAYS:,} rows, "
        f"{path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return path


if __name__ == "__main__":
    for n in sys.argv[1:]:
        for fmt in FORMATS:
            print(data_file(int(n), fmt))

"""Benchmark: local Parquet source + pace + drivers for 5,000 customers x 20 services x 3 months.

Run as `python bench/local_source.py PATH AS_OF` it builds one digest and prints a JSON line
with the wall time and this process's peak memory; `bench/run.py` runs it in a fresh process.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

import anyio
import duckdb

CUSTOMERS, SERVICES, START, DAYS = 5_000, 20, date(2026, 1, 1), 90
AS_OF = date(2026, 3, 16)


def make_parquet(path: Path) -> int:
    """Deterministic rows straight from DuckDB's generators: 9 million in a few seconds."""
    if path.exists():
        return int(duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall()[0][0])
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(
        f"""
        COPY (
            SELECT DATE '{START}' + CAST(d AS INTEGER) AS date,
                   'customer-' || lpad(CAST(c AS VARCHAR), 5, '0') AS customer,
                   'service-' || lpad(CAST(s AS VARCHAR), 2, '0') AS service,
                   round(10 + (hash(c, s, d) % 10000) / 100.0, 2) AS amount
            FROM range({CUSTOMERS}) t1(c), range({SERVICES}) t2(s), range({DAYS}) t3(d)
        ) TO '{path}' (FORMAT parquet)
        """
    )
    return CUSTOMERS * SERVICES * DAYS


async def build(path: Path) -> dict[str, float | int]:
    from spend_monitor.config import parse_config
    from spend_monitor.launch import embedded

    services = embedded(parse_config({"local": {"path": str(path)}}, "bench"), AS_OF)
    started = time.perf_counter()
    async with services:
        run = await services.book.run(AS_OF)
    elapsed = time.perf_counter() - started
    return {
        "seconds": round(elapsed, 2),
        "customers": len(run.digest.customers),
        "drivers": sum(len(p.drivers) for p in run.digest.customers),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


if __name__ == "__main__":
    print(json.dumps(anyio.run(build, Path(sys.argv[1]))))

"""Benchmark: a full digest from a SQL warehouse (PostgreSQL and DuckDB) holding 1 or 10 million
raw rows. Data is generated inside each database; the digest runs in a fresh process so its
peak memory is its own. Usage: `python bench/sql_source.py` prints one JSON line per case."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import anyio
import sqlalchemy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

AS_OF = date(2026, 3, 16)
CUSTOMERS = 5_000
# (services, days, billing records per service and day). "10M" is the headline book; the
# other two hold the same 5,000 x 2 x 50 answer in 1M and in 10M raw rows, so only the raw
# row count changes between them.
CASES = {
    "10M": (20, 100, 1),
    "same answer, 1M rows": (2, 50, 2),
    "same answer, 10M rows": (2, 50, 20),
}


def generate(url: str, services: int, days: int, records: int) -> int:
    """5,000 customers x `services` x `days` x `records` deterministic rows, made in the DB."""
    engine = sqlalchemy.create_engine(url)
    postgres = engine.dialect.name == "postgresql"
    series = "generate_series" if postgres else "range"
    stop = "- 1" if postgres else ""
    hash_expr = (
        "abs(hashtext(c::text || '-' || s::text || '-' || d::text))"
        if postgres
        else ("hash(c, s, d)")
    )
    with engine.begin() as db:
        db.execute(sqlalchemy.text("DROP TABLE IF EXISTS billing"))
        db.execute(
            sqlalchemy.text(f"""
            CREATE TABLE billing AS
            SELECT DATE '{AS_OF}' - CAST(d AS INTEGER) - 1 AS day,
                   'customer-' || lpad(CAST(c AS VARCHAR), 5, '0') AS account,
                   'service-' || lpad(CAST(s AS VARCHAR), 2, '0') AS product,
                   round(CAST(10 + ({hash_expr} % 10000) / 100.0 AS NUMERIC), 2) AS usd
            FROM {series}(0, {CUSTOMERS} {stop}) t1(c), {series}(0, {services} {stop}) t2(s),
                 {series}(0, {days} {stop}) t3(d), {series}(0, {records} {stop}) t4(r)""")
        )
        count = db.execute(sqlalchemy.text("SELECT count(*) FROM billing")).scalar()
    engine.dispose()
    return int(count or 0)


async def digest(url: str) -> dict[str, float | int]:
    from spend_monitor.config import parse_config
    from spend_monitor.launch import embedded

    columns = {"date": "day", "customer": "account", "service": "product", "amount": "usd"}
    config = parse_config({"sql": {"table": "billing", "columns": columns}}, "bench")
    services = embedded(config, AS_OF, spend_monitor_sql_url=url)
    started = time.perf_counter()
    async with services:
        run = await services.book.run(AS_OF)
        seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "customers": len(run.digest.customers),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def measure(url: str) -> dict[str, float | int]:
    done = subprocess.run(
        [sys.executable, __file__, "measure", url], check=False, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"measuring {url} failed: {done.stderr.strip()[-500:]}")
    result: dict[str, float | int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    import tempfile

    from postgres import cluster, server_bin

    bin_dir = server_bin()
    with tempfile.TemporaryDirectory() as tmp:
        targets = {"duckdb": f"duckdb:///{tmp}/bench.duckdb"}
        if bin_dir is None:
            print(json.dumps({"error": "no PostgreSQL server binaries"}))
        with cluster(bin_dir) if bin_dir else _nothing() as pg_url:
            if pg_url:
                targets["postgresql"] = pg_url
            for name, url in targets.items():
                for case, shape in CASES.items():
                    rows = generate(url, *shape)
                    print(
                        json.dumps({"database": name, "case": case, "rows": rows, **measure(url)}),
                        flush=True,
                    )


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        print(json.dumps(anyio.run(digest, sys.argv[2])))
    else:
        main()

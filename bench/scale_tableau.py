"""The Tableau source at scale (issue 19), against the emulator in tests/fakes/tableau.py.

The emulator runs in its own process (`serve`), so the client's peak RSS is the monitor's own:
- `python bench/scale_tableau.py serve N LATENCY VIEWS` builds the views from the scale data
  (prior month and current month so far; VIEWS "all" for daily, monthly and services, "daily"
  for the daily view alone, from mid-January), prints its URL and serves until its stdin
  closes, then prints what answering cost it;
- `python bench/scale_tableau.py client URL N VIEWS` runs one digest (N customers listed, or
  none for the whole view when N is 0) and prints one JSON line: wall time, peak RSS, and
  the size of the daily view's CSV, and the client's own CPU time.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
from datetime import date
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from scale_data import data_file  # noqa: E402
from tableau_source import ALL_VIEWS, tableau_digest  # noqa: E402

PRIOR_START = date(2026, 2, 1)
# The whole-book daily view reaches back further, as a workbook's usually does: 60 days of
# 50,000 customers is about 100 MB of CSV.
DAILY_VIEW_START = date(2026, 1, 15)
VIEWS = {"all": ALL_VIEWS, "daily": {"daily_revenue": "view-daily"}}


def serve(customers: int, latency: float, views: str) -> None:
    import duckdb

    from fakes.server import serving
    from fakes.tableau import TableauFake, daily_view, revenue_views

    fake = TableauFake(latency=latency)
    if views == "daily":
        # The daily view alone, summed in DuckDB: a whole-book view of ~100 MB is too many raw
        # rows for the emulator's helper to sum in Python.
        daily_view(
            fake,
            duckdb.execute(
                f"SELECT customer, date, sum(amount) FROM '{data_file(customers, 'parquet')}' "
                f"WHERE date >= DATE '{DAILY_VIEW_START}' GROUP BY ALL ORDER BY ALL"
            ).fetchall(),
        )
    else:
        revenue_views(
            fake,
            duckdb.execute(
                f"SELECT date, customer, service, amount "
                f"FROM '{data_file(customers, 'parquet')}' "
                f"WHERE date >= DATE '{PRIOR_START}' ORDER BY ALL"
            ).fetchall(),
        )
    for view in fake.views.values():
        view.lines()  # rendered once before the clock starts, as a server's cache would be
    daily = fake.views["view-daily"]
    size = sum(map(len, daily.lines()))
    before = cpu_seconds()
    with serving(fake.app()) as url:
        served = {"url": url, "daily_mb": round(size / 1e6), "daily_rows": len(daily.rows)}
        print(json.dumps(served), flush=True)
        sys.stdin.read()
    # What answering cost the emulator: it shares the machine's cores with the client.
    answered = {"server_cpu_s": round(cpu_seconds() - before, 2), "requests": fake.counts.total()}
    print(json.dumps(answered), flush=True)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def client(url: str, customers: int, views: str, state: Path) -> dict[str, object]:
    names = [f"customer-{c:06d}" for c in range(customers)]
    seconds, run = await tableau_digest(url, names, VIEWS[views], state)
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        # The client's own CPU, start-up included: on shared cores wall time varies with load.
        "client_cpu_s": round(cpu_seconds(), 2),
        "customers": len(run.digest.customers),
        "unavailable": len(run.digest.unavailable),
    }


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "state.db"
            found = anyio.run(client, sys.argv[2], int(sys.argv[3]), sys.argv[4], state)
        print(json.dumps(found))

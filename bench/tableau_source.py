"""Benchmark: the Tableau source for 500 customers against the emulator at 100 ms per request,
and, in the same run, the old script's pattern (per customer, one after another: two
monthly-view requests and one service-view request, each filtered to one name)."""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.server import serving  # noqa: E402
from fakes.tableau import TableauFake, revenue_views  # noqa: E402

if TYPE_CHECKING:
    from spend_monitor.app.answers import DigestRun

CUSTOMERS, SERVICES, LATENCY = 500, 5, 0.1
AS_OF = date(2026, 3, 16)
START = date(2026, 2, 1)


def rows() -> list[tuple[date, str, str, float]]:
    rng = random.Random(7)
    out = []
    for c in range(CUSTOMERS):
        for s in range(SERVICES):
            for d in range((AS_OF - START).days):
                out.append(
                    (
                        START + timedelta(days=d),
                        f"Customer {c:03d}",
                        f"Service {s}",
                        round(rng.uniform(10, 500), 2),
                    )
                )
    return out


ALL_VIEWS = {
    "daily_revenue": "view-daily",
    "monthly_revenue": "view-monthly",
    "service_breakdown": "view-services",
}


async def tableau_digest(
    url: str, names: list[str], views: dict[str, str], state: Path | None = None
) -> tuple[float, DigestRun]:
    """One digest of `names` (none: the whole view) through the Tableau source, timed."""
    from spend_monitor.config import parse_config
    from spend_monitor.launch import embedded

    config = parse_config(
        {
            "customers": [{"name": name} for name in names],
            "tableau": {
                "server": url,
                "site": "finance",
                "pat_name": "spend-monitor",
                "views": views,
            },
            **({"state_path": str(state)} if state is not None else {}),
        },
        "bench",
    )
    started = time.perf_counter()
    async with embedded(config, AS_OF, tableau_pat_secret="pat-secret") as services:
        run = await services.book.run(AS_OF)
    return time.perf_counter() - started, run


async def ours(url: str) -> float:
    seconds, run = await tableau_digest(
        url, [f"Customer {c:03d}" for c in range(CUSTOMERS)], ALL_VIEWS
    )
    assert not run.digest.unavailable
    return seconds


async def old_script(url: str) -> float:
    """What the bash script did: curl per customer, per month, one after another."""
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as http:
        api = f"{url}/api/3.24"
        signin = await http.post(
            f"{api}/auth/signin",
            json={
                "credentials": {
                    "personalAccessTokenName": "spend-monitor",
                    "personalAccessTokenSecret": "pat-secret",
                    "site": {"contentUrl": "finance"},
                }
            },
            headers={"Accept": "application/json"},
        )
        creds = signin.json()["credentials"]
        headers = {"X-Tableau-Auth": creds["token"]}
        site = creds["site"]["id"]
        for c in range(CUSTOMERS):
            name = f"Customer {c:03d}"
            for view in ("view-monthly", "view-monthly", "view-services"):
                response = await http.get(
                    f"{api}/sites/{site}/views/{view}/data",
                    params={"vf_Account Name": name},
                    headers=headers,
                )
                response.raise_for_status()
    return time.perf_counter() - started


def main() -> None:
    fake = TableauFake(latency=LATENCY)
    revenue_views(fake, rows())
    with serving(fake.app()) as url:
        before = sum(fake.counts.values())
        ours_s = anyio.run(ours, url)
        ours_requests = sum(fake.counts.values()) - before
        before = sum(fake.counts.values())
        old_s = anyio.run(old_script, url)
        old_requests = sum(fake.counts.values()) - before
    print(
        json.dumps(
            {
                "ours_s": round(ours_s, 2),
                "ours_requests": ours_requests,
                "old_s": round(old_s, 1),
                "old_requests": old_requests,
            }
        )
    )


if __name__ == "__main__":
    main()

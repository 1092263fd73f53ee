"""Benchmark: a team run — 50 owners, each with a Slack DM and a Telegram chat (100
destinations) — against the emulators answering every request after 50 ms, posted side by side
(the monitor's way) and one destination after another (the same adapters, awaited in turn).

Prints one JSON line; bench/run.py turns it into a section of docs/performance.md.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.server import running  # noqa: E402
from fakes.slack import SlackFake  # noqa: E402
from fakes.telegram import TelegramFake  # noqa: E402
from spend_monitor.app import publishing, team  # noqa: E402
from spend_monitor.app.delivery import deliver  # noqa: E402
from spend_monitor.app.requests import PostRequest  # noqa: E402
from spend_monitor.app.services import Services  # noqa: E402
from spend_monitor.config import parse_config  # noqa: E402
from spend_monitor.deadline import Deadline  # noqa: E402
from spend_monitor.domain.ownership import share  # noqa: E402
from spend_monitor.launch import embedded  # noqa: E402

OWNERS, PER_OWNER, LATENCY = 50, 10, 0.05
AS_OF = date(2026, 2, 15)


def write_book(folder: Path) -> Path:
    path = folder / "revenue.csv"
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["date", "customer", "service", "amount"])
        for i in range(OWNERS * PER_OWNER):
            factor = 1.4 if i % 2 else 0.6
            for day in range(1, 32):
                out.writerow([f"2026-01-{day:02d}", f"Customer {i:03d}", "SMS", 100 + i])
            for day in range(1, 15):
                out.writerow([f"2026-02-{day:02d}", f"Customer {i:03d}", "SMS", (100 + i) * factor])
    return path


def services_for(folder: Path, slack: SlackFake, telegram: TelegramFake) -> Services:
    config = {
        "local": {"path": str(write_book(folder))},
        "customers": [
            {"name": f"Customer {i:03d}", "owner": f"csm{i % OWNERS:02d}"}
            for i in range(OWNERS * PER_OWNER)
        ],
        "owners": {
            f"csm{i:02d}": {
                "name": f"Owner {i:02d}",
                "slack": f"U{i:03d}",
                "telegram": f"-2{i:03d}",
            }
            for i in range(OWNERS)
        },
        "slack": {"dm_channel": "D0123", "api_base": slack.url + "/api/"},
        "telegram": {"chat_id": "-100123", "api_base": telegram.url},
        "charts": False,
        "state_path": str(folder / "state.db"),
    }
    return embedded(
        parse_config(config, "bench"),
        AS_OF,
        slack_bot_token=slack.token,
        telegram_bot_token=telegram.token,
    )


async def concurrent(services: Services) -> None:
    """The monitor's own run: every destination side by side, paced per destination."""
    _, report = await publishing.publish(services, PostRequest(as_of=AS_OF))
    assert report.exit_code == 0, report.message


async def one_after_another(services: Services) -> None:
    """The same digests through the same adapters, each destination awaited in turn."""
    run = await services.book.run(AS_OF)
    found = team.ownership(services, services.book.customers_in(run.snapshot))
    deadline = Deadline.after(600)
    for owner in found.owners.values():
        mine = share(run.digest, found.customers_of(owner.key), owner.name)
        for where in team.owner_destinations(services, owner, services.ready_channels()):
            delivered = await deliver(None, where.channel, None, mine, [], deadline)
            assert delivered.status == "posted", delivered.reason


async def timed(post: Callable[[Services], Awaitable[None]]) -> dict[str, Any]:
    slack = SlackFake(latency=LATENCY, users={f"U{i:03d}" for i in range(OWNERS)})
    telegram = TelegramFake(latency=LATENCY, chats={f"-2{i:03d}" for i in range(OWNERS)})
    with tempfile.TemporaryDirectory() as folder, running(slack), running(telegram):
        async with services_for(Path(folder), slack, telegram) as services:
            await services.book.run(AS_OF)  # the data is read before the clock starts
            started = time.perf_counter()
            await post(services)
            seconds = time.perf_counter() - started
    dms = {m["channel"] for m in slack.messages}
    chats = {m["chat_id"] for m in telegram.messages}
    assert len(slack.messages) == len(dms) == OWNERS, "each DM once"
    assert len(telegram.messages) == len(chats) == OWNERS, "each chat once"
    return {
        "seconds": round(seconds, 2),
        "slack_requests": len(slack.requests),
        "telegram_requests": len(telegram.requests),
        "rate_limited": slack.rate_limited + telegram.rate_limited,
    }


def main() -> None:
    together = anyio.run(timed, concurrent)
    apart = anyio.run(timed, one_after_another)
    print(json.dumps({"concurrent": together, "sequential": apart, "latency_ms": LATENCY * 1000}))


if __name__ == "__main__":
    main()

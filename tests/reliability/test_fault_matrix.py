"""One fault at a time in front of one channel, the other healthy; then heal and deliver again.

Every case asserts: delivery ends within its deadline, nothing escapes as an exception, the
healthy channel got every part, the faulty channel's outcome is in the ledger (nothing left
`claimed`), and after healing each channel holds the digest exactly once — or once plus one
copy marked re-sent where the first could not be confirmed. Counts come from the emulators.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import anyio
import httpx
import pytest
from harness import (
    CHART,
    DEADLINE,
    holds_once,
    slack_channel,
    slack_copies,
    telegram_channel,
    telegram_copies,
)

from fakes.faults import FAULTS, refused_url
from spend_monitor.app.delivery import ChannelDelivery, deliver
from spend_monitor.deadline import Deadline

pytestmark = pytest.mark.anyio
PARTS = ["message-1", "chart-acme.png"]
# fault name, how often it strikes (0 = until healed), what the first delivery reports.
MATRIX = [
    ("refused", 0, {"failed"}),
    ("reset", 1, {"unknown"}),
    ("accept-then-hang", 1, {"unknown"}),
    ("slow-drip", 1, {"unknown"}),
    ("503-json", 2, {"posted"}),
    ("503-json", 0, {"failed"}),
    ("502-plain-text", 2, {"posted"}),
    ("502-plain-text", 0, {"failed"}),
    ("500-html", 0, {"failed"}),
    ("429-retry-after-1", 1, {"posted"}),
    ("429-no-retry-after", 2, {"posted"}),
    ("429-retry-after-3600", 1, {"failed"}),
    ("200-html", 1, {"unknown"}),
    ("200-empty", 1, {"unknown"}),
    ("200-undecodable", 1, {"unknown"}),
    ("200-bad-gzip", 1, {"unknown"}),
]


def case_id(case: tuple[str, int, set[str]]) -> str:
    return f"{case[0]}-{'persistent' if case[1] == 0 else f'x{case[1]}'}"


@pytest.mark.parametrize("faulty", ["slack", "telegram"])
@pytest.mark.parametrize("case", MATRIX, ids=case_id)
async def test_one_fault_then_heal(
    recorded, slack, telegram, slack_proxy, telegram_proxy, faulty, case
):
    name, times, first_statuses = case
    proxy = slack_proxy if faulty == "slack" else telegram_proxy
    base = {"slack": slack.url, "telegram": telegram.url}
    base[faulty] = refused_url() if name == "refused" else proxy.url
    if name != "refused":
        fault = FAULTS[name]
        proxy.always(fault) if times == 0 else proxy.inject(fault, times)
    async with httpx.AsyncClient() as http:
        results = await deliver_both(recorded, base, http)
        first = results[faulty]
        healthy = results["telegram" if faulty == "slack" else "slack"]
        assert healthy.status == "posted", healthy
        assert first.status in first_statuses, first
        assert first.reason is None or "Traceback" not in first.reason
        ledger = {p.part: p.status for p in recorded.store.parts(recorded.run_id)}
        assert "claimed" not in ledger.values()
        assert set(ledger) == set(PARTS)  # both channels' parts, every outcome written

        proxy.heal()
        base[faulty] = proxy.url
        again = await deliver_both(recorded, base, http, run_id=recorded.rerun())
    assert all(r.holds_digest for r in again.values()), again
    holds_once(slack_copies(slack), PARTS)
    holds_once(telegram_copies(telegram), PARTS)


async def deliver_both(recorded, base, http, run_id=None) -> dict[str, ChannelDelivery]:
    deadline = Deadline.after(DEADLINE)
    started = time.monotonic()
    channels = [slack_channel(base["slack"]), telegram_channel(base["telegram"], http)]
    results: dict[str, ChannelDelivery] = {}

    async def one(channel) -> None:
        results[channel.name] = await deliver(
            recorded.store, channel, run_id or recorded.run_id, recorded.digest, [CHART], deadline
        )

    try:
        async with anyio.create_task_group() as group:
            for channel in channels:
                group.start_soon(one, channel)
    finally:
        for channel in channels:
            await channel.aclose()
    assert time.monotonic() - started <= DEADLINE + 1.0
    return results


def test_the_reliability_doc_lists_every_case_and_only_real_tests():
    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "reliability.md").read_text(encoding="utf-8")
    for case in MATRIX:
        assert f"`{case_id(case)}`" in doc, case_id(case)
    for module, name in re.findall(r"`(test_\w+\.py)::(test_\w+)`", doc):
        source = (Path(__file__).parent / module).read_text(encoding="utf-8")
        assert f"def {name}(" in source, f"{module}::{name}"

"""Pacing posts: a burst goes at once, then one per interval — measured on a fake clock."""

import pytest

from spend_monitor.channels import limits

pytestmark = pytest.mark.anyio


async def test_a_burst_then_one_per_interval(monkeypatch):
    now = [100.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(round(seconds, 3))
        now[0] += seconds

    monkeypatch.setattr(limits.anyio, "sleep", sleep)
    pace = limits.Pace(1.0, burst=3, clock=lambda: now[0])
    for _ in range(5):
        await pace.wait()
    assert waits == [1.0, 1.0]  # three at once, then one a second
    now[0] += 10  # idle: the burst is back, no more than `burst`
    for _ in range(4):
        await pace.wait()
    assert waits == [1.0, 1.0, 1.0]


async def test_telegrams_bot_pace_stays_under_thirty_a_second(monkeypatch):
    now = [0.0]
    sent: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    monkeypatch.setattr(limits.anyio, "sleep", sleep)
    pace = limits.Pace(
        limits.TELEGRAM_BOT_INTERVAL, limits.TELEGRAM_BOT_BURST, clock=lambda: now[0]
    )
    for _ in range(100):
        await pace.wait()
        sent.append(now[0])
    assert max(sum(1 for t in sent if start <= t < start + 1) for start in sent) < 30

"""The one outbound policy, applied the same way to httpx, slack_sdk and a2a-sdk."""

from __future__ import annotations

from datetime import date

import anyio
import httpx
import pytest
from harness import slack_channel

from fakes.billing_agent import BillingAgent
from fakes.faults import FAULTS, FaultProxy
from fakes.server import running
from spend_monitor import net
from spend_monitor.config import A2AConfig
from spend_monitor.deadline import Deadline
from spend_monitor.errors import SlackError
from spend_monitor.net import GaveUp, Transient, next_wait
from spend_monitor.sources.a2a import BillingAgentSource

pytestmark = pytest.mark.anyio
POLICY = net.Policy()  # the shipped policy, not the matrix's shortened one


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_deadline_counts_down_on_its_clock():
    clock = Clock()
    deadline = Deadline.after(10, clock)
    clock.now += 4
    assert deadline.remaining() == 6
    clock.now += 7
    assert deadline.remaining() == 0
    assert deadline.expired


@pytest.mark.parametrize(
    ("told", "left", "outcome"),
    [
        (1.0, 10.0, 1.0),  # honoured
        (None, 10.0, "backoff"),
        (30.0, 10.0, "with 10 s left"),  # longer than the time left: not waited
        (3600.0, 1e6, "more than we wait in a run"),  # past the cap: not waited either
    ],
)
def test_how_long_to_wait_or_why_not(told, left, outcome):
    clock = Clock()
    deadline = Deadline.after(left, clock)
    failure = Transient("HTTP 429", told)
    if isinstance(outcome, float):
        assert next_wait(1, failure, deadline, POLICY) == outcome
    elif outcome == "backoff":
        assert 0 <= next_wait(1, failure, deadline, POLICY) <= POLICY.backoff_base
    else:
        with pytest.raises(GaveUp, match=outcome):
            next_wait(1, failure, deadline, POLICY)


def test_three_attempts_then_give_up():
    with pytest.raises(GaveUp, match=r"\(3 attempts\)") as caught:
        next_wait(3, Transient("HTTP 503"), Deadline.never(), POLICY)
    assert caught.value.exhausted


async def test_a_slow_drip_cannot_outlive_the_request_timeout(tableau):
    with FaultProxy(tableau.url).running() as proxy:
        proxy.always(FAULTS["slow-drip"])
        started = anyio.current_time()
        async with httpx.AsyncClient() as client:
            with pytest.raises(GaveUp, match="no answer within"):
                await net.send(client, "GET", proxy.url + "/api/3.22/serverinfo")
        elapsed = anyio.current_time() - started
    # three attempts of at most request_timeout each, plus short backoffs
    assert elapsed < 3 * net.DEFAULT.request_timeout + 1
    assert len(proxy.seen) == 3


async def test_slack_plain_text_5xx_is_retried_then_a_slack_error(slack):
    with FaultProxy(slack.url).running() as proxy:
        proxy.inject(FAULTS["502-plain-text"], times=2)
        channel = slack_channel(proxy.url)
        try:
            assert "spend-monitor" in await channel.verify()  # the third attempt
            proxy.always(FAULTS["502-plain-text"])
            with pytest.raises(SlackError, match=r"HTTP 502 \(3 attempts\)"):
                await channel.verify()
        finally:
            await channel.aclose()
    assert proxy.seen.count("POST /api/auth.test") == 6


@pytest.mark.parametrize("fault", ["503-json", "502-plain-text", "429-no-retry-after"])
async def test_the_billing_agent_5xx_and_429_are_retried(fault):
    revenue = {("Acme", "2026-02"): 1400.0, ("Acme", "2026-01"): 3100.0}
    with (
        running(BillingAgent(revenue=revenue)) as agent,
        FaultProxy(agent.url).running() as proxy,
    ):
        proxy.inject(FAULTS[fault], times=2)
        source = BillingAgentSource(A2AConfig(billing_url=proxy.url + "/"))
        try:
            snapshot = await source.fetch(date(2026, 2, 15), ["Acme"])
        finally:
            await source.aclose()
    acme = snapshot.customers["Acme"]
    assert acme.error is None
    assert (acme.current, acme.prior_total) == (1400.0, 3100.0)


async def test_the_billing_agent_is_asked_concurrently(monkeypatch):
    """A hung agent costs one request timeout for the whole book, not one per customer."""
    customers = [f"C{i}" for i in range(8)]
    revenue = {(c, m): 1.0 for c in customers for m in ("2026-01", "2026-02")}
    monkeypatch.setattr(net, "DEFAULT", net.Policy(request_timeout=0.5, attempts=1))
    with (
        running(BillingAgent(revenue=revenue)) as agent,
        FaultProxy(agent.url).running() as proxy,
    ):
        proxy.always(FAULTS["accept-then-hang"])
        source = BillingAgentSource(A2AConfig(billing_url=proxy.url + "/", max_concurrency=8))
        started = anyio.current_time()
        try:
            snapshot = await source.fetch(date(2026, 2, 15), customers)
        finally:
            await source.aclose()
        elapsed = anyio.current_time() - started
    errors = {r.error for r in snapshot.customers.values()}
    assert all("no answer within" in (e or "") for e in errors), errors
    assert elapsed < 2.0  # 8 customers × 0.5 s would be 4 s serially

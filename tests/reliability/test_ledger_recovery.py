"""Recovery through the ledger: a process that died mid-post, a token without the history
scope, a split digest that failed half-way, charts that failed alone, two deliveries racing."""

from __future__ import annotations

import anyio
import httpx
import pytest
from harness import (
    CHART,
    DEADLINE,
    dead_owner,
    holds_once,
    slack_channel,
    slack_copies,
    telegram_channel,
    telegram_copies,
)

from spend_monitor.app.delivery import deliver, exit_code
from spend_monitor.channels.base import RESENT_MARK
from spend_monitor.deadline import Deadline

pytestmark = pytest.mark.anyio
PARTS = ["message-1", "chart-acme.png"]


def leave_dead_claims(recorded, channel: str) -> None:
    """What SIGKILL leaves behind: every part `claimed` by a process that no longer exists."""
    claim = recorded.store.claim_parts(recorded.run_id, channel, PARTS)
    assert claim.mine == PARTS
    recorded.store._db.execute(
        "UPDATE post_parts SET owner = ? WHERE run_id = ? AND channel = ?",
        (dead_owner(), recorded.run_id, channel),
    )


async def run(recorded, channel, run_id=None, charts=(CHART,)):
    try:
        return await deliver(
            recorded.store,
            channel,
            run_id or recorded.run_id,
            recorded.digest,
            list(charts),
            Deadline.after(DEADLINE),
        )
    finally:
        await channel.aclose()


async def test_killed_before_slack_answered_is_sent_once_after_looking(recorded, slack):
    leave_dead_claims(recorded, "slack")
    result = await run(recorded, slack_channel(slack.url), recorded.rerun())
    assert result.status == "re-sent"  # the chart had to be re-sent unconfirmed
    assert slack.count("conversations.history") == 1
    holds_once(slack_copies(slack), PARTS)
    assert [m.get("metadata") for m in slack.messages] == [
        {
            "event_type": "spend_monitor_digest_part",
            "event_payload": {"run_id": 1, "part": "message-1"},
        }
    ]
    statuses = {p.part: p.status for p in recorded.store.parts(recorded.run_id, "slack")}
    assert statuses == {"message-1": "sent", "chart-acme.png": "sent"}


async def test_killed_after_slack_delivered_is_confirmed_not_resent(recorded, slack):
    channel = slack_channel(slack.url)
    part = channel.parts(recorded.digest, [CHART])[0]
    sent = await channel.send_part(recorded.run_id, part, None, None, Deadline.after(DEADLINE))
    assert sent.status == "sent"
    leave_dead_claims(recorded, "slack")
    result = await run(recorded, channel, charts=())
    assert len(slack.messages) == 1  # found in history by its metadata: not posted again
    (message,) = result.parts
    assert (message.status, message.confirmed, message.message_id) == (
        "sent",
        True,
        sent.message_id,
    )
    assert result.status == "already_posted"


async def test_without_the_history_scope_slack_resends_once_marked(recorded, slack):
    slack.history_scope = False
    channel = slack_channel(slack.url)
    part = channel.parts(recorded.digest, [])[0]
    await channel.send_part(recorded.run_id, part, None, None, Deadline.after(DEADLINE))
    leave_dead_claims(recorded, "slack")
    result = await run(recorded, slack_channel(slack.url))
    assert result.status == "re-sent"
    copies = slack_copies(slack)
    assert copies["message-1"] == [False, True]
    assert copies["chart-acme.png"] == [False]  # after a marked text: no mark of its own
    again = await run(recorded, slack_channel(slack.url))
    assert again.status == "already_posted"  # re-sent once, never again
    assert len(slack.messages) == 2


@pytest.mark.parametrize("arrived", [False, True], ids=["before-answer", "after-delivery"])
async def test_telegram_cannot_look_so_it_resends_once_marked(recorded, telegram, arrived):
    async with httpx.AsyncClient() as http:
        channel = telegram_channel(telegram.url, http)
        if arrived:
            part = channel.parts(recorded.digest, [])[0]
            await channel.send_part(recorded.run_id, part, None, None, Deadline.after(DEADLINE))
        leave_dead_claims(recorded, "telegram")
        result = await run(recorded, channel)
    assert result.status == "re-sent"
    assert RESENT_MARK in telegram.messages[-1]["visible"].splitlines()[0]
    assert telegram.photos[-1]["caption"] == CHART.title  # the marked text covers the chart
    holds_once(telegram_copies(telegram), PARTS)


@pytest.mark.parametrize("recorded", [120], indirect=True)
async def test_a_split_digest_resends_only_the_parts_that_failed(recorded, slack):
    channel = slack_channel(slack.url)
    keys = [p.key for p in channel.parts(recorded.digest, [])]
    assert len(keys) >= 2  # a header message, then the sections
    original = slack.post_message
    calls = {"n": 0}

    def fail_the_second(params):
        calls["n"] += 1
        return {"ok": False, "error": "fatal_error"} if calls["n"] == 2 else original(params)

    slack.post_message = fail_the_second
    first = await run(recorded, channel, charts=())
    assert first.status == "failed"
    assert first.reason.startswith("message-2: Slack: fatal_error")
    assert exit_code([first]) == 3
    slack.post_message = original
    again = await run(recorded, slack_channel(slack.url), recorded.rerun(), charts=())
    assert again.status == "posted"
    assert [p.part for p in again.parts if p.sent_now] == ["message-2"]
    parts = [m["metadata"]["event_payload"]["part"] for m in slack.messages]
    assert sorted(parts) == sorted(keys)  # each part exactly once


async def test_a_failed_chart_never_blocks_the_text_and_is_resent_alone(recorded, slack):
    slack.fail_next("files.completeUploadExternal", times=1, status=400, retry_after=None)
    first = await run(recorded, slack_channel(slack.url))
    assert [p.status for p in first.parts] == ["sent", "failed"]
    assert len(slack.messages) == 1
    again = await run(recorded, slack_channel(slack.url))
    assert again.status == "posted"
    assert len(slack.messages) == 1
    (chart,) = slack.completed
    assert chart["thread_ts"] == slack.messages[0]["ts"]  # in the digest's thread


async def test_two_and_five_deliveries_racing_post_once(recorded, slack):
    results = []

    async def one() -> None:
        results.append(await run(recorded, slack_channel(slack.url), recorded.rerun()))

    for racers in (2, 5):
        async with anyio.create_task_group() as group:
            for _ in range(racers):
                group.start_soon(one)
    assert len(results) == 7
    assert all(r.holds_digest for r in results)
    holds_once(slack_copies(slack), PARTS)


async def test_a_retry_after_past_the_deadline_fails_at_once(recorded, slack):
    slack.fail_next("chat.postMessage", times=1, status=429, retry_after=3600)
    result = await run(recorded, slack_channel(slack.url), charts=())
    assert result.status == "failed"
    assert "asked to wait 3600 s" in result.reason
    assert slack.count("chat.postMessage") == 1


async def test_a_delivery_stopped_mid_send_leaves_no_claim_behind(recorded, telegram):
    from fakes.faults import FAULTS, FaultProxy

    with FaultProxy(telegram.url).running() as proxy:
        proxy.always(FAULTS["accept-then-hang"])
        async with httpx.AsyncClient() as http:
            with anyio.move_on_after(0.3) as stopped:
                await run(recorded, telegram_channel(proxy.url, http))
            assert stopped.cancelled_caught
            statuses = {p.part: p.status for p in recorded.store.parts(recorded.run_id)}
            assert statuses == {"message-1": "unknown", "chart-acme.png": "failed"}
            result = await run(recorded, telegram_channel(telegram.url, http))
    assert result.status == "re-sent"  # not blocked by a claim of this (live) process
    holds_once(telegram_copies(telegram), PARTS)

"""The state store failing under delivery: locked, corrupted, read-only. Losing a digest is worse
than a duplicate, so the digest still goes out — with a visible line saying once-only posting
is off — and the result says what happened."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from harness import CHART, DEADLINE, slack_channel

from spend_monitor import store as store_module
from spend_monitor.app.delivery import deliver, exit_code
from spend_monitor.channels.base import ONCE_ONLY_OFF
from spend_monitor.deadline import Deadline
from spend_monitor.errors import StoreError
from spend_monitor.store import Store

pytestmark = pytest.mark.anyio


async def run(store, recorded, slack, store_problem=None):
    channel = slack_channel(slack.url)
    try:
        return await deliver(
            store,
            channel,
            recorded.run_id,
            recorded.digest,
            [CHART],
            Deadline.after(DEADLINE),
            store_problem=store_problem,
        )
    finally:
        await channel.aclose()


def assert_posted_marked(result, slack):
    assert result.status == "posted"
    assert result.store_problem
    assert ONCE_ONLY_OFF in slack.messages[0]["blocks"][1]["elements"][0]["text"]
    assert len(slack.messages) == 1
    assert len(slack.completed) == 1
    assert exit_code([result], store_ok=False) == 3


async def test_a_locked_store_still_posts_marked(recorded, slack, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.2)
    waiting = Store(recorded.path)  # opened while free; the lock comes later
    holder = sqlite3.connect(recorded.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = await run(waiting, recorded, slack)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        waiting.close()
    assert "database is locked" in result.store_problem
    assert_posted_marked(result, slack)


async def test_a_corrupted_store_still_posts_marked(recorded, slack, tmp_path):
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as caught:
        Store(broken)
    result = await run(None, recorded, slack, store_problem=str(caught.value))
    assert "is unusable" in result.store_problem
    assert_posted_marked(result, slack)


async def test_a_read_only_store_still_posts_marked(recorded, slack):
    # Tests run as root, whom file modes do not stop: SQLite's own read-only switch stands in
    # for a read-only file system.
    read_only = Store(recorded.path)
    read_only._db.execute("PRAGMA query_only = ON")
    try:
        result = await run(read_only, recorded, slack)
    finally:
        read_only.close()
    assert "readonly" in result.store_problem
    assert_posted_marked(result, slack)


def test_a_lock_held_briefly_is_waited_for(recorded):
    """Another process's ordinary write holds the lock for a moment: the claim waits for it
    instead of giving up (and posting without once-only)."""
    holder = sqlite3.connect(recorded.path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.3, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        claim = recorded.store.claim_parts(recorded.run_id, "slack", ["message-1"])
    finally:
        release.join()
        holder.close()
    assert claim.mine == ["message-1"]

"""Faults of the process and the machine, through the real CLI in subprocesses: killed while
posting (before the platform answered, and after it delivered), several runs at once, and a
full disk under the state database. Counts come from the emulators, never from our logs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from harness import AS_OF, book

from fakes.faults import FAULTS, HANG, Fault, FaultProxy
from fakes.slack import SlackFake
from fakes.telegram import TelegramFake
from spend_monitor.channels.base import ONCE_ONLY_OFF, RESENT_MARK

CLI = str(Path(sys.executable).parent / "spend-monitor")
# Answer so slowly that the message has reached the platform long before the reply ends.
DRIP_FOREVER = Fault("drip", drip_interval=30.0)


def posts(fake: SlackFake | TelegramFake) -> list[str]:
    """The text of every message that reached the emulator."""
    if isinstance(fake, SlackFake):
        return [m["text"] for m in fake.messages]
    return [m["visible"] for m in fake.messages]


def ledger_holds(channel: str) -> bool:
    """Whether the run's ledger (read beside it: WAL) has written the channel's post `sent`."""
    path = os.environ["SPEND_MONITOR_STATE"]
    if not Path(path).exists():
        return False
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        try:
            rows = db.execute(
                "SELECT status FROM post_parts WHERE channel = ?", (channel,)
            ).fetchall()
        except sqlite3.Error:  # not created yet
            return False
    return bool(rows) and all(status == "sent" for (status,) in rows)


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll a condition the test cannot be told about directly, with a bound."""
    tick = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return True
        tick.wait(0.02)
    return condition()


@pytest.fixture
def world(tmp_path, write_csv, monkeypatch, slack, telegram) -> Callable[..., dict]:
    """A config posting to both emulators (optionally through a proxy), and the environment a
    subprocess needs."""
    revenue = write_csv(book(3))

    def configure(slack_url: str | None = None, telegram_url: str | None = None) -> dict:
        config = tmp_path / "config.json"
        config.write_text(
            json.dumps(
                {
                    "local": {"path": str(revenue)},
                    "slack": {
                        "dm_channel": "D0123",
                        "api_base": (slack_url or slack.url) + "/api/",
                    },
                    "telegram": {"chat_id": "-100123", "api_base": telegram_url or telegram.url},
                    "charts": False,
                }
            )
        )
        return {
            **os.environ,
            "CONFIG_PATH": str(config),
            "SLACK_BOT_TOKEN": slack.token,
            "TELEGRAM_BOT_TOKEN": telegram.token,
        }

    return configure


def digest(env: dict, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "digest", "--as-of", AS_OF, *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("channel", ["slack", "telegram"])
@pytest.mark.parametrize("moment", ["before the platform answered", "after it delivered"])
def test_a_run_killed_while_posting_is_recovered_without_loss_or_a_silent_duplicate(
    world, slack, telegram, channel, moment
):
    fake = slack if channel == "slack" else telegram
    other = telegram if channel == "slack" else slack
    upstream = fake.url
    with FaultProxy(upstream).running() as proxy:
        proxy.always(HANG if moment.startswith("before") else DRIP_FOREVER)
        env = world(**{f"{channel}_url": proxy.url})
        process = subprocess.Popen([CLI, "digest", "--as-of", AS_OF], env=env, text=True)
        try:
            assert proxy.wait_for(1), "the run never posted"
            if moment.startswith("after"):
                assert wait_until(lambda: len(fake.messages) == 1)
            # Killed only once the healthy channel's post is written `sent`: a kill between
            # its arrival and that write would rightly end in one plus one marked copy.
            other_name = "telegram" if channel == "slack" else "slack"
            assert wait_until(lambda: ledger_holds(other_name))
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    # The healthy channel got the digest; the faulty one holds it 0 or 1 times, unknown to us.
    assert len(posts(other)) == 1
    held = len(posts(fake))
    assert held == (0 if moment.startswith("before") else 1)

    again = digest(world())  # healed: the same day and content
    assert "Traceback" not in again.stderr
    repost = subprocess.run(
        [CLI, "repost"], env=world(), capture_output=True, text=True, timeout=60, check=False
    )
    assert "Traceback" not in repost.stderr
    assert len(posts(other)) == 1  # never sent twice
    texts = posts(fake)
    assert again.returncode == 0, again.stderr
    if channel == "slack":
        # Slack's history is searched by the message's metadata: found, it is not sent again;
        # not found, it is sent — either way the channel holds it exactly once, unmarked.
        assert len(texts) == 1, texts
        assert RESENT_MARK not in texts[0]
    else:
        # A bot cannot read its chat: sent once more, and the re-sent copy says so.
        assert len(texts) == held + 1, texts
        assert RESENT_MARK in texts[-1]
        assert all(RESENT_MARK not in t for t in texts[:-1])
    assert repost.returncode == 1  # nothing is left to send
    assert "no recorded digest has a part left to send" in repost.stderr


@pytest.mark.parametrize("runs", [2, 5])
def test_concurrent_runs_post_the_digest_exactly_once(world, slack, telegram, runs):
    env = world()
    processes = [
        subprocess.Popen(
            [CLI, "digest", "--as-of", AS_OF],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(runs)
    ]
    errors = [p.communicate(timeout=60)[1] for p in processes]
    assert all("Traceback" not in e for e in errors)
    assert (len(slack.messages), len(telegram.messages)) == (1, 1), errors
    assert all(p.returncode == 0 for p in processes), errors


@pytest.fixture
def full_disk(tmp_path) -> Iterator[Path]:
    """A 128 KiB file system holding the state database, filled to the last byte."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root; CI runs as root")
    where = tmp_path / "tiny"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(where)], check=False
    )
    if mounted.returncode != 0:
        pytest.skip("this sandbox refuses to mount a tmpfs")
    try:
        filler = os.open(where / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(filler, b"\0" * 4096):
                pass
        except OSError:  # no space left: the point
            pass
        finally:
            os.close(filler)
        yield where / "state.db"
    finally:
        subprocess.run(["umount", str(where)], check=False)


def test_a_full_disk_under_the_store_still_posts_and_says_once_only_is_off(
    world, slack, telegram, full_disk
):
    env = {**world(), "SPEND_MONITOR_STATE": str(full_disk)}
    result = digest(env)
    assert "Traceback" not in result.stderr
    assert result.returncode == 3, result.stderr  # posted, but it says what went wrong
    assert "state database" in result.stderr
    for fake in (slack, telegram):
        (text,) = posts(fake)
        assert ONCE_ONLY_OFF in text


def test_a_persistent_5xx_through_mcp_post_digest_then_repost(world, slack, telegram):
    import anyio
    from mcp import Client, StdioServerParameters

    async def post(env: dict) -> dict:
        server = StdioServerParameters(
            command=str(Path(sys.executable).parent / "spend-monitor-mcp"),
            args=["--as-of", AS_OF],
            env=env,
        )
        async with Client(server) as client:
            result = await client.call_tool("post_digest", {})
        assert not result.is_error, result.content
        return result.structured_content

    with FaultProxy(telegram.url).running() as proxy:
        proxy.always(FAULTS["503-json"])
        answer = anyio.run(post, world(telegram_url=proxy.url))
    by_channel = {d["channel"]: d for d in answer["report"]["deliveries"]}
    assert by_channel["slack"]["status"] == "posted"
    assert by_channel["telegram"]["status"] == "failed"
    assert "503" in by_channel["telegram"]["reason"]
    assert answer["partial"] is True
    assert (len(slack.messages), len(telegram.messages)) == (1, 0)
    healed = subprocess.run(
        [CLI, "repost"], env=world(), capture_output=True, text=True, timeout=60, check=False
    )
    assert healed.returncode == 0, healed.stderr
    assert "telegram: posted" in healed.stderr
    assert (len(slack.messages), len(telegram.messages)) == (1, 1)


def test_a_hung_source_cannot_hold_the_run_past_its_deadline(tmp_path, slack, telegram):
    from fakes.faults import refused_url

    with FaultProxy(refused_url()).running() as proxy:
        proxy.always(HANG)
        config = tmp_path / "config.json"
        config.write_text(
            json.dumps(
                {
                    "customers": [{"name": "Acme"}, {"name": "Globex"}],
                    "source": "a2a",
                    "a2a": {"billing_url": proxy.url + "/"},
                    "slack": {"dm_channel": "D0123", "api_base": slack.url + "/api/"},
                }
            )
        )
        env = {**os.environ, "CONFIG_PATH": str(config), "SLACK_BOT_TOKEN": slack.token}
        # The subprocess timeout is the assertion: a run that outlives its deadline fails here.
        result = subprocess.run(
            [CLI, "digest", "--as-of", AS_OF, "--deadline", "3"],
            env=env,
            capture_output=True,
            text=True,
            timeout=3 + 15,
            check=False,
        )
    assert proxy.seen, "the billing agent was never asked"
    assert result.returncode == 4, result.stderr  # nothing could be fetched in time
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: no customer's revenue could be read (Acme, Globex)")
    assert slack.messages == []

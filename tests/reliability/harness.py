"""The fault matrix's helpers: the shortened policy, a recorded digest, both channels, and
per-part copy counts taken from the emulators."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

from fakes.slack import SlackFake
from fakes.telegram import TelegramFake
from spend_monitor import net
from spend_monitor.channels.base import RESENT_MARK, Chart
from spend_monitor.channels.slack import SlackChannel
from spend_monitor.channels.telegram import TelegramChannel
from spend_monitor.config import SlackConfig, TelegramConfig
from spend_monitor.domain.models import Digest
from spend_monitor.store import HOST, Store

AS_OF = "2026-02-15"
# Short enough that the whole matrix runs in a minute or two, long enough for loopback.
FAST = net.Policy(
    connect_timeout=0.5,
    request_timeout=1.0,
    backoff_base=0.05,
    backoff_max=0.2,
    max_retry_after=2.0,
)
DEADLINE = 6.0
CHART = Chart(
    filename="acme.png", title="Acme: daily revenue", alt_text="a line", png=b"\x89PNG" + b"0" * 64
)


def book(count: int) -> list[tuple[str, str, str, float]]:
    rows = []
    for i in range(count):
        name = f"Customer {i:03d}"
        rows += [(f"2026-01-{d:02d}", name, "SMS", 100.0 + i) for d in range(1, 32)]
        rows += [(f"2026-02-{d:02d}", name, "SMS", 60.0 + i) for d in range(1, 15)]
    return rows


@dataclass
class Recorded:
    """A digest recorded the way the CLI records a run with no channel, and its state store."""

    store: Store
    run_id: int
    digest: Digest
    path: Path

    def rerun(self) -> int:
        """A second run of the same day and content: a new run row, the same content hash."""
        row = self.store._db.execute("SELECT * FROM runs WHERE id = ?", (self.run_id,)).fetchone()
        return self.store.record_run(self.digest, row["source"], (row["content_hash"], "text"))


def slack_channel(base: str) -> SlackChannel:
    return SlackChannel(
        SlackConfig(dm_channel="D0123", api_base=base + "/api/"), SecretStr(SlackFake().token)
    )


def telegram_channel(base: str, client: httpx.AsyncClient) -> TelegramChannel:
    return TelegramChannel(
        TelegramConfig(chat_id="-100123", api_base=base), SecretStr(TelegramFake().token), client
    )


def dead_owner() -> str:
    """The owner string of a process that has certainly exited."""
    child = subprocess.Popen(["true"])
    child.wait()
    return f"{HOST}:{child.pid}"


def slack_copies(slack: SlackFake) -> dict[str, list[bool]]:
    """Per digest part seen by Slack: one entry per copy, True when marked re-sent."""
    out: dict[str, list[bool]] = {}
    for message in slack.messages:
        part = ((message.get("metadata") or {}).get("event_payload") or {}).get("part")
        marked = RESENT_MARK in json.dumps(message.get("blocks")) + message.get("text", "")
        out.setdefault(part or "?", []).append(marked)
    for upload in slack.completed:
        out.setdefault("chart-acme.png", []).append(
            RESENT_MARK in (upload.get("initial_comment") or "")
        )
    return out


def telegram_copies(telegram: TelegramFake) -> dict[str, list[bool]]:
    out: dict[str, list[bool]] = {}
    titles = Counter[str]()
    for message in telegram.messages:
        visible = message["visible"]
        key = "message-1" if "Customer Spend Monitor" in visible else f"other-{titles.total()}"
        titles[key] += 1
        out.setdefault(key, []).append(RESENT_MARK in visible)
    for photo in telegram.photos:
        out.setdefault("chart-acme.png", []).append(RESENT_MARK in (photo["caption"] or ""))
    return out


def holds_once(copies: dict[str, list[bool]], parts: list[str]) -> None:
    """Each part arrived exactly once, or once more explicitly marked re-sent — never an
    unmarked duplicate, never missing."""
    assert sorted(copies) == sorted(parts), copies
    for part, marks in copies.items():
        assert len(marks) in (1, 2), (part, marks)
        if len(marks) == 2:
            assert marks == [False, True], (part, marks)

"""The fault matrix's fixtures: a recorded digest, proxies in front of the emulators, and the
shared policy shortened so every case ends in seconds."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import AS_OF, FAST, Recorded, book

from cli_helpers import invoke
from fakes.faults import FaultProxy
from fakes.slack import SlackFake
from fakes.telegram import TelegramFake
from spend_monitor import net
from spend_monitor.store import Store


@pytest.fixture(autouse=True)
def fast_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net, "DEFAULT", FAST)


@pytest.fixture
def recorded(capsys, tmp_path, write_csv, request) -> Iterator[Recorded]:
    customers = getattr(request, "param", 3)
    config = tmp_path / "config" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"local": {"path": str(write_csv(book(customers)))}}))
    # No channel is configured, so nothing is posted, yet the run keeps its digest for
    # delivery (a dry run would keep only the per-customer results).
    result = invoke(capsys, "digest", "--as-of", AS_OF)
    assert result.code == 0, result.err
    path = Path(os.environ["SPEND_MONITOR_STATE"])
    store = Store(path)
    (run,) = store.runs()
    yield Recorded(store, run.id, store.digest(run.id), path)
    store.close()


@pytest.fixture
def slack_proxy(slack: SlackFake) -> Iterator[FaultProxy]:
    with FaultProxy(slack.url).running() as proxy:
        yield proxy


@pytest.fixture
def telegram_proxy(telegram: TelegramFake) -> Iterator[FaultProxy]:
    with FaultProxy(telegram.url).running() as proxy:
        yield proxy

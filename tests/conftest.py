"""Shared fixtures: every test runs in its own working directory with a clean environment."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from fakes.server import running
from fakes.slack import SlackFake
from fakes.tableau import TableauFake
from fakes.telegram import TelegramFake
from spend_monitor.domain.models import Thresholds

ENV_VARS = (
    "CONFIG_PATH",
    "DRY_RUN",
    "TABLEAU_PAT_SECRET",
    "SLACK_BOT_TOKEN",
    "TELEGRAM_BOT_TOKEN",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cwd (so no stray .env or config/config.json is read) and no monitor env vars."""
    monkeypatch.chdir(tmp_path)
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPEND_MONITOR_STATE", str(tmp_path / "state" / "state.db"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    return tmp_path


@pytest.fixture
def thresholds() -> Thresholds:
    return Thresholds()


Row = tuple[str, str, str, float | str]


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(rows: Iterable[Row], name: str = "revenue.csv", header: Iterable[str] = ()) -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(list(header) or ["date", "customer", "service", "amount"])
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with running(SlackFake()) as fake:
        yield fake


@pytest.fixture
def telegram() -> Iterator[TelegramFake]:
    with running(TelegramFake()) as fake:
        yield fake


@pytest.fixture
def tableau() -> Iterator[TableauFake]:
    with running(TableauFake()) as fake:
        yield fake

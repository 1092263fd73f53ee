"""`Services`: builds the adapters a use case needs, once, and closes them.

One object per process (the CLI's one command, or the MCP server's whole life), so the
HTTP client, the Tableau session, the state store and the day's cached book are shared by
every call. Adapters are built on first use, so a question that needs no channel never
asks for a channel token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING

from ..channels import Channel
from ..config import Config
from ..domain.models import ChannelName, SourceName
from ..errors import ConfigError
from ..settings import Environment, Settings
from ..sources import RevenueSource
from .answers import ChannelStatus
from .book import Book
from .memory import Memory

if TYPE_CHECKING:
    import httpx


class Services:
    def __init__(
        self,
        settings: Settings,
        today: Callable[[], date],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`today` gives the default as-of date (the front end decides what today is);
        `clock` measures cache age."""
        self.settings = settings
        self.today = today
        self._source: RevenueSource | None = None
        self._http: httpx.AsyncClient | None = None
        self._channels: dict[ChannelName, Channel] = {}
        self.memory = Memory(settings.state_path, settings.config.state_keep_days)
        self.book = Book(self, clock)

    @property
    def config(self) -> Config:
        return self.settings.config

    @property
    def env(self) -> Environment:
        return self.settings.env

    def day(self, as_of: date | None) -> date:
        """The as-of date asked for, else today."""
        return as_of or self.today()

    async def __aenter__(self) -> Services:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self.memory.close()
        if self._source is not None:
            await self._source.aclose()
        for channel in self._channels.values():
            await channel.aclose()
        if self._http is not None:
            await self._http.aclose()

    # -- sources ------------------------------------------------------------------------------

    @property
    def source(self) -> RevenueSource:
        if self._source is None:
            from ..sources.chain import SourceChain

            chain = self.config.source_chain
            self._source = SourceChain(
                self._make_source(chain.primary),
                self._make_source(chain.fallback) if chain.fallback else None,
            )
        return self._source

    def _make_source(self, name: SourceName) -> RevenueSource:
        config, env = self.config, self.env
        if name == "local" and config.local is not None:
            from ..sources.files import LocalFileSource

            return LocalFileSource(config.local, config.thresholds)
        if name == "tableau" and config.tableau is not None:
            from ..sources.tableau import TableauSource

            return TableauSource(
                config.tableau,
                config.customers,
                env.tableau_pat_secret,
                self.http,
                config.thresholds,
            )
        if name == "sql" and config.sql is not None:
            from ..sources.sql import SqlSource

            return SqlSource(config.sql, env.spend_monitor_sql_url, config.thresholds)
        if name == "a2a" and config.a2a is not None:
            from ..sources.a2a import BillingAgentSource

            return BillingAgentSource(config.a2a)
        raise ConfigError(
            f"source {name!r} is not available in this version",
            "use a `tableau`, `a2a`, `local` or `sql` source",
        )

    @property
    def http(self) -> httpx.AsyncClient:
        """One HTTP client for every httpx adapter, for the services' whole life."""
        if self._http is None:
            from ..net import new_client

            self._http = new_client()
        return self._http

    # -- channels -----------------------------------------------------------------------------

    def channel_statuses(self) -> list[ChannelStatus]:
        """The one rule for "a channel is used": its config section and its token are both
        present (an empty variable counts as unset)."""
        statuses = []
        for channel, section, token in (
            ("slack", self.config.slack, self.env.slack_bot_token),
            ("telegram", self.config.telegram, self.env.telegram_bot_token),
        ):
            if section is None:
                detail, ready = "not configured", False
            elif token is None:
                env_name = f"{channel.upper()}_BOT_TOKEN"
                detail, ready = f"section present but {env_name} is not set: will not post", False
            else:
                detail, ready = "token set", True
            statuses.append(ChannelStatus(channel=channel, ready=ready, detail=detail))
        return statuses

    def ready_channels(self, only: Collection[str] | None = None) -> list[ChannelName]:
        """Ready channels in the old script's order, optionally narrowed to `only`."""
        return [
            s.channel
            for s in self.channel_statuses()
            if s.ready and (only is None or s.channel in only)
        ]

    def channel(self, name: ChannelName) -> Channel:
        """The adapter for a ready channel."""
        if name not in self._channels:
            config, env = self.config, self.env
            if name == "slack" and config.slack and env.slack_bot_token:
                from ..channels.slack import SlackChannel

                self._channels[name] = SlackChannel(config.slack, env.slack_bot_token)
            elif name == "telegram" and config.telegram and env.telegram_bot_token:
                from ..channels.telegram import TelegramChannel

                self._channels[name] = TelegramChannel(
                    config.telegram, env.telegram_bot_token, self.http
                )
            else:
                raise ConfigError(f"{name} is not set up", "run `spend-monitor check`")
        return self._channels[name]

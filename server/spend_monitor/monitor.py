"""`SpendMonitor`, the one application service: it wires the adapters to the domain rules.

Front ends (CLI, MCP server) call its methods and hold no business logic of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from .config import Config, Environment, unknown_keys
from .domain.customers import CustomerIndex
from .domain.digest import build_digest
from .domain.models import Customer, Digest, MethodChoice, SourceName
from .domain.periods import public_holidays
from .errors import ConfigError, UnknownCustomerError
from .sources import RevenueSnapshot, RevenueSource, SourceStatus
from .trackers import read_trackers

log = logging.getLogger(__name__)

# Tickets can sit idle for weeks; look this far back for holidays when counting business days.
HOLIDAY_LOOKBACK_DAYS = 120


class DigestRun(BaseModel):
    """A built digest and what the front end needs to report on it."""

    model_config = ConfigDict(frozen=True)

    digest: Digest
    snapshot: RevenueSnapshot

    @property
    def partial(self) -> bool:
        """True when some data is missing: the exit status and tool results say so."""
        return bool(self.digest.unavailable or self.digest.errors)


class ChannelStatus(BaseModel):
    channel: str
    ready: bool
    detail: str


class CheckReport(BaseModel):
    config_warnings: list[str]
    source: SourceStatus
    customers: list[str]
    channels: list[ChannelStatus]
    trackers: list[str]

    @property
    def ok(self) -> bool:
        return self.source.ok


def make_source(name: SourceName, config: Config) -> RevenueSource:
    if name == "local" and config.local is not None:
        from .sources.files import LocalFileSource

        return LocalFileSource(config.local)
    raise ConfigError(
        f"source {name!r} is not available in this version",
        "use a `local` source (CSV or Parquet export) for now",
    )


class SpendMonitor:
    def __init__(self, config: Config, env: Environment | None = None) -> None:
        self.config = config
        self.env = env or Environment(_env_file=None)
        self._source: RevenueSource | None = None

    @property
    def source(self) -> RevenueSource:
        if self._source is None:
            self._source = make_source(self.config.source_chain.primary, self.config)
        return self._source

    async def aclose(self) -> None:
        if self._source is not None:
            await self._source.aclose()

    # -- customers ----------------------------------------------------------------------------

    def configured_customers(self) -> list[Customer]:
        return list(self.config.customers)

    def find_customer(self, name: str, known: Sequence[Customer]) -> Customer:
        index = CustomerIndex(known)
        found = index.find(name)
        if found is None:
            raise UnknownCustomerError(name, index.suggestions(name))
        return found

    # -- the digest ---------------------------------------------------------------------------

    async def build_digest(
        self,
        as_of: date,
        customer: str | None = None,
        method: MethodChoice | None = None,
    ) -> DigestRun:
        """Fetch, compute and assemble the digest for `as_of`; posts nothing."""
        configured = self.configured_customers()
        wanted: list[Customer] | None = configured or None
        if customer is not None and configured:
            wanted = [self.find_customer(customer, configured)]
        log.info("fetching revenue from %s", self.source.name)
        snapshot = await self.source.fetch(as_of, [c.name for c in wanted] if wanted else None)
        customers = wanted or [Customer(name=key) for key in snapshot.customers]
        if customer is not None and not configured:
            customers = [self.find_customer(customer, customers)]
        trackers = read_trackers(
            self.config.escalation_tracker_path, self.config.engdesk_tracker_glob
        )
        period = snapshot.period
        names = {c.name for c in customers}
        digest = build_digest(
            customers,
            snapshot.customers,
            period,
            method or self.config.pace_method,
            self.config.thresholds,
            escalations=trackers.escalations,
            tickets=trackers.tickets,
            holidays=public_holidays(
                self.config.holidays_country,
                as_of - timedelta(days=HOLIDAY_LOOKBACK_DAYS),
                as_of,
            ),
            errors=[*snapshot.warnings, *trackers.warnings],
        )
        if customer is not None:
            digest = digest.model_copy(
                update={"watch_list": tuple(w for w in digest.watch_list if w.customer in names)}
            )
        return DigestRun(digest=digest, snapshot=snapshot)

    # -- set-up check -------------------------------------------------------------------------

    def channel_statuses(self) -> list[ChannelStatus]:
        """A channel is used when its section and its token are both present."""
        statuses = []
        for channel, section, token in (
            ("slack", self.config.slack, self.env.slack_bot_token),
            ("telegram", self.config.telegram, self.env.telegram_bot_token),
        ):
            env_name = f"{channel.upper()}_BOT_TOKEN"
            if section is None:
                statuses.append(
                    ChannelStatus(channel=channel, ready=False, detail="not configured")
                )
            elif token is None:
                statuses.append(
                    ChannelStatus(
                        channel=channel,
                        ready=False,
                        detail=f"section present but {env_name} is not set: will not post",
                    )
                )
            else:
                statuses.append(ChannelStatus(channel=channel, ready=True, detail="token set"))
        return statuses

    def config_warnings(self) -> list[str]:
        warnings = [f"unknown config key {key!r} (a typo?)" for key in unknown_keys(self.config)]
        warnings += [
            f"{s.channel}: {s.detail}"
            for s in self.channel_statuses()
            if not s.ready and s.detail != "not configured"
        ]
        return warnings

    async def check(self, as_of: date) -> CheckReport:
        trackers = read_trackers(
            self.config.escalation_tracker_path, self.config.engdesk_tracker_glob
        )
        tracker_lines = [
            f"escalations: {len(trackers.escalations)} entries",
            f"ENGDESK tickets: {len(trackers.tickets)}",
            *trackers.warnings,
        ]
        return CheckReport(
            config_warnings=self.config_warnings(),
            source=await self.source.status(as_of),
            customers=[c.label for c in self.configured_customers()],
            channels=self.channel_statuses(),
            trackers=tracker_lines,
        )

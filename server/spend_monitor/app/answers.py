"""What the use cases answer: one model per question, the same for the CLI and the MCP tools."""

from __future__ import annotations

import datetime
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from ..channels.base import PostOutcome
from ..domain.models import (
    ChannelName,
    Customer,
    Digest,
    Driver,
    Flag,
    Pace,
    PaceMethod,
    Rounded,
    SnoozeKind,
    SourceName,
    WatchItem,
)
from ..domain.ownership import Rollup
from ..errors import EXIT_OK, EXIT_PARTIAL
from ..render import DigestFormat
from ..sources.base import RevenueSnapshot, SourceStatus
from ..store import PastFlag, RunInfo
from .delivery import ChannelDelivery
from .delivery import exit_code as delivery_exit_code

AS_OF = "The digest date the answer is for (YYYY-MM-DD)."
DATA_THROUGH = "The last day with data (YYYY-MM-DD); the current month is paced through it."


class DailyPoint(BaseModel):
    date: datetime.date = Field(description="The day (YYYY-MM-DD).")
    amount: Rounded | None = Field(
        description="Revenue that day, in dollars; null when the data has no rows for the "
        "day (no usage, or a gap in the data: not a confirmed zero)."
    )


class PacePage(BaseModel):
    """A page of customers' pace, largest dollar move first."""

    as_of: date = Field(description=AS_OF)
    data_through: date = Field(description=DATA_THROUGH)
    days_elapsed: int = Field(description="Days of the current month with data (1–31).")
    current_month: str = Field(description="The month being paced (YYYY-MM).")
    prior_month: str = Field(description="The month it is compared with (YYYY-MM).")
    total: int = Field(description="Customers matching the filters, over all pages.")
    next_offset: int | None = Field(
        description="Pass as `offset` for the next page; null on the last page."
    )
    customers: list[Pace] = Field(description="This page's customers, largest dollar move first.")


class ServiceBreakdown(BaseModel):
    """Every service line of one customer, with the daily series behind the pace."""

    customer: str = Field(description="The customer's name as the data keys it.")
    display_name: str = Field(description="The name people read.")
    as_of: date = Field(description=AS_OF)
    data_through: date = Field(description=DATA_THROUGH)
    flag: Flag = Field(description="The customer's flag (see get_customer_pace).")
    change_pct: Rounded | None = Field(
        description="Change against the baseline in percent (e.g. -12.5); null without a baseline."
    )
    method: PaceMethod = Field(description="How the baseline was computed.")
    source: SourceName = Field(description="Where the numbers came from.")
    error: str | None = Field(description="Why the data is unavailable; null when it is not.")
    services: list[Driver] = Field(description="Every service line, largest dollar move first.")
    current_month_daily: list[DailyPoint] = Field(
        description="Revenue per day from the 1st through data_through."
    )
    prior_month_daily: list[DailyPoint] = Field(description="Revenue per day last month.")
    note: str | None = Field(None, description="A caveat about the data, if any.")


class WatchList(BaseModel):
    as_of: date = Field(description=AS_OF)
    items: list[WatchItem] = Field(description="Customers to watch, each with its evidence.")


class CustomerHistory(BaseModel):
    customer: str = Field(description="The customer's name as the data keys it.")
    display_name: str = Field(description="The name people read.")
    start: date = Field(description="First day of `daily` (YYYY-MM-DD).")
    end: date = Field(description="Last day of `daily`: the data's last day (YYYY-MM-DD).")
    daily: list[DailyPoint] = Field(description="Revenue per day from start to end.")
    past: list[PastFlag] = Field(
        default_factory=list, description="The customer in earlier runs, newest first."
    )
    note: str | None = Field(None, description="A caveat about the data, if any.")


class RunHistory(BaseModel):
    runs: list[RunInfo] = Field(description="Recorded runs, newest first.")


class Acknowledged(BaseModel):
    customer: str = Field(description="The customer whose alerts are snoozed.")
    kind: SnoozeKind | None = Field(description="The kind of alert snoozed; null for all.")
    until: date = Field(description="The snooze ends on this day (YYYY-MM-DD).")
    change_pct: Rounded | None = Field(
        description="The change in percent when acknowledged; 10 points worse "
        "(thresholds.reopen_pct) re-opens the alert."
    )
    note: str | None = Field(description="Why, as the CSM said it.")


class CustomerList(BaseModel):
    source: str = Field(description="`config` when customers are listed in config, else `data`.")
    customers: list[Customer] = Field(description="Every monitored customer.")


class DigestPreview(BaseModel):
    as_of: date = Field(description=AS_OF)
    data_through: date = Field(description=DATA_THROUGH)
    format: DigestFormat = Field(description="The format of `text`.")
    text: str = Field(description="The digest as it would be posted.")
    partial: bool = Field(description="True when some customer's data is unavailable.")
    unavailable: list[str] = Field(description="Customers whose data is unavailable.")


class DigestRun(BaseModel):
    """A built digest and what the front end needs to report on it."""

    model_config = ConfigDict(frozen=True)

    digest: Digest
    snapshot: RevenueSnapshot

    @property
    def partial(self) -> bool:
        """True when revenue data is missing (a customer unavailable, a source's warning):
        the exit status and tool results say so. A skipped tracker entry is shown in the
        digest but is not missing revenue."""
        return bool(self.digest.unavailable or self.snapshot.warnings)


class ChannelStatus(BaseModel):
    channel: ChannelName
    ready: bool
    detail: str
    verified: bool | None = None


class DestinationStatus(BaseModel):
    """An owner's or the team's destination, as the platform answered for it."""

    destination: str
    verified: bool
    detail: str


class CheckReport(BaseModel):
    config_warnings: list[str]
    source: SourceStatus
    customers: list[str]
    channels: list[ChannelStatus]
    destinations: list[DestinationStatus] = Field(default_factory=list)
    coverage: list[str] = Field(
        default_factory=list,
        description="What the data covers: first and last day, days without rows, customers "
        "whose rows end early.",
    )
    trackers: list[str]

    @property
    def ok(self) -> bool:
        return (
            self.source.ok
            and all(c.verified is not False for c in self.channels)
            and all(d.verified for d in self.destinations)
        )


class PostReport(BaseModel):
    """What a post did, channel by channel: a failed channel never hides the others."""

    as_of: date = Field(description=AS_OF)
    data_through: date = Field(description=DATA_THROUGH)
    dry_run: bool = Field(description="True when nothing was meant to be posted.")
    deliveries: list[ChannelDelivery] = Field(
        default_factory=list,
        description="Per channel: posted, already_posted, re-sent, failed or unknown, with "
        "the reason and each part's state in the posting ledger.",
    )
    outcomes: list[PostOutcome] = Field(
        description="Per channel, in brief: ok, message ids, charts posted, the error."
    )
    charts: list[str] = Field(description="File names of the charts drawn.")
    message: str = Field(description="What happened, in one line for a person.")
    store_problem: str | None = Field(
        None,
        description="Set when the state database could not be used: once-only posting was "
        "off for this run.",
    )
    rollup: Rollup | None = Field(
        None, description="The team roll-up, when one was built (owners and `team` set)."
    )
    warnings: list[str] = Field(
        default_factory=list, description="Owners-file rows that could not be used, and why."
    )

    @property
    def failed(self) -> bool:
        return any(not d.holds_digest for d in self.deliveries) or self.store_problem is not None

    @property
    def exit_code(self) -> int:
        """0 every channel holds the digest; 3 a part failed or is unconfirmed, or once-only
        posting was off; 4 nothing reached any channel."""
        if not self.deliveries:
            return EXIT_PARTIAL if self.store_problem else EXIT_OK
        return delivery_exit_code(self.deliveries, store_ok=self.store_problem is None)

"""What the use cases answer: one model per question, the same for the CLI and the MCP tools."""

from __future__ import annotations

from collections.abc import Sequence
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
    SnoozeKind,
    SourceName,
    WatchItem,
)
from ..render import DigestFormat
from ..sources.base import RevenueSnapshot, SourceStatus
from ..store import PastFlag, RunInfo


class DailyPoint(BaseModel):
    date: date
    amount: float


class PacePage(BaseModel):
    """A page of customers' pace, largest dollar move first."""

    as_of: date
    data_through: date
    days_elapsed: int
    current_month: str
    prior_month: str
    total: int = Field(description="customers matching the filters, over all pages")
    next_offset: int | None = Field(description="offset of the next page; null on the last")
    customers: list[Pace]


class ServiceBreakdown(BaseModel):
    """Every service line of one customer, with the daily series behind the pace."""

    customer: str
    display_name: str
    as_of: date
    data_through: date
    flag: Flag
    change_pct: float | None
    method: PaceMethod
    source: SourceName
    error: str | None
    services: list[Driver]
    current_month_daily: list[DailyPoint]
    prior_month_daily: list[DailyPoint]
    note: str | None = None


class WatchList(BaseModel):
    as_of: date
    items: list[WatchItem]


class CustomerHistory(BaseModel):
    customer: str
    display_name: str
    start: date
    end: date
    daily: list[DailyPoint]
    past: list[PastFlag] = Field(default_factory=list, description="earlier runs, newest first")
    note: str | None = None


class RunHistory(BaseModel):
    runs: list[RunInfo]


class Acknowledged(BaseModel):
    customer: str
    kind: SnoozeKind | None
    until: date
    change_pct: float | None = Field(
        description="the change when acknowledged; 10 points "
        "worse (thresholds.reopen_pct) re-opens the alert"
    )
    note: str | None


class CustomerList(BaseModel):
    source: str = Field(description="`config` when customers are listed in config, else `data`")
    customers: list[Customer]


class DigestPreview(BaseModel):
    as_of: date
    data_through: date
    format: DigestFormat
    text: str
    partial: bool = Field(description="true when some customer's data is unavailable")
    unavailable: list[str]


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
    channel: ChannelName
    ready: bool
    detail: str
    verified: bool | None = None


class CheckReport(BaseModel):
    config_warnings: list[str]
    source: SourceStatus
    customers: list[str]
    channels: list[ChannelStatus]
    trackers: list[str]

    @property
    def ok(self) -> bool:
        return self.source.ok and all(c.verified is not False for c in self.channels)


def describe_outcomes(outcomes: Sequence[PostOutcome]) -> str:
    parts = []
    for o in outcomes:
        if o.skipped:
            parts.append(f"{o.channel}: already posted today (same content)")
        elif o.ok:
            parts.append(
                f"{o.channel}: posted ({len(o.message_ids)} message(s), {o.charts_posted} chart(s))"
            )
        else:
            parts.append(f"{o.channel}: FAILED ({o.note})")
    return "; ".join(parts)


class PostReport(BaseModel):
    """What a post did, channel by channel: a failed channel never hides the others."""

    as_of: date
    data_through: date
    dry_run: bool
    outcomes: list[PostOutcome]
    charts: list[str]
    message: str
    store_problem: str | None = Field(None, description="set when the state database failed")

    @property
    def failed(self) -> bool:
        return any(not o.ok for o in self.outcomes) or self.store_problem is not None

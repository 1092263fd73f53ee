"""What `SpendMonitor` answers to its front ends: one model per question, shared by CLI and MCP."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from .domain.models import Customer, Driver, Flag, Pace, WatchItem


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
    method: str
    source: str
    error: str | None
    services: list[Driver]
    current_month_daily: list[DailyPoint]
    prior_month_daily: list[DailyPoint]
    note: str | None = None


class WatchList(BaseModel):
    as_of: date
    items: list[WatchItem]


class PastFlag(BaseModel):
    """A customer's numbers and flag in an earlier run (from the state store)."""

    run_id: int
    as_of: date
    flag: str
    status: str
    current: float | None
    baseline: float | None
    change_pct: float | None
    posted: bool


class CustomerHistory(BaseModel):
    customer: str
    display_name: str
    start: date
    end: date
    daily: list[DailyPoint]
    past: list[PastFlag] = Field(default_factory=list, description="earlier runs, newest first")
    note: str | None = None


class RunInfo(BaseModel):
    id: int
    as_of: date
    data_through: date
    source: str
    method: str
    outcome: str
    created_at: str
    posts: list[dict[str, Any]]


class RunHistory(BaseModel):
    runs: list[RunInfo]


class Acknowledged(BaseModel):
    customer: str
    kind: str | None
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
    format: str
    text: str
    partial: bool = Field(description="true when some customer's data is unavailable")
    unavailable: list[str]

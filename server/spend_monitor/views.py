"""What `SpendMonitor` answers to its front ends: one model per question, shared by CLI and MCP."""

from __future__ import annotations

from datetime import date

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


class CustomerHistory(BaseModel):
    customer: str
    display_name: str
    start: date
    end: date
    daily: list[DailyPoint]
    note: str | None = None


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

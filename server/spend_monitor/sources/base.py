"""What every revenue source offers the monitor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from ..domain.columns import RevenueColumns, RevenueView
from ..domain.models import SourceCoverage, SourceName
from ..domain.periods import Period


class RevenueSnapshot(BaseModel):
    """One fetch: the period the data allows, and revenue for every customer asked about, as
    columns (`customers` reads them customer by customer; sources that answer customer by
    customer build them with `domain.columns.from_revenue`).

    With no customers asked about, it holds every customer found in the window.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    source: SourceName
    period: Period
    revenue: RevenueColumns
    warnings: tuple[str, ...] = ()
    # Facts about the data as a whole said under the digest's title (a partial last day left
    # out): not problems, so they do not make a run partial.
    notices: tuple[str, ...] = ()
    # What the book covers (first and last day, days missing, customers ending early); None
    # when the source cannot tell (monthly totals only).
    coverage: SourceCoverage | None = None

    @property
    def customers(self) -> RevenueView:
        return self.revenue.customers


class SourceStatus(BaseModel):
    """What `spend-monitor check` reports about a source."""

    source: SourceName
    ok: bool
    detail: str
    facts: dict[str, str | int | None] = Field(default_factory=dict)


class RevenueSource(Protocol):
    name: SourceName

    async def fetch(
        self, as_of: date, customers: Sequence[str] | None, since: date | None = None
    ) -> RevenueSnapshot:
        """Revenue for `customers` (None: everyone in the data); daily totals from `since`
        when that is before the prior month."""
        ...

    async def status(self, as_of: date) -> SourceStatus: ...

    async def aclose(self) -> None: ...

"""What every revenue source offers the monitor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from ..domain.models import CustomerRevenue, SourceCoverage, SourceName
from ..domain.periods import Period


class RevenueSnapshot(BaseModel):
    """One fetch: the period the data allows, and revenue for every customer asked about.

    With no customers asked about, `customers` holds every customer found in the window.
    """

    model_config = ConfigDict(frozen=True)

    source: SourceName
    period: Period
    customers: dict[str, CustomerRevenue]
    warnings: tuple[str, ...] = ()
    # Facts about the data as a whole said under the digest's title (a partial last day left
    # out): not problems, so they do not make a run partial.
    notices: tuple[str, ...] = ()
    # What the book covers (first and last day, days missing, customers ending early); None
    # when the source cannot tell (monthly totals only).
    coverage: SourceCoverage | None = None


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

"""A primary source with a fallback: the whole run when the primary is down, and customer by
customer when the primary has nothing (or failed) for them. A broken data file with no
fallback fails the run (the user must fix it): a digest of "data unavailable" lines is never
posted for it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta

from ..domain.columns import from_revenue
from ..domain.models import CustomerRevenue, SourceName
from ..domain.periods import period_for
from ..domain.revenue import unavailable
from ..errors import DataFileError, SourceError
from .base import RevenueSnapshot, RevenueSource, SourceStatus

log = logging.getLogger(__name__)


class SourceChain:
    def __init__(self, primary: RevenueSource, fallback: RevenueSource | None) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name: SourceName = primary.name

    async def _fallback(
        self, as_of: date, keys: Sequence[str], why: dict[str, str]
    ) -> dict[str, CustomerRevenue]:
        """The fallback's answer for `keys`; where it fails too, both reasons are kept."""
        if self.fallback is None:
            return {k: unavailable(k, self.primary.name, why[k]) for k in keys}
        try:
            snapshot = await self.fallback.fetch(as_of, keys)
        except SourceError as exc:
            return {k: unavailable(k, self.fallback.name, f"{why[k]}; {exc}") for k in keys}
        found = {}
        for key in keys:
            revenue = snapshot.customers[key]
            if revenue.error:
                revenue = revenue.model_copy(update={"error": f"{why[key]}; {revenue.error}"})
            found[key] = revenue
        return found

    async def fetch(
        self, as_of: date, customers: Sequence[str] | None, since: date | None = None
    ) -> RevenueSnapshot:
        try:
            snapshot = await self.primary.fetch(as_of, customers, since)
        except SourceError as exc:
            if customers is None or (self.fallback is None and isinstance(exc, DataFileError)):
                raise
            log.info(
                "%s failed (%s); using %s for every customer",
                self.primary.name,
                exc,
                self.fallback.name if self.fallback else "nothing",
            )
            reason = f"{self.primary.name}: {exc}"
            found = await self._fallback(as_of, customers, dict.fromkeys(customers, reason))
            return RevenueSnapshot(
                source=self.fallback.name if self.fallback else self.primary.name,
                period=period_for(as_of),
                revenue=from_revenue(
                    self.fallback.name if self.fallback else self.primary.name, found
                ),
                warnings=(f"{self.primary.name} unavailable: {exc}",),
            )
        book = snapshot.revenue
        missing = {book.keys[i]: f"{self.primary.name}: {e}" for i, e in book.errors.items()}
        if not missing or self.fallback is None:
            return snapshot
        log.info(
            "asking %s for %d customer(s) %s lacks",
            self.fallback.name,
            len(missing),
            self.primary.name,
        )
        # Ask about the months the primary's data covers, even when that data is late.
        aligned = snapshot.period.data_through + timedelta(days=1)
        found = await self._fallback(aligned, list(missing), missing)
        return snapshot.model_copy(update={"revenue": book.with_rows(found)})

    async def status(self, as_of: date) -> SourceStatus:
        try:
            primary = await self.primary.status(as_of)
        except SourceError as exc:
            primary = SourceStatus(source=self.primary.name, ok=False, detail=str(exc))
        if self.fallback is None:
            return primary
        fallback = await self.fallback.status(as_of)
        return SourceStatus(
            source=primary.source,
            ok=primary.ok or fallback.ok,
            detail=f"{primary.detail}; fallback {fallback.source}: {fallback.detail}",
            facts={**primary.facts, **{f"fallback_{k}": v for k, v in fallback.facts.items()}},
        )

    async def aclose(self) -> None:
        await self.primary.aclose()
        if self.fallback is not None:
            await self.fallback.aclose()

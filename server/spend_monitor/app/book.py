"""The book: the day's revenue snapshot and the digest computed from it, both cached.

The snapshot is kept for `mcp.cache_ttl_minutes` so an agent's follow-up questions cost no
fetch; the digest computed from a snapshot is kept with it, so a follow-up costs no
recomputation either. What the state store adds (new/ongoing markers, snoozes) is applied on
every call, so an acknowledgement shows at once.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING

import anyio

from ..concurrency import run_all
from ..domain.alerts import apply_snoozes, mark_news
from ..domain.coverage import lookback_start, prior_uncovered
from ..domain.customers import CustomerIndex
from ..domain.digest import build_digest
from ..domain.models import Customer, Digest, MethodChoice, Pace, PastDigest, Snooze
from ..domain.periods import period_for, public_holidays
from ..errors import DataFileError, SourceError, UnknownCustomerError
from ..sources import RevenueSnapshot
from ..trackers import read_trackers
from .answers import DigestRun

if TYPE_CHECKING:
    from .services import Services

# Tickets can sit idle for weeks; look this far back for holidays when counting business days.
HOLIDAY_LOOKBACK_DAYS = 120
Progress = Callable[[float, float, str], Awaitable[None]]


def _require_a_prior_period(snapshot: RevenueSnapshot) -> None:
    """A source with nothing before this month can serve no comparison: the run fails with
    one line instead of calling every customer new."""
    coverage = snapshot.coverage
    first = coverage.first_day if coverage else snapshot.period.source_first_day
    if first is None:
        return
    problem = prior_uncovered(first, snapshot.period)
    if problem is not None:
        raise SourceError(
            problem, "point the source at data that includes the prior month, or pass --as-of"
        )


def _require_some_customer(snapshot: RevenueSnapshot) -> None:
    """A source that served no customer at all is a failed run, not a digest of "data
    unavailable" lines (the fallback, when there is one, has already been asked)."""
    book = snapshot.revenue
    if not len(book) or len(book.errors) < len(book):
        return
    names = ", ".join(book.keys[:5]) + (" …" if len(book) > 5 else "")
    problem = f"no customer's revenue could be read ({names}): {book.errors[0]}"
    if snapshot.source == "local":
        raise DataFileError(problem, "check the data file and the customers in the config")
    raise SourceError(problem, "run `spend-monitor check` to see what the source answers")


class Book:
    def __init__(self, services: Services, clock: Callable[[], float]) -> None:
        self._services = services
        self._clock = clock
        self._snapshots: dict[date, tuple[float, RevenueSnapshot]] = {}
        self._digests: dict[tuple[date, MethodChoice], tuple[RevenueSnapshot, Digest]] = {}
        # The last snapshot's customers, and the index that finds them by any name (it is
        # made on its first question).
        self._known: tuple[RevenueSnapshot, CustomerIndex] | None = None
        # The last whole-book digest with memory applied, and what it was made from.
        self._remembered: tuple[Digest, list[PastDigest], list[Snooze], Digest] | None = None
        self._ranked: tuple[Digest, tuple[Pace, ...]] | None = None
        self._holidays: dict[date, frozenset[date]] = {}
        self.last_digest: Digest | None = None

    async def snapshot(
        self, as_of: date, refresh: bool = False, progress: Progress | None = None
    ) -> RevenueSnapshot:
        """The whole book for `as_of`, fetched once per cache lifetime."""
        services = self._services
        ttl = services.config.mcp.cache_ttl_minutes * 60
        cached = self._snapshots.get(as_of)
        if cached and not refresh and self._clock() - cached[0] < ttl:
            return cached[1]
        if progress:
            await progress(0, 2, f"fetching revenue from {services.source.name}")
        configured = [c.name for c in services.config.customers] or None
        since = lookback_start(period_for(as_of), services.config.thresholds)
        snapshot = await services.source.fetch(as_of, configured, since)
        _require_a_prior_period(snapshot)
        _require_some_customer(snapshot)
        if ttl > 0:
            self._snapshots[as_of] = (self._clock(), snapshot)
        if progress:
            await progress(1, 2, "computing pace")
        return snapshot

    def _index_of(self, snapshot: RevenueSnapshot) -> CustomerIndex:
        """Configured customers, or everyone the data has when none are configured (built
        once per snapshot)."""
        known = self._known
        if known is None or known[0] is not snapshot:
            configured: list[Customer] = list(self._services.config.customers)
            customers = configured or [Customer(name=k) for k in snapshot.revenue.keys]
            known = self._known = (snapshot, CustomerIndex(customers))
        return known[1]

    def customers_in(self, snapshot: RevenueSnapshot) -> list[Customer]:
        return list(self._index_of(snapshot).customers)

    def find(self, name: str, snapshot: RevenueSnapshot) -> Customer:
        """The customer `name` means, among those `customers_in` the snapshot."""
        index = self._index_of(snapshot)
        found = index.find(name)
        if found is None:
            raise UnknownCustomerError(name, index.suggestions(name))
        return found

    def _computed(self, snapshot: RevenueSnapshot, method: MethodChoice) -> Digest:
        """The whole book's digest before memory is applied, once per snapshot and method."""
        key = (snapshot.period.as_of, method)
        cached = self._digests.get(key)
        if cached is not None and cached[0] is snapshot:
            return cached[1]
        config = self._services.config
        trackers = read_trackers(config.escalation_tracker_path, config.engdesk_tracker_glob)
        with _book_heap():
            digest = build_digest(
                self.customers_in(snapshot),
                snapshot.revenue,
                snapshot.period,
                method,
                config.thresholds,
                escalations=trackers.escalations,
                tickets=trackers.tickets,
                holidays=self._holidays_before(snapshot.period.as_of),
                errors=[*snapshot.warnings, *trackers.warnings],
                coverage=snapshot.coverage,
                notices=snapshot.notices,
                closed_statuses=config.closed_ticket_statuses,
            )
            self._digests[key] = (snapshot, digest)
        return digest

    def _holidays_before(self, as_of: date) -> frozenset[date]:
        """The public holidays business days are counted with, kept per as-of date: loading
        the calendars takes a tenth of a second."""
        found = self._holidays.get(as_of)
        if found is None:
            country = self._services.config.holidays_country
            start = as_of - timedelta(days=HOLIDAY_LOOKBACK_DAYS)
            found = self._holidays[as_of] = public_holidays(country, start, as_of)
        return found

    def ranked(self, digest: Digest) -> tuple[Pace, ...]:
        """The digest's customers, largest dollar move first (kept for the last digest, so
        paging through the book sorts it once)."""
        if self._ranked is None or self._ranked[0] is not digest:
            order = sorted(
                digest.customers, key=lambda p: (-abs(p.delta), p.display_name.casefold())
            )
            self._ranked = (digest, tuple(order))
        return self._ranked[1]

    async def run(
        self,
        as_of: date,
        customer: str | None = None,
        method: MethodChoice | None = None,
        refresh: bool = False,
        progress: Progress | None = None,
    ) -> DigestRun:
        """The digest for `as_of` (or one customer's part of it), with what memory adds. The
        holidays are worked out in a worker thread while the source fetches."""
        fetched: list[RevenueSnapshot] = []

        async def fetch() -> None:
            fetched.append(await self.snapshot(as_of, refresh, progress))

        async def holidays() -> None:
            await anyio.to_thread.run_sync(self._holidays_before, as_of)

        await run_all([fetch] if as_of in self._holidays else [fetch, holidays])
        snapshot = fetched[0]
        digest = self._computed(snapshot, method or self._services.config.pace_method)
        if customer is not None:
            found = self.find(customer, snapshot)
            digest = digest.model_copy(
                update={
                    "customers": tuple(p for p in digest.customers if p.name == found.name),
                    "watch_list": tuple(w for w in digest.watch_list if w.customer == found.name),
                }
            )
        digest = self._with_memory(digest, as_of)
        if customer is None:
            self.last_digest = digest
        return DigestRun(digest=digest, snapshot=snapshot)

    def _with_memory(self, digest: Digest, as_of: date) -> Digest:
        """New / ongoing / recovered markers and snoozes, from the state store."""
        memory = self._services.memory
        history: list[PastDigest] = memory.attempt(lambda store: store.posted_before(as_of), [])
        snoozes: list[Snooze] = memory.attempt(
            lambda store: [a.snooze() for a in store.active_acks(as_of)], []
        )
        last = self._remembered
        if last and last[0] is digest and last[1] == history and last[2] == snoozes:
            digest = last[3]
        else:
            remembered = apply_snoozes(mark_news(digest, history), snoozes)
            if len(digest.customers) > 1:
                self._remembered = (digest, history, snoozes, remembered)
            digest = remembered
        if memory.problem:
            digest = digest.model_copy(update={"errors": (*digest.errors, memory.problem)})
        return digest


@contextmanager
def _book_heap() -> Iterator[None]:
    """Around making a whole book's digest, which is then cached: the young garbage of
    earlier work is collected first (cheap: the young generations are small); the cyclic
    collector is held off while the book's objects are made (every one is kept, so its
    passes freed nothing and took a fifth of the time at 50,000 customers); then what is
    alive is frozen out of the collector's reach, so a warm answer never pays for a full
    collection walking a book that cannot be garbage. Frozen objects are still freed by
    reference counting when a refresh drops them. Making a book leaves no cyclic garbage to
    freeze (tests/test_columnar.py checks it), but for a few hundred objects some libraries
    leave on their first use in a process."""
    gc.collect(1)
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if was_on:
            gc.enable()

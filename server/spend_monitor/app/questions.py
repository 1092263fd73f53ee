"""The questions a CSM (or their agent) asks: pace, why, who to watch, history, who is
monitored, and what the digest would say. None of them posts or writes anything."""

from __future__ import annotations

from datetime import date, timedelta

from ..domain.coverage import daily_with_gaps
from ..render import RENDERERS
from ..store import PastFlag
from . import team
from .answers import (
    CustomerHistory,
    CustomerList,
    DailyPoint,
    DigestPreview,
    PacePage,
    RunHistory,
    ServiceBreakdown,
    WatchList,
)
from .book import Progress
from .requests import (
    BreakdownRequest,
    CustomersRequest,
    HistoryRequest,
    PaceRequest,
    PreviewRequest,
    RunsRequest,
    WatchRequest,
)
from .services import Services

# A page of the book stays small for the model reading it: each customer's two largest
# service-line moves (get_service_breakdown has them all) and no sparkline.
BOOK_DRIVERS = 2


def _series(daily: dict[date, float], start: date, end: date) -> list[DailyPoint]:
    """Every day from start to end; a day without rows is marked (null), not a zero."""
    return [
        DailyPoint(date=day, amount=amount) for day, amount in daily_with_gaps(daily, start, end)
    ]


async def pace(
    services: Services, request: PaceRequest, progress: Progress | None = None
) -> PacePage:
    """A page of customers' pace, largest dollar move first."""
    run = await services.book.run(
        services.day(request.as_of), request.customer, refresh=request.refresh, progress=progress
    )
    digest = team.owned_by(services, run, request.owner)
    ranked = services.book.ranked(digest)
    matching = [p for p in ranked if request.flag is None or p.flag == request.flag]
    page = matching[request.offset : request.offset + request.limit]
    if request.customer is None:
        page = [
            p.model_copy(update={"drivers": p.drivers[:BOOK_DRIVERS], "recent": ()}) for p in page
        ]
    more = request.offset + request.limit < len(matching)
    return PacePage(
        as_of=digest.as_of,
        data_through=digest.data_through,
        days_elapsed=digest.days_elapsed,
        current_month=digest.current_month,
        prior_month=digest.prior_month,
        total=len(matching),
        next_offset=request.offset + request.limit if more else None,
        customers=page,
    )


async def breakdown(services: Services, request: BreakdownRequest) -> ServiceBreakdown:
    """Every service line of one customer, with the daily series behind its pace."""
    as_of = services.day(request.as_of)
    run = await services.book.run(as_of, request.customer)
    pace = run.digest.customers[0]
    period = run.snapshot.period
    daily = run.snapshot.customers[pace.name].daily
    return ServiceBreakdown(
        customer=pace.name,
        display_name=pace.display_name,
        as_of=as_of,
        data_through=period.data_through,
        flag=pace.flag,
        change_pct=pace.change_pct,
        method=pace.method,
        source=pace.source,
        error=pace.error,
        services=list(pace.drivers),
        current_month_daily=_series(daily, period.current_start, period.data_through),
        prior_month_daily=_series(daily, period.prior_start, period.prior_end),
        note=None if daily or pace.error else "this source has monthly totals only",
    )


async def watch(services: Services, request: WatchRequest) -> WatchList:
    as_of = services.day(request.as_of)
    run = await services.book.run(as_of)
    digest = team.owned_by(services, run, request.owner)
    return WatchList(as_of=as_of, items=list(digest.watch_list))


async def history(services: Services, request: HistoryRequest) -> CustomerHistory:
    """One customer's daily revenue over `days`, and its flags in earlier runs."""
    as_of = services.day(request.as_of)
    book = services.book
    snapshot = await book.snapshot(as_of)
    found = book.find(request.customer, snapshot)
    end = snapshot.period.data_through
    start = end - timedelta(days=request.days - 1)
    if start < snapshot.period.prior_start:
        snapshot = await services.source.fetch(as_of, [found.name], since=start)
    revenue = snapshot.customers[found.name]
    note = None
    if revenue.error:
        note = f"data unavailable: {revenue.error}"
    elif not revenue.daily:
        note = "this source has monthly totals only"
    past: list[PastFlag] = services.memory.attempt(
        lambda store: store.customer_results(found.name), []
    )
    return CustomerHistory(
        customer=found.name,
        display_name=found.label,
        start=start,
        end=end,
        daily=_series(revenue.daily, start, end) if revenue.daily else [],
        past=past,
        note=note,
    )


def runs(services: Services, request: RunsRequest) -> RunHistory:
    """Past runs and what became of their posts."""
    return RunHistory(runs=services.memory.require().runs(request.limit))


async def customers(services: Services, request: CustomersRequest) -> CustomerList:
    configured = services.config.customers
    if configured:
        return CustomerList(source="config", customers=list(configured))
    snapshot = await services.book.snapshot(services.day(request.as_of))
    return CustomerList(source="data", customers=services.book.customers_in(snapshot))


async def preview(services: Services, request: PreviewRequest) -> DigestPreview:
    """The digest exactly as it would be posted, posting nothing."""
    run = await services.book.run(services.day(request.as_of))
    digest = team.owned_by(services, run, request.owner)
    return DigestPreview(
        as_of=digest.as_of,
        data_through=digest.data_through,
        format=request.format,
        text=RENDERERS[request.format](digest),
        partial=run.partial,
        unavailable=[p.display_name for p in digest.unavailable],
    )

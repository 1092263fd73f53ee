"""`backtest`: how each pace method would have done on the source's own history."""

from __future__ import annotations

from datetime import timedelta

from ..domain.backtest import BacktestReport, months_between
from ..domain.backtest import backtest as replay
from ..domain.periods import days_in_month, previous_month_start, public_holidays
from ..errors import SourceError
from .requests import BacktestRequest
from .services import Services


async def backtest(services: Services, request: BacktestRequest) -> BacktestReport:
    """Replay each month from `start` to `end` (first days) at each checkpoint day."""
    months = months_between(request.start, request.end)
    first_prior = previous_month_start(months[0])
    last_day = months[-1].replace(day=days_in_month(months[-1]))
    customers = [c.name for c in services.config.customers] or None
    snapshot = await services.source.fetch(
        last_day + timedelta(days=1), customers, since=first_prior
    )
    daily = dict(snapshot.revenue.by_key)
    if not daily:
        raise SourceError(
            "no daily data for the backtest", "the backtest needs a source with daily revenue"
        )
    holidays = public_holidays(services.config.holidays_country, first_prior, last_day)
    return replay(
        daily,
        months,
        request.days,
        services.config.thresholds,
        holidays,
        complete_through=snapshot.period.data_through,
    )

"""What is driving a customer's change, service line by service line."""

from __future__ import annotations

from .models import CustomerRevenue, Driver, DriverKind, PaceMethod, Thresholds
from .pacing import baseline, change_pct
from .periods import Period


def _kind(current: float, prior_total: float, base: float, thresholds: Thresholds) -> DriverKind:
    if prior_total <= 0:
        return "new"
    if current <= 0:
        return "vanished"
    pct = change_pct(current, base)
    if pct is None or pct >= thresholds.growth_pct:
        return "grew"
    if pct <= thresholds.decline_pct:
        return "shrank"
    return "steady"


def drivers_for(
    revenue: CustomerRevenue,
    period: Period,
    method: PaceMethod,
    thresholds: Thresholds,
    weekday_ratio: float | None = None,
) -> tuple[Driver, ...]:
    """Every service line with spend in either month, largest dollar move first."""
    drivers = []
    for line in revenue.services:
        if line.current <= 0 and line.prior_total <= 0:
            continue
        base = baseline(line, period, method, weekday_ratio)
        drivers.append(
            Driver(
                service=line.service,
                current=line.current,
                baseline=base,
                prior_total=line.prior_total,
                delta=line.current - base,
                kind=_kind(line.current, line.prior_total, base, thresholds),
            )
        )
    return tuple(sorted(drivers, key=lambda d: (-abs(d.delta), d.service)))

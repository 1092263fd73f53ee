"""What is driving a customer's change, service line by service line.

Credits (negative amounts) are netted within their line: a line that billed this month is
never `vanished`, however large its credit; one with no charges this month is.
"""

from __future__ import annotations

from .models import CustomerRevenue, Driver, DriverKind, PaceMethod, ServiceRevenue, Thresholds
from .pacing import baseline, change_pct
from .periods import Period


def _stopped(line: ServiceRevenue) -> bool:
    """No charges this month; a source with net totals only says so with exactly zero."""
    if line.current_charges is not None:
        return line.current_charges <= 0
    return line.current == 0


def _kind(line: ServiceRevenue, base: float, thresholds: Thresholds) -> DriverKind:
    current = line.current
    if line.prior_total <= 0:
        return "new"
    if _stopped(line):
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
        if line.current <= 0 and line.prior_total <= 0 and not line.current_charges:
            continue
        base = baseline(line, period, method, weekday_ratio)
        drivers.append(
            Driver(
                service=line.service,
                current=line.current,
                baseline=base,
                prior_total=line.prior_total,
                delta=line.current - base,
                kind=_kind(line, base, thresholds),
            )
        )
    return tuple(sorted(drivers, key=lambda d: (-abs(d.delta), d.service)))

"""Pace: what a customer has spent this month against what last month says it would have."""

from __future__ import annotations

from .formatting import format_amount, month_abbr
from .models import (
    Customer,
    CustomerRevenue,
    Flag,
    MethodChoice,
    Pace,
    PaceMethod,
    Thresholds,
    Totals,
)
from .periods import Period


def resolve_method(requested: MethodChoice, revenue: Totals) -> PaceMethod:
    """`auto` takes the most precise method the source's data allows."""
    if requested == "auto":
        return "same_days" if revenue.prior_same_days is not None else "prorated"
    if requested == "same_days" and revenue.prior_same_days is None:
        return "prorated"
    return requested


def baseline(totals: Totals, period: Period, method: PaceMethod) -> float:
    """What `current` would be had the customer spent exactly as last month."""
    prorated = totals.prior_total * period.days_elapsed / period.days_in_prior
    if method == "same_days" and totals.prior_same_days is not None:
        if period.days_elapsed > period.days_in_prior:
            return prorated
        return totals.prior_same_days
    return prorated


def change_pct(current: float, base: float) -> float | None:
    """Percent change, or None when there is no baseline (zero or credits): never a division."""
    if base <= 0:
        return None
    return (current - base) / base * 100


def classify(current: float, base: float, pct: float | None, thresholds: Thresholds) -> Flag:
    if pct is None:
        return "new" if current > 0 else "inactive"
    if pct >= thresholds.growth_pct:
        return "growing"
    if pct <= thresholds.decline_pct:
        return "declining"
    return "normal"


def status_words(flag: Flag, pct: float | None, prior: Totals, period: Period, big: float) -> str:
    """The few words after the numbers: "surging", "$56K cliff from Jan", …"""
    if flag == "growing":
        return "surging" if pct is not None and pct >= big else "growing"
    if flag == "declining":
        if pct is not None and pct <= -big:
            return f"{format_amount(prior.prior_total)} cliff from {month_abbr(period.prior_start)}"
        return "significant decline"
    return {
        "normal": "tracking normally",
        "new": "new this month",
        "inactive": "no spend either month",
        "unavailable": "data unavailable",
    }[flag]


def pace_for(
    customer: Customer,
    revenue: CustomerRevenue,
    period: Period,
    requested: MethodChoice,
    thresholds: Thresholds,
) -> Pace:
    method = resolve_method(requested, revenue)
    common = {
        "name": customer.name,
        "display_name": customer.label,
        "method": method,
        "source": revenue.source,
        "days_elapsed": period.days_elapsed,
    }
    if revenue.error is not None:
        return Pace(
            **common,
            flag="unavailable",
            status="data unavailable",
            current=None,
            prior_total=None,
            baseline=None,
            change_pct=None,
            error=revenue.error,
        )
    base = baseline(revenue, period, method)
    pct = change_pct(revenue.current, base)
    flag = classify(revenue.current, base, pct, thresholds)
    note = None
    if flag in ("growing", "declining") and base < thresholds.min_baseline:
        flag = "normal"
        note = (
            f"baseline {format_amount(base)} is under min_baseline "
            f"{format_amount(thresholds.min_baseline)}: not alerted"
        )
    return Pace(
        **common,
        flag=flag,
        status=status_words(flag, pct, revenue, period, thresholds.big_mover_pct),
        current=revenue.current,
        prior_total=revenue.prior_total,
        baseline=base,
        change_pct=pct,
        note=note,
        big_mover=flag in ("growing", "declining")
        and pct is not None
        and abs(pct) >= thresholds.big_mover_pct,
    )

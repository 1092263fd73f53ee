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
from .rhythm import Rhythm, project, weekday_ratio


def resolve_method(
    requested: MethodChoice, revenue: Totals | CustomerRevenue, rhythm: Rhythm | None
) -> tuple[PaceMethod, str | None]:
    """The method a customer gets, and why when it is not the one asked for. `auto` takes
    the weekday profile when four weeks of daily history exist, else the prior month's own
    days, else proration."""
    daily = revenue.prior_same_days is not None
    if requested == "auto":
        return ("weekday" if rhythm else "same_days" if daily else "prorated"), None
    if requested == "weekday" and rhythm is None:
        return "prorated", "weekday: less than four weeks of daily history; used prorated"
    if requested == "same_days" and not daily:
        return "prorated", "same_days: the source has monthly totals only; used prorated"
    return requested, None


def baseline(
    totals: Totals, period: Period, method: PaceMethod, weekday_ratio: float | None = None
) -> float:
    """What `current` would be had the customer spent exactly as last month."""
    prorated = totals.prior_total * period.days_elapsed / period.days_in_prior
    if method == "weekday" and weekday_ratio is not None:
        return totals.prior_total * weekday_ratio
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


def status_words(flag: Flag, pct: float | None, drop: float, period: Period, big: float) -> str:
    """The few words after the numbers: "surging", "cliff: $56K below Jan's pace", …
    (`drop`: the dollars below the baseline)."""
    if flag == "growing":
        return "surging" if pct is not None and pct >= big else "growing"
    if flag == "declining":
        if pct is not None and pct <= -big:
            return f"cliff: {format_amount(drop)} below {month_abbr(period.prior_start)}'s pace"
        return "significant decline"
    return {
        "normal": "tracking normally",
        "new": "new this month",
        "returning": f"back after no revenue in {month_abbr(period.prior_start)}",
        "stopped": "stopped",
        "inactive": "no spend either month",
        "unavailable": "data unavailable",
    }[flag]


def pace_for(
    customer: Customer,
    revenue: CustomerRevenue,
    period: Period,
    requested: MethodChoice,
    thresholds: Thresholds,
    rhythm: Rhythm | None = None,
) -> Pace:
    totals = revenue.totals
    method, why = resolve_method(requested, totals or revenue, rhythm)
    common = {
        "name": customer.name,
        "display_name": customer.label,
        "method": method,
        "source": revenue.source,
        "days_elapsed": period.days_elapsed,
    }
    if totals is None:
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
    ratio = weekday_ratio(rhythm, period) if rhythm is not None else None
    base = baseline(totals, period, method, ratio)
    pct = change_pct(totals.current, base)
    flag = classify(totals.current, base, pct, thresholds)
    notes = [why] if why else []
    z = None
    if rhythm is not None and rhythm.daily_sigma > 0 and pct is not None:
        z = (totals.current - base) / (rhythm.daily_sigma * period.days_elapsed**0.5)
    quiet = z is not None and abs(z) < thresholds.noise_z
    held_back = False
    if flag in ("growing", "declining") and base < thresholds.min_baseline:
        flag = "normal"
        notes.append(
            f"baseline {format_amount(base)} is under min_baseline "
            f"{format_amount(thresholds.min_baseline)}: not alerted"
        )
        held_back = True
    elif flag in ("growing", "declining") and quiet and thresholds.suppress_noise:
        notes.append(
            f"{flag} by {pct:+.1f}% but within this customer's normal noise "
            f"(z={z:+.1f}): not alerted"
        )
        flag = "normal"
        held_back = True
    projection = project(totals.current, period, rhythm)
    return Pace(
        **common,
        flag=flag,
        status=status_words(flag, pct, base - totals.current, period, thresholds.big_mover_pct),
        current=totals.current,
        prior_total=totals.prior_total,
        baseline=base,
        change_pct=pct,
        note="; ".join(notes) or None,
        big_mover=flag in ("growing", "declining")
        and pct is not None
        and abs(pct) >= thresholds.big_mover_pct,
        z_score=z,
        within_noise=None if z is None else quiet,
        projected_total=projection.total,
        projected_low=projection.low,
        projected_high=projection.high,
        held_back=held_back,
    )

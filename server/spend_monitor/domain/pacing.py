"""Pace: what a customer has spent this month against what last month says it would have."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .columns import Floats, Mask
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
from .rhythm import Rhythm, Rhythms, project, weekday_ratio

# Why a method other than the one asked for was used.
NO_HISTORY = "weekday: less than four weeks of daily history; used prorated"
MONTHLY_ONLY = "same_days: the source has monthly totals only; used prorated"


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
        return "prorated", NO_HISTORY
    if requested == "same_days" and not daily:
        return "prorated", MONTHLY_ONLY
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


def held_back_note(
    flag: Flag, base: float, pct: float | None, z: float | None, thresholds: Thresholds
) -> str:
    """Why a move outside the thresholds was not alerted: a small baseline, else noise."""
    if base < thresholds.min_baseline:
        return (
            f"baseline {format_amount(base)} is under min_baseline "
            f"{format_amount(thresholds.min_baseline)}: not alerted"
        )
    return (
        f"{flag} by {pct or 0.0:+.1f}% but within this customer's normal noise "
        f"(z={z or 0.0:+.1f}): not alerted"
    )


@dataclass(frozen=True, eq=False)
class Paces:
    """`pace_for` over every row: the method, the baseline and the flag before the coverage
    rules (NaN where a number is unknown). `moved` is the flag the thresholds gave before a
    small baseline or noise held it back."""

    method: NDArray[np.str_]
    why: list[str | None]
    baseline: Floats
    change_pct: Floats
    flag: NDArray[np.str_]
    moved: NDArray[np.str_]
    z_score: Floats
    quiet: Mask
    held_back: Mask
    big_mover: Mask


def paces_for(
    current: Floats,
    prior_total: Floats,
    prior_same_days: Floats,
    period: Period,
    requested: NDArray[np.str_],
    thresholds: Thresholds,
    rhythms: Rhythms,
    ratio: Floats,
) -> Paces:
    """`pace_for` for every row at once; `requested` is each row's method asked for."""
    daily = ~np.isnan(prior_same_days)
    known = rhythms.known
    method = np.where(
        requested == "auto",
        np.where(known, "weekday", np.where(daily, "same_days", "prorated")),
        requested,
    )
    no_history = (requested == "weekday") & ~known
    monthly = (requested == "same_days") & ~daily
    method = np.where(no_history | monthly, "prorated", method)
    why: list[str | None] = [None] * len(method)
    for row in np.flatnonzero(no_history | monthly).tolist():
        why[row] = NO_HISTORY if no_history[row] else MONTHLY_ONLY
    days = period.days_elapsed
    base = prior_total * days / period.days_in_prior
    base = np.where((method == "weekday") & known, prior_total * ratio, base)
    if days <= period.days_in_prior:
        base = np.where((method == "same_days") & daily, prior_same_days, base)
    positive = base > 0
    pct = np.where(positive, (current - base) / np.where(positive, base, 1.0) * 100, np.nan)
    sigma = rhythms.daily_sigma
    noisy = known & (sigma > 0) & positive
    z = np.where(noisy, (current - base) / (np.where(noisy, sigma, 1.0) * days**0.5), np.nan)
    moved = np.where(
        positive,
        np.where(
            pct >= thresholds.growth_pct,
            "growing",
            np.where(pct <= thresholds.decline_pct, "declining", "normal"),
        ),
        np.where(current > 0, "new", "inactive"),
    )
    moving = (moved == "growing") | (moved == "declining")
    quiet = noisy & (np.abs(z) < thresholds.noise_z)
    small = moving & (base < thresholds.min_baseline)
    held = small | (moving & quiet & thresholds.suppress_noise)
    flag = np.where(held, "normal", moved)
    big = moving & ~held & (np.abs(pct) >= thresholds.big_mover_pct)
    return Paces(method, why, base, pct, flag, moved, z, quiet, held, big)


def unavailable_pace(common: dict[str, object], error: str | None) -> Pace:
    """A customer whose data could not be had (`common`: who, method, source, days)."""
    return Pace.model_validate(
        common
        | {
            "flag": "unavailable",
            "status": "data unavailable",
            "current": None,
            "prior_total": None,
            "baseline": None,
            "change_pct": None,
            "error": error,
        }
    )


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
    common: dict[str, object] = {
        "name": customer.name,
        "display_name": customer.label,
        "method": method,
        "source": revenue.source,
        "days_elapsed": period.days_elapsed,
    }
    if totals is None:
        return unavailable_pace(common, revenue.error)
    ratio = weekday_ratio(rhythm, period) if rhythm is not None else None
    base = baseline(totals, period, method, ratio)
    pct = change_pct(totals.current, base)
    flag = classify(totals.current, base, pct, thresholds)
    notes = [why] if why else []
    z = None
    if rhythm is not None and rhythm.daily_sigma > 0 and pct is not None:
        z = (totals.current - base) / (rhythm.daily_sigma * period.days_elapsed**0.5)
    quiet = z is not None and abs(z) < thresholds.noise_z
    moving = flag in ("growing", "declining")
    held_back = moving and (base < thresholds.min_baseline or (quiet and thresholds.suppress_noise))
    if held_back:
        notes.append(held_back_note(flag, base, pct, z, thresholds))
        flag = "normal"
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

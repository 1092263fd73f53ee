"""What is driving a customer's change, service line by service line.

Credits (negative amounts) are netted within their line: a line that billed this month is
never `vanished`, however large its credit; one with no charges this month is.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property
from typing import get_args

import numpy as np
from numpy.typing import NDArray

from .columns import Floats, Mask, ServiceColumns, cents, row_bounds, row_span
from .models import (
    CustomerRevenue,
    Driver,
    DriverKind,
    DriverLine,
    DriverLines,
    PaceMethod,
    ServiceRevenue,
    ShownLine,
    Thresholds,
)
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


# The kinds as the five literals (shared), not a fresh string per line read.
KINDS: dict[str, DriverKind] = {kind: kind for kind in get_args(DriverKind)}


@dataclass(frozen=True, eq=False)
class Drivers:
    """`drivers_for` over every service line of the book; `order` lists the lines kept,
    customer by customer, largest dollar move first."""

    services: ServiceColumns
    current: Floats
    baseline: Floats
    prior_total: Floats
    kind: NDArray[np.str_]
    order: NDArray[np.intp]
    bounds: NDArray[np.intp]

    def of(self, row: int) -> DriverLines:
        """Row `row`'s drivers, read from the columns when wanted."""
        vanished = row < len(self.vanished) and bool(self.vanished[row])
        return DriverLines(
            read=functools.partial(self.lines_of, row),
            shown=functools.partial(self.shown_of, row),
            any_vanished=vanished,
        )

    def lines_of(self, row: int) -> tuple[DriverLine, ...]:
        lines = self.order[row_span(self.bounds, row)]
        names = self.services.names
        return tuple(
            zip(
                [names[n] for n in self.services.name_id[lines].tolist()],
                self.current[lines].tolist(),
                self.baseline[lines].tolist(),
                self.prior_total[lines].tolist(),
                [KINDS[k] for k in self.kind[lines].tolist()],
                strict=True,
            )
        )

    def shown_of(self, row: int) -> list[ShownLine]:
        """Row `row`'s lines as the JSON shows them, from amounts rounded for the whole book
        at once (a `round` per amount was most of a whole book's JSON)."""
        lines = self.order[row_span(self.bounds, row)]
        names = self.services.names
        current, baseline, prior_total, delta = (column[lines].tolist() for column in self._cents)
        return [
            {
                "service": name,
                "current": now,
                "baseline": base,
                "prior_total": prior,
                "delta": move,
                "kind": KINDS[kind],
            }
            for name, now, base, prior, move, kind in zip(
                [names[n] for n in self.services.name_id[lines].tolist()],
                current,
                baseline,
                prior_total,
                delta,
                self.kind[lines].tolist(),
                strict=True,
            )
        ]

    @cached_property
    def _cents(self) -> tuple[Floats, Floats, Floats, Floats]:
        return (
            cents(self.current),
            cents(self.baseline),
            cents(self.prior_total),
            cents(self.current - self.baseline),
        )

    @cached_property
    def vanished(self) -> Mask:
        """Each customer row: does one of its lines shown vanish?"""
        rows = np.zeros(len(self.bounds), dtype=np.bool_)
        kept = self.order[self.kind[self.order] == "vanished"]
        rows[self.services.owner[kept]] = True
        return rows


def drivers_over(
    services: ServiceColumns,
    prior_total: Floats,
    prior_same_days: Floats,
    period: Period,
    method: NDArray[np.str_],
    thresholds: Thresholds,
    ratio: Floats,
) -> Drivers:
    """Every line's driver at once; `prior_total`/`prior_same_days` are the lines' compared
    amounts (scaled where a prior month is covered in part), `method` and `ratio` each
    customer's."""
    owner = services.owner
    current = services.current
    line_method = method[owner] if len(owner) else np.array([], dtype=np.str_)
    days = period.days_elapsed
    base = prior_total * days / period.days_in_prior
    base = np.where(
        (line_method == "weekday") & ~np.isnan(ratio[owner]), prior_total * ratio[owner], base
    )
    same = ~np.isnan(prior_same_days)
    if days <= period.days_in_prior:
        base = np.where((line_method == "same_days") & same, prior_same_days, base)
    charges = services.current_charges
    billed = ~np.isnan(charges)
    stopped: Mask = np.where(billed, charges <= 0, current == 0)
    positive = base > 0
    pct = np.where(positive, (current - base) / np.where(positive, base, 1.0) * 100, np.nan)
    kind = np.where(
        prior_total <= 0,
        "new",
        np.where(
            stopped,
            "vanished",
            np.where(
                ~positive | (pct >= thresholds.growth_pct),
                "grew",
                np.where(pct <= thresholds.decline_pct, "shrank", "steady"),
            ),
        ),
    )
    idle = (current <= 0) & (prior_total <= 0) & ~(billed & (charges != 0))
    ranked = np.lexsort((services.name_id, -np.abs(current - base), owner))
    order = ranked[~idle[ranked]]
    bounds = row_bounds(owner[order])
    return Drivers(services, current, base, prior_total, kind, order, bounds)

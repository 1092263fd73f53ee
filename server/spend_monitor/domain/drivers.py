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


# The kinds by code: `Drivers` keeps a small integer per line, read back as the literal.
KIND_NAMES: tuple[DriverKind, ...] = get_args(DriverKind)
NEW, VANISHED, GREW, SHRANK, STEADY = range(len(KIND_NAMES))


@dataclass(frozen=True, eq=False)
class Drivers:
    """`drivers_for` over every service line of the book: the lines kept, customer by
    customer (`owner`), largest dollar move first, so row i's lines are one contiguous span
    (`bounds`, see `row_span`) of each array."""

    names: tuple[str, ...]
    owner: NDArray[np.intp]
    name_id: NDArray[np.intp]
    current: Floats
    baseline: Floats
    prior_total: Floats
    kind: NDArray[np.int8]
    bounds: NDArray[np.intp]

    def of(self, row: int) -> DriverLines:
        """Row `row`'s drivers, read from the columns when wanted."""
        vanished = row < len(self.vanished) and bool(self.vanished[row])
        return DriverLines(
            read=functools.partial(self.lines_of, row),
            shown=functools.partial(self.shown_of, row),
            any_vanished=vanished,
        )

    @cached_property
    def _bounds(self) -> list[int]:
        """The bounds read once as Python ints (a numpy scalar per read was a fifth of
        reading a customer's lines)."""
        bounds: list[int] = self.bounds.tolist()
        return bounds

    def _names_and_kinds(self, span: slice) -> tuple[list[str], list[DriverKind]]:
        names, kinds = self.names, KIND_NAMES
        return (
            [names[n] for n in self.name_id[span].tolist()],
            [kinds[k] for k in self.kind[span].tolist()],
        )

    def lines_of(self, row: int) -> tuple[DriverLine, ...]:
        span = row_span(self._bounds, row)
        names, kinds = self._names_and_kinds(span)
        return tuple(
            zip(
                names,
                self.current[span].tolist(),
                self.baseline[span].tolist(),
                self.prior_total[span].tolist(),
                kinds,
                strict=True,
            )
        )

    def shown_of(self, row: int) -> list[ShownLine]:
        """Row `row`'s lines as the JSON shows them, from amounts rounded for the whole book
        at once (a `round` per amount was most of a whole book's JSON)."""
        span = row_span(self._bounds, row)
        names, kinds = self._names_and_kinds(span)
        current, baseline, prior_total, delta = (column[span].tolist() for column in self._cents)
        return [
            {
                "service": name,
                "current": now,
                "baseline": base,
                "prior_total": prior,
                "delta": move,
                "kind": kind,
            }
            for name, now, base, prior, move, kind in zip(
                names, current, baseline, prior_total, delta, kinds, strict=True
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
        rows[self.owner[self.kind == VANISHED]] = True
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
        NEW,
        np.where(
            stopped,
            VANISHED,
            np.where(
                ~positive | (pct >= thresholds.growth_pct),
                GREW,
                np.where(pct <= thresholds.decline_pct, SHRANK, STEADY),
            ),
        ),
    ).astype(np.int8)
    idle = (current <= 0) & (prior_total <= 0) & ~(billed & (charges != 0))
    ranked = np.lexsort((services.name_id, -np.abs(current - base), owner))
    order = ranked[~idle[ranked]]
    return Drivers(
        names=services.names,
        owner=owner[order],
        name_id=services.name_id[order],
        current=current[order],
        baseline=base[order],
        prior_total=prior_total[order],
        kind=kind[order],
        bounds=row_bounds(owner[order]),
    )

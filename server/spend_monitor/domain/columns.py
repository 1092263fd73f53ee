"""The book as columns: every customer's daily revenue and service lines in arrays.

The rules run over whole columns (numpy: DuckDB hands its answers over as numpy arrays without
a Python object per value, and matplotlib already depends on it; Arrow would add a dependency
and has no median) and a per-customer model is built only where a reader wants one customer
(`revenue(i)`, the view `customers`). A day without rows is told from a zero by `rows`, and an
amount that could not be had is NaN, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from .models import CustomerRevenue, ServiceRevenue, SourceName, to_cents

Floats = NDArray[np.float64]
Ints = NDArray[np.intp]
Mask = NDArray[np.bool_]


def last_true(mask: Mask) -> Ints:
    """Each row's last True column, -1 where none."""
    width = mask.shape[1]
    if width == 0:
        return np.full(mask.shape[0], -1, dtype=np.intp)
    found = mask.any(axis=1)
    return np.where(found, width - 1 - mask[:, ::-1].argmax(axis=1), -1)


def row_bounds(owner: Ints) -> Ints:
    """For lines ordered by their customer row `owner`: row i's lines are
    bounds[i]:bounds[i + 1] (rows past the last owner have none; see `row_span`)."""
    return np.searchsorted(owner, np.arange(int(owner.max(initial=-1)) + 2))


def row_span(bounds: Ints | Sequence[int], row: int) -> slice:
    if row + 1 >= len(bounds):
        return slice(0, 0)
    return slice(int(bounds[row]), int(bounds[row + 1]))


def cents(values: Floats) -> Floats:
    """`models.to_cents` for every value at once, to the bit. Scaled, rounded to the
    nearest integer and scaled back, a value lands where Python's correctly rounded `round`
    puts it unless the scaling's own rounding error could cross a half cent: those few, and
    values too large for the trick, are rounded one by one. Any shape."""
    shape = values.shape
    values = values.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = values * 100
        shown = np.rint(scaled) / 100 + 0.0
        fraction = np.abs(scaled - np.trunc(scaled))
        doubtful = ~(np.abs(fraction - 0.5) > 1e-9 * np.maximum(1.0, np.abs(scaled))) | (
            np.abs(scaled) >= 2.0**50
        )
    doubtful &= np.isfinite(values)
    for i in np.flatnonzero(doubtful).tolist():
        shown[i] = to_cents(float(values[i]))
    return shown.reshape(shape)


def _maybe(value: float) -> float | None:
    return None if math.isnan(value) else value


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


@dataclass(frozen=True, eq=False)
class ServiceColumns:
    """Every customer's service lines, ordered by customer row, then service name."""

    owner: Ints
    name_id: Ints
    names: tuple[str, ...]
    current: Floats
    prior_total: Floats
    # NaN where the source only knows monthly or net totals.
    prior_same_days: Floats
    current_charges: Floats

    @cached_property
    def bounds(self) -> Ints:
        return row_bounds(self.owner)

    def line(self, j: int) -> ServiceRevenue:
        return ServiceRevenue(
            service=self.names[self.name_id[j]],
            current=float(self.current[j]),
            prior_total=float(self.prior_total[j]),
            prior_same_days=_maybe(float(self.prior_same_days[j])),
            current_charges=_maybe(float(self.current_charges[j])),
        )


@dataclass(frozen=True, eq=False)
class RevenueColumns:
    """What a source knows about every customer, row i being `keys[i]`; daily columns start
    on `start`."""

    source: SourceName
    keys: tuple[str, ...]
    start: date
    daily: Floats
    rows: Mask
    current: Floats
    prior_total: Floats
    prior_same_days: Floats
    services: ServiceColumns
    errors: Mapping[int, str] = field(default_factory=dict)
    # Rows answered by another source than `source` (a fallback's).
    sources: Mapping[int, SourceName] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    def __eq__(self, other: object) -> bool:
        """The same customers with the same revenue, however the columns are laid out."""
        if not isinstance(other, RevenueColumns):
            return NotImplemented
        return self.keys == other.keys and all(
            self.revenue(i) == other.revenue(i) for i in range(len(self))
        )

    __hash__ = None  # type: ignore[assignment]

    @cached_property
    def index(self) -> dict[str, int]:
        return {key: i for i, key in enumerate(self.keys)}

    @property
    def days(self) -> int:
        return int(self.daily.shape[1])

    def day(self, column: int) -> date:
        return self.start + timedelta(days=column)

    def column(self, day: date) -> int:
        """The column of `day` (negative or past the end when outside the matrix)."""
        return (day - self.start).days

    def window(self, start: date, end: date) -> tuple[Floats, Mask]:
        """Every row's daily totals and rows from start to end inclusive, zero and False on
        days outside the matrix."""
        width = (end - start).days + 1
        values = np.zeros((len(self), max(width, 0)))
        rows = np.zeros(values.shape, dtype=np.bool_)
        first, last = self.column(start), self.column(end)
        lo, hi = max(first, 0), min(last, self.days - 1)
        if lo <= hi:
            values[:, lo - first : hi - first + 1] = self.daily[:, lo : hi + 1]
            rows[:, lo - first : hi - first + 1] = self.rows[:, lo : hi + 1]
        return values, rows

    @cached_property
    def dates(self) -> tuple[date, ...]:
        """The day of each column."""
        return tuple(self.day(c) for c in range(self.days))

    def daily_of(self, row: int) -> dict[date, float]:
        """One customer's daily totals on the days with rows."""
        (columns,) = np.nonzero(self.rows[row])
        dates = self.dates
        amounts = self.daily[row, columns].tolist()
        return {dates[c]: a for c, a in zip(columns.tolist(), amounts, strict=True)}

    def source_of(self, row: int) -> SourceName:
        return self.sources.get(row, self.source)

    def revenue(self, row: int) -> CustomerRevenue:
        """One customer as the one-customer rules and the questions read it."""
        key = self.keys[row]
        if row in self.errors:
            return CustomerRevenue(
                key=key,
                source=self.source_of(row),
                current=None,
                prior_total=None,
                error=self.errors[row],
            )
        lines = row_span(self.services.bounds, row)
        return CustomerRevenue(
            key=key,
            source=self.source_of(row),
            current=float(self.current[row]),
            prior_total=float(self.prior_total[row]),
            prior_same_days=_maybe(float(self.prior_same_days[row])),
            services=tuple(self.services.line(j) for j in range(lines.start, lines.stop)),
            daily=self.daily_of(row),
        )

    @cached_property
    def customers(self) -> RevenueView:
        return RevenueView(self)

    @cached_property
    def by_key(self) -> DailyView:
        """Each customer's daily totals by key, read on demand (charts want a few)."""
        return DailyView(self)

    def with_rows(self, found: Mapping[str, CustomerRevenue]) -> RevenueColumns:
        """These columns with some customers' revenue replaced (a fallback's answers)."""
        last = max((day for r in found.values() for day in r.daily), default=self.start)
        end = max(self.day(self.days - 1), last)
        builder = ColumnsBuilder(self.source, self.keys, self.start, end)
        for row, key in enumerate(self.keys):
            builder.add(row, found[key] if key in found else self.revenue(row))
        return builder.build()


class RevenueView(Mapping[str, CustomerRevenue]):
    """The columns as a mapping of customer key to `CustomerRevenue`, built on demand."""

    def __init__(self, columns: RevenueColumns) -> None:
        self._columns = columns

    def __getitem__(self, key: str) -> CustomerRevenue:
        return self._columns.revenue(self._columns.index[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns.keys)

    def __len__(self) -> int:
        return len(self._columns)

    def __contains__(self, key: object) -> bool:
        return key in self._columns.index


class DailyView(Mapping[str, dict[date, float]]):
    """The columns' daily totals as a mapping of customer key to days, built on demand;
    customers whose data could not be had are left out."""

    def __init__(self, columns: RevenueColumns) -> None:
        self._columns = columns

    def __getitem__(self, key: str) -> dict[date, float]:
        row = self._columns.index[key]
        if row in self._columns.errors:
            raise KeyError(key)
        return self._columns.daily_of(row)

    def __iter__(self) -> Iterator[str]:
        errors = self._columns.errors
        return (k for i, k in enumerate(self._columns.keys) if i not in errors)

    def __len__(self) -> int:
        return len(self._columns) - len(self._columns.errors)

    def __contains__(self, key: object) -> bool:
        row = self._columns.index.get(key) if isinstance(key, str) else None
        return row is not None and row not in self._columns.errors


def from_revenue(
    source: SourceName, revenue: Mapping[str, CustomerRevenue], start: date | None = None
) -> RevenueColumns:
    """Columns from per-customer models (sources that answer customer by customer, tests);
    with `start`, the columns start on that day and earlier days are left out."""
    seen = [day for r in revenue.values() for day in r.daily if start is None or day >= start]
    first = start or min(seen, default=date(1970, 1, 1))
    builder = ColumnsBuilder(source, tuple(revenue), first, max(seen, default=first))
    for row, customer in enumerate(revenue.values()):
        builder.add(row, customer)
    return builder.build()


class ColumnsBuilder:
    """Columns filled one customer at a time, so a source answering customer by customer
    never holds every customer's model at once. Days outside start..end are left out."""

    def __init__(self, source: SourceName, keys: Sequence[str], start: date, end: date) -> None:
        self.source, self.keys, self.start = source, tuple(keys), start
        width = max((end - start).days + 1, 0)
        self.daily = np.zeros((len(self.keys), width))
        self.rows = np.zeros((len(self.keys), width), dtype=np.bool_)
        self.totals = np.full((3, len(self.keys)), np.nan)
        self.owner: list[int] = []
        self.lines: list[ServiceRevenue] = []
        self.errors: dict[int, str] = {}
        self.sources: dict[int, SourceName] = {}

    def add(self, row: int, revenue: CustomerRevenue) -> None:
        if revenue.error is not None:
            self.errors[row] = revenue.error
        if revenue.source != self.source:
            self.sources[row] = revenue.source
        width = self.daily.shape[1]
        for day, amount in revenue.daily.items():
            column = (day - self.start).days
            if 0 <= column < width:
                self.daily[row, column] = amount
                self.rows[row, column] = True
        amounts = (revenue.current, revenue.prior_total, revenue.prior_same_days)
        self.totals[:, row] = [_or_nan(a) for a in amounts]
        for line in sorted(revenue.services, key=lambda s: s.service):
            self.owner.append(row)
            self.lines.append(line)

    def build(self) -> RevenueColumns:
        lines = self.lines
        distinct = tuple(sorted({line.service for line in lines}))
        position = {name: n for n, name in enumerate(distinct)}

        def column(values: Iterable[float | None]) -> Floats:
            return np.array([_or_nan(v) for v in values], dtype=np.float64)

        return RevenueColumns(
            source=self.source,
            keys=self.keys,
            start=self.start,
            daily=self.daily,
            rows=self.rows,
            current=self.totals[0],
            prior_total=self.totals[1],
            prior_same_days=self.totals[2],
            services=ServiceColumns(
                owner=np.array(self.owner, dtype=np.intp),
                name_id=np.array([position[s.service] for s in lines], dtype=np.intp),
                names=distinct,
                current=column(s.current for s in lines),
                prior_total=column(s.prior_total for s in lines),
                prior_same_days=column(s.prior_same_days for s in lines),
                current_charges=column(s.current_charges for s in lines),
            ),
            errors=self.errors,
            sources=self.sources,
        )


@dataclass(frozen=True, eq=False)
class Aggregates:
    """What a SQL-speaking source's two GROUP BY queries return, as arrays: daily totals per
    customer id and day, and totals per customer id and service line. Ids index `names`."""

    names: tuple[str, ...]
    customer: Ints
    day: NDArray[np.datetime64]
    amount: Floats
    line_customer: Ints
    service: NDArray[np.object_]
    line_current: Floats
    line_prior_total: Floats
    line_prior_same_days: Floats
    line_charges: Floats


# Amounts are exact to 1/10,000 of a unit (the sources' DECIMAL(18, 4) sums), each under
# MAX_AMOUNT in size: past it a source refuses the value (unreadable, never a silent wrong sum).
UNITS = 10_000
MAX_AMOUNT = 10**14


def _exact_sums(amounts: Floats) -> Floats:
    """Each row's sum in integer units of 1/10,000: exact, whatever order days are added."""
    return np.asarray(np.rint(amounts * UNITS).astype(np.int64).sum(axis=1) / UNITS)


def from_aggregates(
    source: SourceName,
    found: Aggregates,
    keys: Sequence[str],
    start: date,
    end: date,
    windows: Mapping[str, tuple[date, date]],
    errors: Mapping[str, str],
) -> RevenueColumns:
    """Columns for `keys` (those in `errors` could not be had) with days `start`..`end`.
    Each named window's total (`windows`: current, prior_total, prior_same_days) is summed in
    integer units of 1/10,000, so it is exact whatever order the days came in."""
    row_of = np.full(len(found.names), -1, dtype=np.intp)
    position = {name: i for i, name in enumerate(found.names)}
    for row, key in enumerate(keys):
        if key in position:
            row_of[position[key]] = row
    width = (end - start).days + 1
    offset = (found.day - np.datetime64(start, "D")).astype(np.int32)
    rows_of_days = row_of[found.customer]
    kept = (rows_of_days >= 0) & (offset >= 0) & (offset < width)
    at = (rows_of_days[kept], offset[kept])
    daily = np.zeros((len(keys), width))
    mask = np.zeros((len(keys), width), dtype=np.bool_)
    daily[at] = found.amount[kept]
    mask[at] = True
    del at, kept, offset, rows_of_days
    totals = {
        name: _exact_sums(daily[:, (first - start).days : (last - start).days + 1])
        for name, (first, last) in windows.items()
    }
    failed = {row: why for row, key in enumerate(keys) if (why := errors.get(key))}
    for row in failed:
        for total in totals.values():
            total[row] = np.nan
    line_rows = row_of[found.line_customer]
    lines = line_rows >= 0
    names, name_id = np.unique(found.service[lines].astype(str), return_inverse=True)
    owner = line_rows[lines]
    order = np.lexsort((name_id, owner))
    return RevenueColumns(
        source=source,
        keys=tuple(keys),
        start=start,
        daily=daily,
        rows=mask,
        current=totals["current"],
        prior_total=totals["prior_total"],
        prior_same_days=totals["prior_same_days"],
        services=ServiceColumns(
            owner=owner[order],
            name_id=name_id.astype(np.intp)[order],
            names=tuple(str(n) for n in names),
            current=found.line_current[lines][order],
            prior_total=found.line_prior_total[lines][order],
            prior_same_days=found.line_prior_same_days[lines][order],
            current_charges=found.line_charges[lines][order],
        ),
        errors=failed,
    )

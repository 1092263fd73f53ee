"""The vectorised rules agree with their one-customer references (issue 19).

`assess_book` runs every rule over whole columns; `assess` is the readable one-customer
reference. They must give the same `Pace` for every customer: on random books (hypothesis,
with gaps, stops, credits, prior months covered in part, holidays, missing book days,
unavailable and monthly-only customers), on the demo over many days and on CDNOW.
"""

from __future__ import annotations

import gc
import math
import struct
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from spend_monitor.config import LocalConfig
from spend_monitor.demo import write_demo
from spend_monitor.domain.columns import cents, from_revenue
from spend_monitor.domain.coverage import lookback_start
from spend_monitor.domain.digest import assess, assess_book, build_digest
from spend_monitor.domain.models import (
    Customer,
    CustomerRevenue,
    DriverLines,
    MethodChoice,
    ServiceRevenue,
    Thresholds,
)
from spend_monitor.domain.periods import Period, period_for
from spend_monitor.domain.revenue import from_daily, unavailable
from spend_monitor.sources.files import LocalFileSource

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

pytestmark = pytest.mark.anyio

METHODS: tuple[MethodChoice, ...] = ("auto", "prorated", "same_days", "weekday")


def close(a: Any, b: Any, where: str = "") -> None:
    """Equal, floats to 1e-9 relative (the vectorised sums may add in another order)."""
    if isinstance(a, BaseModel):
        assert type(a) is type(b), where
        for name in type(a).model_fields:
            close(getattr(a, name), getattr(b, name), f"{where}.{name}")
    elif isinstance(a, tuple | list | DriverLines):
        assert len(a) == len(b), f"{where}: {a} != {b}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def agree(
    revenue: dict[str, CustomerRevenue],
    period: Period,
    thresholds: Thresholds,
    holidays: frozenset[date] = frozenset(),
    missing: frozenset[date] = frozenset(),
    columns: Any = None,
) -> int:
    """Check both paths customer by customer, for every method; returns customers checked."""
    customers = [Customer(name=key) for key in revenue]
    book = columns if columns is not None else from_revenue("local", revenue)
    for method in METHODS:
        fast = assess_book(customers, book, period, method, thresholds, holidays, missing)
        for customer, got in zip(customers, fast, strict=True):
            want = assess(
                customer, revenue[customer.name], period, method, thresholds, holidays, missing
            )
            close(got, want, f"{customer.name} {method} {period.as_of}")
            # Its lines and recent days dump ready-rounded from the book's columns, as their
            # own values would.
            assert (
                got.model_dump_json()
                == got.model_copy(
                    update={"drivers": DriverLines(got.drivers.lines), "recent": tuple(got.recent)}
                ).model_dump_json()
            )
    return len(customers)


# -- cents at once ------------------------------------------------------------------------

AMOUNTS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12).map(lambda units: units / 10_000),
    st.integers(-(10**9), 10**9).map(lambda cents: (cents + 0.5) / 100),
    st.floats(-1e6, 1e6),
)


@settings(max_examples=300)
@given(st.lists(AMOUNTS, max_size=50))
def test_cents_rounds_every_amount_as_round_does(values: list[float]) -> None:
    shown = cents(np.array(values, dtype=np.float64)).tolist()
    for value, got in zip(values, shown, strict=True):
        want = round(value, 2) + 0.0
        assert struct.pack("d", got) == struct.pack("d", want) or (
            math.isnan(want) and math.isnan(got)
        ), value


# -- random books -------------------------------------------------------------------------

AS_OF = st.dates(date(2025, 1, 1), date(2027, 12, 31))


@st.composite
def books(draw: st.DrawFn) -> tuple[dict[str, CustomerRevenue], Period, frozenset[date]]:
    as_of = draw(AS_OF)
    period = period_for(as_of)
    start = lookback_start(period, Thresholds()) - timedelta(days=draw(st.integers(0, 40)))
    days = [start + timedelta(days=i) for i in range((period.data_through - start).days + 1)]
    revenue: dict[str, CustomerRevenue] = {}
    for n in range(draw(st.integers(1, 6))):
        key = f"customer-{n}"
        kind = draw(st.sampled_from(["daily", "daily", "daily", "monthly", "unavailable"]))
        if kind == "unavailable":
            revenue[key] = unavailable(key, "local", "the data could not be read")
            continue
        level = draw(st.sampled_from([0.0, 0.5, 40.0, 1234.56]))
        begins = draw(st.sampled_from([start, period.prior_start, period.current_start]))
        ends = draw(st.sampled_from([period.data_through, *days[-12:], period.prior_start]))
        gap = draw(st.sampled_from([None, *days[:: max(1, len(days) // 9)]]))
        noise = draw(st.lists(st.floats(0.0, 2.0), min_size=7, max_size=7))
        credit = draw(st.sampled_from([0.0, -25.0]))
        daily = {
            day: round(level * noise[day.weekday()] + (credit if day.day == 5 else 0.0), 2)
            for day in days
            if begins <= day <= ends and day != gap and not (gap and gap < day < gap + timedelta(9))
        }
        lines = [
            ServiceRevenue(
                service=f"line-{s}",
                current=draw(st.sampled_from([0.0, -3.0, 99.5, 10.0])),
                prior_total=draw(st.sampled_from([0.0, 50.0, 120.25])),
                prior_same_days=draw(st.sampled_from([None, 0.0, 60.0])),
                current_charges=draw(st.sampled_from([None, 0.0, 12.0])),
            )
            for s in range(draw(st.integers(0, 3)))
        ]
        built = from_daily(key, "local", daily, lines, period)
        if kind == "monthly":
            built = built.model_copy(update={"daily": {}, "prior_same_days": None})
        revenue[key] = built
    holidays = frozenset(draw(st.sets(st.sampled_from(days), max_size=3)))
    return revenue, period, holidays


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    books(),
    st.sampled_from([Thresholds(), Thresholds(min_baseline=500, suppress_noise=False)]),
    st.booleans(),
)
def test_the_vectorised_rules_agree_with_the_reference_on_random_books(
    book: tuple[dict[str, CustomerRevenue], Period, frozenset[date]],
    thresholds: Thresholds,
    book_gap: bool,
) -> None:
    revenue, period, holidays = book
    missing = frozenset([period.data_through - timedelta(days=2)]) if book_gap else frozenset()
    agree(revenue, period, thresholds, holidays, missing)


# -- the demo and CDNOW, through the real local-file source ------------------------------


async def fetched(path: Path, as_of: date) -> tuple[Any, Period]:
    source = LocalFileSource(LocalConfig(path=path))
    snapshot = await source.fetch(as_of, None, lookback_start(period_for(as_of), Thresholds()))
    return snapshot.revenue, snapshot.period


async def sweep(path: Path, days: list[date]) -> int:
    checked = 0
    for as_of in days:
        columns, period = await fetched(path, as_of)
        revenue = {key: columns.revenue(i) for i, key in enumerate(columns.keys)}
        checked += agree(revenue, period, Thresholds(), columns=columns)
    return checked


async def test_the_vectorised_rules_agree_on_the_demo(tmp_path: Path) -> None:
    files = write_demo(tmp_path, date(2026, 11, 24), history_months=9)
    days = [date(2026, 3, 2) + timedelta(days=9 * i) for i in range(30)]
    assert await sweep(files.revenue, days) >= 30 * 10


async def test_building_a_book_leaves_no_cyclic_garbage(tmp_path: Path) -> None:
    """The book's digest is made with the cyclic collector held off and then frozen out of
    its reach (app/book.py): that is only sound while making it leaves no cycles behind."""
    files = write_demo(tmp_path, date(2026, 11, 24))
    columns, period = await fetched(files.revenue, date(2026, 11, 24))
    customers = [Customer(name=key) for key in columns.keys]
    # The first book in a process leaves some libraries' own first-use garbage (a few
    # hundred objects from `inspect`, once); the books after it, none.
    build_digest(customers, columns, period, "auto", Thresholds())
    gc.collect()
    gc.disable()
    try:
        digest = build_digest(customers, columns, period, "auto", Thresholds())
        left = gc.collect()
    finally:
        gc.enable()
    assert len(digest.customers) == len(customers) > 10
    assert left == 0


async def test_the_vectorised_rules_agree_on_cdnow() -> None:
    from backtest import cdnow_csv

    days = [date(1997, 2, 3) + timedelta(days=11 * i) for i in range(44)]
    assert await sweep(cdnow_csv(), days) >= 44 * 25

"""Weekday pacing, noise, projection and change points, on small series computed by hand."""

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spend_monitor.demo import demo_config, write_demo
from spend_monitor.domain import rhythm
from spend_monitor.domain.models import Customer, Thresholds
from spend_monitor.domain.pacing import pace_for
from spend_monitor.domain.periods import period_for, public_holidays
from spend_monitor.domain.revenue import from_daily
from spend_monitor.domain.rhythm import change_started, project, rhythm_for, weekday_ratio
from spend_monitor.launch import embedded

HOLIDAYS = public_holidays("US", date(2026, 1, 1), date(2026, 3, 31))  # Jan 1, Jan 19, Feb 16


def office(start: date, end: date, weekday: float = 100, weekend: float = 60):
    """Weekdays at `weekday`, weekends and public holidays at `weekend`."""
    out, day = {}, start
    while day <= end:
        quiet = day.weekday() >= 5 or day in HOLIDAYS
        out[day] = weekend if quiet else weekday
        day += timedelta(days=1)
    return out


def pace(daily, as_of, method="weekday", thresholds=None):
    period = period_for(as_of)
    rhythm = rhythm_for(daily, period, HOLIDAYS)
    revenue = from_daily("acme", "local", daily, (), period)
    return (
        pace_for(
            Customer(name="acme"), revenue, period, method, thresholds or Thresholds(), rhythm
        ),
        rhythm,
        period,
    )


def test_a_month_starting_on_a_weekend():
    # Feb 1, 2026 is a Sunday. January: 20 weekdays at 100, 11 quiet days at 60 (9 weekend
    # days, New Year's Day and MLK Day) = 2,660. Weights: weekday 100/88.57, weekend 60/88.57.
    daily = office(date(2026, 1, 1), date(2026, 2, 7))
    assert sum(v for d, v in daily.items() if d.month == 1) == 2_660
    result, rhythm, period = pace(daily, date(2026, 2, 8))  # d = 7: Sun, Mon..Fri, Sat
    assert rhythm is not None
    assert rhythm.weights[0] == pytest.approx(100 / (620 / 7))
    # Σ weight(Feb 1..7) = 620 / 88.57 = 7.0; Σ weight(January) = 2,660 / 88.57 = 30.03.
    assert weekday_ratio(rhythm, period) == pytest.approx(620 / 2_660)
    assert result.baseline == pytest.approx(620)  # exactly what an unchanged customer spends
    assert result.change_pct == pytest.approx(0)
    prorated, _, _ = pace(daily, date(2026, 2, 8), "prorated")
    assert prorated.baseline == pytest.approx(2_660 * 7 / 31)  # 600.6: reads +3% growth
    same_days, _, _ = pace(daily, date(2026, 2, 8), "same_days")
    assert same_days.baseline == pytest.approx(60 + 100 + 60 + 60 + 100 + 100 + 100)


def test_a_holiday_inside_the_elapsed_days_counts_as_a_quiet_day():
    # Presidents' Day, Mon Feb 16, 2026, falls inside d = 16.
    daily = office(date(2026, 1, 1), date(2026, 2, 16))
    result, _, _ = pace(daily, date(2026, 2, 17))
    # Feb 1..16: 10 weekdays, 5 weekend days and the holiday: 10 x 100 + 6 x 60 = 1,360.
    assert result.baseline == pytest.approx(1_360)
    assert result.change_pct == pytest.approx(0)


def test_too_little_history_falls_back_and_says_so():
    daily = office(date(2026, 1, 20), date(2026, 2, 7))
    result, rhythm, _ = pace(daily, date(2026, 2, 8))
    assert rhythm is None
    assert result.method == "prorated"
    assert "less than four weeks of daily history" in result.note
    auto, _, _ = pace(daily, date(2026, 2, 8), "auto")
    assert auto.method == "same_days"


def test_one_odd_day_does_not_bend_the_profile():
    daily = office(date(2026, 1, 1), date(2026, 2, 7))
    daily[date(2026, 1, 14)] = 5_000  # one enormous Wednesday
    _, rhythm, _ = pace(daily, date(2026, 2, 8))
    assert rhythm.weights[2] == pytest.approx(rhythm.weights[1])


def test_noise_keeps_an_ordinary_wobble_out_of_alerts():
    daily = office(date(2026, 1, 1), date(2026, 2, 14))
    for day in list(daily):  # a noisy customer: alternating +-40 around its rhythm
        daily[day] += 40 if day.day % 2 else -40
    for day in range(1, 15):
        daily[date(2026, 2, day)] *= 0.88  # 12% down so far
    quiet, rhythm, _ = pace(daily, date(2026, 2, 15))
    assert rhythm.daily_sigma > 0
    assert quiet.within_noise is True
    assert quiet.flag == "normal"
    assert "within this customer's normal noise" in quiet.note
    loud, _, _ = pace(daily, date(2026, 2, 15), thresholds=Thresholds(suppress_noise=False))
    assert loud.flag == "declining"
    assert loud.z_score == quiet.z_score


def test_projection_follows_the_weekday_rhythm():
    daily = office(date(2026, 1, 1), date(2026, 2, 14))
    result, rhythm, period = pace(daily, date(2026, 2, 15))
    february = sum(office(date(2026, 2, 1), date(2026, 2, 28)).values())
    assert result.projected_total == pytest.approx(february)
    flat = project(1_400, period, None)
    assert flat.total == pytest.approx(1_400 * 28 / 14)
    assert project(500, period_for(date(2026, 3, 1)), rhythm).total == 500  # month complete


def test_change_started_finds_the_step():
    end = date(2026, 2, 14)
    daily = {end - timedelta(days=i): (40.0 if i < 12 else 100.0) for i in range(60)}
    shift = change_started(daily, end)
    assert shift.day == end - timedelta(days=11)
    assert (shift.before, shift.after) == (100, 40)
    assert change_started({}, end) is None


def plain_change_started(daily, end):
    """The step fit as first written (every split scored from scratch): the reference."""
    days = [end - timedelta(days=44 - i) for i in range(45)]
    values = [daily.get(d, 0.0) for d in days]
    if not any(values):
        return None
    best = None
    for cut in range(3, len(values) - 3 + 1):
        left, right = values[:cut], values[cut:]
        mean_l, mean_r = sum(left) / len(left), sum(right) / len(right)
        error = sum((v - mean_l) ** 2 for v in left) + sum((v - mean_r) ** 2 for v in right)
        if best is None or error < best[0]:
            best = (error, cut)
    cut = best[1]
    return days[cut], sum(values[:cut]) / cut, sum(values[cut:]) / (len(values) - cut)


def same_change(daily, end):
    found = change_started(daily, end)
    expected = plain_change_started(daily, end)
    assert (found and (found.day, found.before, found.after)) == expected


@given(
    st.lists(
        st.one_of(
            st.floats(min_value=0, max_value=1e7, allow_nan=False),
            st.sampled_from([0.0, 0.01, 0.1, 5.0, 100.0, 1e6]),
        ),
        min_size=45,
        max_size=45,
    )
)
@example([5.0] * 45)  # every split fits perfectly: the first one wins
@example([0.1] * 45)  # … even where running sums leave a rounding residue
@example([0.0] * 20 + [0.3] + [0.0] * 24)  # mirror-image splits tie
@example([1e6, 0.01] * 22 + [1e6])
@settings(max_examples=300, deadline=None)
def test_change_point_in_one_pass_is_the_plain_fit(values):
    end = date(2026, 2, 14)
    same_change({end - timedelta(days=44 - i): v for i, v in enumerate(values)}, end)


@pytest.mark.anyio
@pytest.mark.parametrize("as_of", [date(2026, 2, 15), date(2026, 3, 2), date(2026, 11, 24)])
async def test_change_point_in_one_pass_on_the_demo(tmp_path, as_of):
    """Every demo customer's series, ending on each of the last ten days, gives the plain
    fit's answer."""
    async with embedded(demo_config(write_demo(tmp_path, as_of)), as_of) as services:
        snapshot = await services.book.snapshot(as_of)
    through = snapshot.period.data_through
    for revenue in snapshot.customers.values():
        for back in range(10):
            same_change(revenue.daily, through - timedelta(days=back))


def test_change_points_worked_through_in_parts_match_all_rows_at_once(monkeypatch):
    """`change_points` works through a book's rows a few thousand at a time to bound its
    memory: parts of any size give what all rows at once give."""
    rng = np.random.default_rng(19)
    values = rng.gamma(2.0, 50.0, size=(23, rhythm.CHANGE_WINDOW_DAYS))
    values[5, 20:] *= 0.2  # a cliff
    values[7] = 0.0  # no revenue
    values[11, :30] = 0.0  # a start
    end = date(2026, 3, 15)
    whole = rhythm.change_points(values, end)
    monkeypatch.setattr(rhythm, "CHANGE_ROWS", 4)
    parts = rhythm.change_points(values, end)
    assert parts.day == whole.day
    for name in ("before", "after", "found", "unsure"):
        assert getattr(parts, name).tolist() == getattr(whole, name).tolist()
    assert whole.found.sum() == 22

"""The coverage rules on small hand-made series: a gap in the data is never read as a move."""

from datetime import date, timedelta

import pytest

from spend_monitor.domain.columns import from_revenue
from spend_monitor.domain.coverage import (
    customer_coverage,
    ends_early,
    history,
    late_notice,
    lookback_start,
    partial_last_day,
    prior_through,
    prior_uncovered,
    settle_period,
    source_coverage,
    stopped,
)
from spend_monitor.domain.digest import assess, build_digest
from spend_monitor.domain.models import Customer, Thresholds
from spend_monitor.domain.periods import period_for
from spend_monitor.domain.revenue import from_daily
from spend_monitor.domain.sparkline import BARS, sparkline
from spend_monitor.render import render_text

NOV29 = period_for(date(2026, 11, 29))  # data through Nov 28, prior October
KESTREL = Customer(name="kestrel", display_name="Kestrel Voice")
T = Thresholds()


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def series(start: date, end: date, amount: float = 3_700.0) -> dict[date, float]:
    return dict.fromkeys(days(start, end), amount)


def pace(daily: dict[date, float], period=NOV29, customer=KESTREL, **kwargs):
    revenue = from_daily(customer.name, "local", daily, (), period)
    return assess(customer, revenue, period, "auto", T, **kwargs)


def test_a_customer_whose_rows_stop_is_stopped_never_a_cliff():
    daily = series(date(2026, 10, 1), date(2026, 11, 14))
    result = pace(daily)
    assert result.flag == "stopped"
    assert result.change_pct is None
    assert not result.big_mover
    assert result.status == (
        "no revenue since Nov 14 (was $3.7K/day) — a stop or a data gap: check the source"
    )
    assert result.projected_total == result.current
    assert result.coverage is not None
    assert result.coverage.last_revenue_day == date(2026, 11, 14)


def test_a_stop_goes_on_the_watch_list_and_reads_as_one_line():
    daily = series(date(2026, 10, 1), date(2026, 11, 14))
    revenue = {"kestrel": from_daily("kestrel", "local", daily, (), NOV29)}
    digest = build_digest([KESTREL], from_revenue("local", revenue), NOV29, "auto", T)
    assert [(w.customer, w.kind) for w in digest.watch_list] == [("kestrel", "stopped")]
    text = render_text(digest)
    assert (
        "⛔ Kestrel Voice: no revenue since Nov 14 (was $3.7K/day) — a stop or a data gap: "
        "check the source" in text
    )
    assert "%" not in text.split("⛔")[1].splitlines()[0]


def test_a_short_quiet_spell_is_not_a_stop():
    daily = series(date(2026, 10, 1), date(2026, 11, 26))  # quiet Nov 27-28 only: 2 < 3 days
    assert stopped(daily, NOV29, T) is None


def test_a_stop_needs_revenue_on_most_days_before():
    daily = {d: 500.0 for d in days(date(2026, 10, 1), date(2026, 11, 20)) if d.day % 4 == 0}
    assert stopped(daily, NOV29, T) is None


def test_days_missing_from_the_whole_book_are_not_a_stop():
    daily = series(date(2026, 10, 1), date(2026, 11, 25))
    missing = days(date(2026, 11, 26), date(2026, 11, 28))
    assert stopped(daily, NOV29, T) is not None
    assert stopped(daily, NOV29, T, book_missing=missing) is None


def test_a_weekday_only_customer_is_not_stopped_by_a_weekend():
    weekdays = {d: 1_000.0 for d in days(date(2026, 10, 1), date(2026, 11, 27)) if d.weekday() < 5}
    # Nov 28 is a Saturday: the customer's last usual days (Wed-Fri) all had revenue.
    assert stopped(weekdays, NOV29, T) is None


def test_stop_days_is_a_setting():
    daily = series(date(2026, 10, 1), date(2026, 11, 26))
    assert stopped(daily, NOV29, Thresholds(stop_days=2)) is not None


def test_new_only_without_revenue_in_the_look_back_window():
    assert lookback_start(NOV29, T) == date(2026, 8, 3)
    current = series(date(2026, 11, 1), date(2026, 11, 28))
    assert history(current, NOV29, lookback_start(NOV29, T)) == "new"
    back = current | series(date(2026, 8, 10), date(2026, 9, 10))
    assert history(back, NOV29, lookback_start(NOV29, T)) == "returning"
    long_ago = current | series(date(2026, 6, 1), date(2026, 7, 1))
    assert history(long_ago, NOV29, lookback_start(NOV29, T)) == "new"
    assert (
        history(current | series(date(2026, 10, 1), date(2026, 10, 31)), NOV29, NOV29.as_of) is None
    )


def test_a_returning_customer_is_shown_as_such_and_not_alerted():
    daily = series(date(2026, 11, 1), date(2026, 11, 28)) | series(
        date(2026, 9, 1), date(2026, 9, 30)
    )
    result = pace(daily)
    assert result.flag == "returning"
    assert result.status == "back after no revenue in Oct"
    assert not result.big_mover


def test_a_prior_month_covered_in_part_is_compared_over_its_days():
    # Rows stop on Oct 15; November runs at the same daily rate: no +70% "surge".
    daily = series(date(2026, 10, 1), date(2026, 10, 15)) | series(
        date(2026, 11, 1), date(2026, 11, 28)
    )
    assert prior_through(daily, NOV29) == date(2026, 10, 15)
    result = pace(daily)
    assert result.flag == "normal"
    assert result.change_pct == pytest.approx(0, abs=0.01)
    assert result.prior_total == pytest.approx(15 * 3_700)
    assert "Oct has rows only through Oct 15: compared over the 15 days covered" in (
        result.note or ""
    )


def test_a_prior_month_that_ends_quietly_on_its_own_is_not_a_gap():
    sparse = {d: 100.0 for d in days(date(2026, 10, 1), date(2026, 10, 20)) if d.day % 5 == 0}
    assert prior_through(sparse, NOV29) is None
    assert prior_through(series(date(2026, 10, 1), date(2026, 10, 27)), NOV29) is None


def test_a_source_without_the_prior_month_compares_nothing():
    assert prior_uncovered(date(2026, 11, 1), NOV29) == (
        "the source has no data before Nov 1: nothing to compare with"
    )
    assert prior_uncovered(None, NOV29) is not None
    assert prior_uncovered(date(2026, 10, 20), NOV29) is None
    period = period_for(date(2026, 11, 29), first=date(2026, 11, 1))
    daily = series(date(2026, 11, 1), date(2026, 11, 28))
    revenue = {"kestrel": from_daily("kestrel", "local", daily, (), period)}
    digest = build_digest([KESTREL], from_revenue("local", revenue), period, "auto", T)
    assert [p.flag for p in digest.customers] == ["unavailable"]
    assert (
        digest.customers[0].error == "the source has no data before Nov 1: nothing to compare with"
    )


def usual_book(last: float) -> dict[date, float]:
    book = series(date(2026, 10, 1), date(2026, 11, 27), 10_000.0)
    book[date(2026, 11, 28)] = last
    return book


def test_a_partial_last_day_is_left_out_and_said():
    partial = partial_last_day(
        usual_book(4_100.0), date(2026, 11, 28), Thresholds(partial_day_pct=50)
    )
    assert partial is not None
    assert partial.text == (
        "Nov 28 looks incomplete (book total 41% of a usual Saturday): pacing through Nov 27"
    )
    period, notice = settle_period(
        date(2026, 11, 29), usual_book(4_100.0), Thresholds(partial_day_pct=50)
    )
    assert period.data_through == date(2026, 11, 27)
    assert notice == partial.text


def test_an_ordinary_last_day_is_kept():
    assert partial_last_day(usual_book(9_000.0), date(2026, 11, 28), T) is None
    # Too little history to know what a usual Saturday brings.
    short = {date(2026, 11, 21): 10_000.0, date(2026, 11, 28): 10.0}
    assert partial_last_day(short, date(2026, 11, 28), T) is None


def test_late_data_is_said_in_the_header():
    assert late_notice(date(2026, 11, 29), date(2026, 11, 25), T) == (
        "⚠️ data through Nov 25 — 3 days late"
    )
    assert late_notice(date(2026, 11, 29), date(2026, 11, 28), T) is None
    assert (
        late_notice(date(2026, 11, 29), date(2026, 11, 27), Thresholds(max_data_lag_days=2)) is None
    )
    period = period_for(date(2026, 11, 29), date(2026, 11, 25))
    daily = series(date(2026, 10, 1), date(2026, 11, 25))
    revenue = {"kestrel": from_daily("kestrel", "local", daily, (), period)}
    text = render_text(build_digest([KESTREL], from_revenue("local", revenue), period, "auto", T))
    assert text.splitlines()[2] == "⚠️ data through Nov 25 — 3 days late"


def test_coverage_counts_days_with_rows_not_zeros():
    daily = series(date(2026, 10, 1), date(2026, 10, 10)) | {date(2026, 11, 3): 0.0}
    found = customer_coverage(daily, NOV29)
    assert (found.prior_days, found.current_days, found.last_revenue_day) == (
        10,
        1,
        date(2026, 10, 10),
    )


def test_source_coverage_names_days_missing_and_customers_ending_early():
    book = series(date(2026, 10, 1), date(2026, 11, 28))
    del book[date(2026, 11, 2)]
    found = source_coverage(book)
    assert (found.first_day, found.last_day, found.days_missing) == (
        date(2026, 10, 1),
        date(2026, 11, 28),
        (date(2026, 11, 2),),
    )
    ends = {"kestrel": date(2026, 11, 14), "acme": date(2026, 11, 28), "gone": date(2026, 7, 1)}
    assert ends_early(ends, NOV29) == {"kestrel": date(2026, 11, 14)}


def test_after_a_change_point_the_projection_uses_the_level_after_it():
    # Half the level from Nov 10 on, but still some revenue every day: declining, not stopped.
    daily = series(date(2026, 10, 1), date(2026, 11, 9), 4_000.0) | series(
        date(2026, 11, 10), date(2026, 11, 28), 1_000.0
    )
    result = pace(daily)
    assert result.flag == "declining"
    assert result.daily_after == pytest.approx(1_000, rel=0.01)
    assert result.projected_total == pytest.approx(result.current + 2 * 1_000, rel=0.02)


def test_an_all_zero_run_draws_the_lowest_bar():
    assert sparkline([0.0] * 7) == BARS[0] * 7
    assert sparkline([5.0, 5.0]) == BARS[-1] * 2


def test_backtest_scores_only_months_complete_in_the_data():
    from spend_monitor.domain.backtest import backtest

    daily = {"acme": series(date(2026, 8, 1), date(2026, 11, 14), 1_000.0)}
    months = [date(2026, 10, 1), date(2026, 11, 1)]
    report = backtest(daily, months, [7], T)
    assert report.incomplete_months == ["2026-11"]
    assert report.methods["prorated"].n == 1  # October only
    assert report.partial_day_exclusions == 0
    assert (
        backtest(daily, months, [7], T, complete_through=date(2026, 10, 20)).methods["prorated"].n
        == 0
    )


def test_check_lines_name_the_coverage_and_customers_ending_early():
    from spend_monitor.domain.coverage import coverage_lines

    book = series(date(2026, 10, 1), date(2026, 11, 28))
    del book[date(2026, 11, 2)]
    found = source_coverage(book).model_copy(update={"ends_early": {"kestrel": date(2026, 11, 14)}})
    assert coverage_lines(found, {"kestrel": "Kestrel Voice"}) == [
        "data from 2026-10-01 to 2026-11-28",
        "1 day(s) without any row: Nov 2",
        "Kestrel Voice: rows end early, on Nov 14",
    ]


def test_days_without_rows_are_marked_not_zero():
    from spend_monitor.domain.coverage import daily_with_gaps

    daily = {date(2026, 11, 1): 5.0, date(2026, 11, 3): 0.0}
    assert daily_with_gaps(daily, date(2026, 11, 1), date(2026, 11, 3)) == [
        (date(2026, 11, 1), 5.0),
        (date(2026, 11, 2), None),
        (date(2026, 11, 3), 0.0),
    ]


def steady_book(names: list[str], level: float = 1_000.0):
    customers = [Customer(name=n) for n in names]
    daily = series(date(2026, 9, 1), date(2026, 11, 28), level)
    revenue = {n: from_daily(n, "local", daily, (), NOV29) for n in names}
    return customers, revenue


def test_the_collapsed_line_says_when_it_hides_a_customer_held_back():
    names = [f"c{i:02d}" for i in range(13)]
    customers, revenue = steady_book(names)
    text = render_text(build_digest(customers, from_revenue("local", revenue), NOV29, "auto", T))
    assert "➖ 13 others tracking normally (between -10% and +15%)" in text
    # One customer down 30% but under min_baseline: hidden, and the line says so.
    small = series(date(2026, 9, 1), date(2026, 10, 31), 10.0) | series(
        date(2026, 11, 1), date(2026, 11, 28), 7.0
    )
    revenue["c00"] = from_daily("c00", "local", small, (), NOV29)
    digest = build_digest(
        customers, from_revenue("local", revenue), NOV29, "auto", Thresholds(min_baseline=500)
    )
    assert "13 others tracking normally or within their usual range (between" in render_text(digest)


def test_a_returning_customer_reads_as_back():
    customers, revenue = steady_book(["acme"])
    back = series(date(2026, 8, 10), date(2026, 9, 10)) | series(
        date(2026, 11, 1), date(2026, 11, 28)
    )
    customers.append(Customer(name="wayne", display_name="Wayne"))
    revenue["wayne"] = from_daily("wayne", "local", back, (), NOV29)
    text = render_text(build_digest(customers, from_revenue("local", revenue), NOV29, "auto", T))
    assert "↩️ Wayne: $104K — back after no revenue in Oct" in text

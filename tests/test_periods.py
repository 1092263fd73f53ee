from datetime import date

import pytest

from spend_monitor.domain.periods import business_days_between, period_for, public_holidays


@pytest.mark.parametrize(
    ("as_of", "through", "current_start", "prior_start", "d", "days_in_prior"),
    [
        # Mid-month: yesterday is the last complete day.
        (date(2026, 2, 15), date(2026, 2, 14), date(2026, 2, 1), date(2026, 1, 1), 14, 31),
        # The 1st: the month that just ended is compared in full.
        (date(2026, 3, 1), date(2026, 2, 28), date(2026, 2, 1), date(2026, 1, 1), 28, 31),
        (date(2026, 1, 1), date(2025, 12, 31), date(2025, 12, 1), date(2025, 11, 1), 31, 30),
        # The 2nd: one day of data.
        (date(2026, 4, 2), date(2026, 4, 1), date(2026, 4, 1), date(2026, 3, 1), 1, 31),
        # Leap year: February has 29 days, in both positions.
        (date(2028, 3, 1), date(2028, 2, 29), date(2028, 2, 1), date(2028, 1, 1), 29, 31),
        (date(2028, 3, 20), date(2028, 3, 19), date(2028, 3, 1), date(2028, 2, 1), 19, 29),
        (date(2026, 3, 31), date(2026, 3, 30), date(2026, 3, 1), date(2026, 2, 1), 30, 28),
        # 30-day prior month, 31-day current month.
        (date(2026, 5, 31), date(2026, 5, 30), date(2026, 5, 1), date(2026, 4, 1), 30, 30),
        (date(2026, 7, 1), date(2026, 6, 30), date(2026, 6, 1), date(2026, 5, 1), 30, 31),
    ],
)
def test_period(as_of, through, current_start, prior_start, d, days_in_prior):
    period = period_for(as_of)
    assert period.data_through == through
    assert period.current_start == current_start
    assert period.prior_start == prior_start
    assert period.days_elapsed == d
    assert period.days_in_prior == days_in_prior


def test_late_data_moves_data_through_back():
    period = period_for(date(2026, 2, 15), latest=date(2026, 2, 10))
    assert period.data_through == date(2026, 2, 10)
    assert period.days_elapsed == 10


def test_data_late_past_month_end_compares_the_month_it_has():
    period = period_for(date(2026, 3, 3), latest=date(2026, 2, 27))
    assert (period.current_month, period.prior_month) == ("2026-02", "2026-01")
    assert period.days_elapsed == 27


def test_rows_for_today_or_later_do_not_move_data_through_forward():
    assert period_for(date(2026, 2, 15), latest=date(2026, 2, 20)).data_through == date(2026, 2, 14)


@pytest.mark.parametrize(
    ("as_of", "days_in_prior", "same_end"),
    [
        (date(2026, 3, 31), 28, date(2026, 2, 28)),  # d=30 > 28: window capped at Feb 28
        (date(2026, 3, 10), 28, date(2026, 2, 9)),
    ],
)
def test_same_days_window_is_capped_at_prior_month_end(as_of, days_in_prior, same_end):
    period = period_for(as_of)
    assert period.days_in_prior == days_in_prior
    assert period.prior_same_day_end() == same_end


def test_business_days_skip_weekends():
    # Friday Nov 6 2026 → Friday Nov 13: Mon..Fri = 5.
    assert business_days_between(date(2026, 11, 6), date(2026, 11, 13)) == 5
    # Saturday to Monday: one business day.
    assert business_days_between(date(2026, 11, 7), date(2026, 11, 9)) == 1


def test_business_days_skip_a_us_holiday():
    holidays = public_holidays("US", date(2026, 11, 1), date(2026, 11, 30))
    assert date(2026, 11, 26) in holidays  # Thanksgiving
    # Mon Nov 23 → Mon Nov 30: Tue, Wed, (Thu holiday), Fri, Mon = 4.
    assert business_days_between(date(2026, 11, 23), date(2026, 11, 30), holidays) == 4
    assert business_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 5

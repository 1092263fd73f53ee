from datetime import date

import pytest

from spend_monitor.domain.models import Customer, CustomerRevenue, Thresholds, Totals
from spend_monitor.domain.pacing import baseline, change_pct, pace_for, resolve_method
from spend_monitor.domain.periods import period_for
from spend_monitor.domain.revenue import unavailable
from spend_monitor.domain.rhythm import Rhythm

FEB15 = period_for(date(2026, 2, 15))  # d = 14, January has 31 days
ACME = Customer(name="acme", display_name="Acme Voice")


def revenue(current, prior_total, prior_same_days=None) -> CustomerRevenue:
    return CustomerRevenue(
        key="acme",
        source="local",
        current=current,
        prior_total=prior_total,
        prior_same_days=prior_same_days,
    )


def test_prorated_baseline_is_the_old_rule():
    assert baseline(Totals(current=0, prior_total=31_000), FEB15, "prorated") == 14_000


def test_same_days_uses_the_prior_months_own_days():
    totals = Totals(current=0, prior_total=31_000, prior_same_days=12_500)
    assert baseline(totals, FEB15, "same_days") == 12_500


def test_same_days_prorates_when_d_exceeds_the_prior_month():
    mar31 = period_for(date(2026, 4, 1))  # d = 31, February has 28 days
    totals = Totals(current=0, prior_total=28_000, prior_same_days=28_000)
    assert baseline(totals, mar31, "same_days") == pytest.approx(31_000)


@pytest.mark.parametrize(
    ("as_of", "prior_total", "expected"),
    [
        (date(2026, 3, 15), 28_000, 14_000),  # prior February: 28 days
        (date(2028, 3, 15), 29_000, 14_000),  # leap February: 29 days
        (date(2026, 5, 15), 30_000, 14_000),  # prior April: 30 days
        (date(2026, 2, 15), 31_000, 14_000),  # prior January: 31 days
    ],
)
def test_prorated_for_every_month_length(as_of, prior_total, expected):
    assert baseline(Totals(current=0, prior_total=prior_total), period_for(as_of), "prorated") == (
        pytest.approx(expected)
    )


def test_auto_takes_the_most_precise_method_the_data_allows():
    daily = Totals(current=1, prior_total=1, prior_same_days=1)
    monthly = Totals(current=1, prior_total=1)
    rhythm = Rhythm(weights=(1,) * 7, daily_sigma=0)
    assert resolve_method("auto", daily, rhythm) == ("weekday", None)
    assert resolve_method("auto", daily, None) == ("same_days", None)
    assert resolve_method("auto", monthly, None) == ("prorated", None)
    method, why = resolve_method("same_days", monthly, None)
    assert method == "prorated"
    assert "monthly totals only" in why
    method, why = resolve_method("weekday", daily, None)
    assert method == "prorated"
    assert "less than four weeks" in why


@pytest.mark.parametrize(("base", "expected"), [(0, None), (-50, None), (100, 20.0)])
def test_change_pct_never_divides_by_no_baseline(base, expected):
    assert change_pct(120, base) == expected


@pytest.mark.parametrize(
    ("current", "flag"),
    [
        (11_500, "growing"),  # +15% exactly: growing
        (11_499, "normal"),
        (9_000, "declining"),  # -10% exactly: declining
        (9_001, "normal"),
    ],
)
def test_thresholds_at_their_boundaries(current, flag):
    pace = pace_for(ACME, revenue(current, 0, 10_000), FEB15, "same_days", Thresholds())
    assert pace.flag == flag


@pytest.mark.parametrize(
    ("current", "status", "big"),
    [
        (15_000, "surging", True),  # +50% exactly: big mover
        (14_999, "growing", False),
        (5_000, "cliff: $5.0K below Jan's pace", True),  # -50% exactly: the drop vs the pace
        (5_001, "significant decline", False),
    ],
)
def test_status_words_and_big_movers(current, status, big):
    pace = pace_for(ACME, revenue(current, 62_000, 10_000), FEB15, "same_days", Thresholds())
    assert (pace.status, pace.big_mover) == (status, big)


def test_prior_zero_with_spend_is_new():
    pace = pace_for(ACME, revenue(5_000, 0, 0), FEB15, "auto", Thresholds())
    assert (pace.flag, pace.change_pct, pace.status) == ("new", None, "new this month")


def test_both_zero_is_inactive():
    assert pace_for(ACME, revenue(0, 0, 0), FEB15, "auto", Thresholds()).flag == "inactive"


def test_current_zero_is_a_real_decline():
    pace = pace_for(ACME, revenue(0, 31_000, 14_000), FEB15, "auto", Thresholds())
    assert (pace.flag, pace.change_pct) == ("declining", -100)


def test_credits_leave_no_baseline_rather_than_a_negative_one():
    pace = pace_for(ACME, revenue(2_000, -500, -300), FEB15, "auto", Thresholds())
    assert (pace.flag, pace.change_pct, pace.baseline) == ("new", None, -300)
    credit_now = pace_for(ACME, revenue(-200, -500, -300), FEB15, "auto", Thresholds())
    assert credit_now.flag == "inactive"


def test_negative_current_against_a_baseline_is_a_decline():
    pace = pace_for(ACME, revenue(-1_000, 31_000, 10_000), FEB15, "same_days", Thresholds())
    assert pace.flag == "declining"
    assert pace.change_pct == pytest.approx(-110)


def test_unavailable_is_never_a_drop():
    pace = pace_for(ACME, unavailable("acme", "local", "file missing"), FEB15, "auto", Thresholds())
    assert pace.flag == "unavailable"
    assert (pace.current, pace.baseline, pace.change_pct) == (None, None, None)
    assert pace.error == "file missing"
    assert not pace.big_mover


def test_min_baseline_keeps_tiny_accounts_out_of_alerts():
    tiny = revenue(40, 300, 100)
    pace = pace_for(ACME, tiny, FEB15, "same_days", Thresholds(min_baseline=500))
    assert pace.flag == "normal"
    assert pace.note is not None
    assert "min_baseline" in pace.note
    assert pace_for(ACME, tiny, FEB15, "same_days", Thresholds()).flag == "declining"


def test_every_pace_carries_the_numbers_behind_it():
    pace = pace_for(ACME, revenue(15_400, 31_000, 12_000), FEB15, "prorated", Thresholds())
    assert (pace.current, pace.prior_total, pace.baseline) == (15_400, 31_000, 14_000)
    assert (pace.method, pace.source, pace.days_elapsed) == ("prorated", "local", 14)
    assert pace.change_pct == pytest.approx(10)
    assert pace.display_name == "Acme Voice"

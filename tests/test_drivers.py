from datetime import date

from spend_monitor.domain.drivers import drivers_for
from spend_monitor.domain.models import CustomerRevenue, ServiceRevenue, Thresholds
from spend_monitor.domain.periods import period_for

FEB15 = period_for(date(2026, 2, 15))


def line(service, current, prior_total, same):
    return ServiceRevenue(
        service=service, current=current, prior_total=prior_total, prior_same_days=same
    )


def test_each_line_is_classified_and_sorted_by_dollar_move():
    revenue = CustomerRevenue(
        key="globex",
        source="local",
        current=0,
        prior_total=0,
        services=(
            line("user", 0, 56_000, 25_000),
            line("SMS", 1_000, 2_000, 990),
            line("Thailand Numbers", 12_000, 0, 0),
            line("Voice", 8_000, 12_000, 6_000),
            line("MMS", 300, 1_000, 500),
            line("Fax", 0, 0, 0),
        ),
    )
    drivers = drivers_for(revenue, FEB15, "same_days", Thresholds())
    assert [(d.service, d.kind) for d in drivers] == [
        ("user", "vanished"),
        ("Thailand Numbers", "new"),
        ("Voice", "grew"),
        ("MMS", "shrank"),
        ("SMS", "steady"),
    ]
    user = drivers[0]
    assert (user.baseline, user.delta, user.prior_total) == (25_000, -25_000, 56_000)


def test_drivers_use_the_customers_method():
    revenue = CustomerRevenue(
        key="a", source="local", current=0, prior_total=0, services=(line("SMS", 100, 3_100, 50),)
    )
    (prorated,) = drivers_for(revenue, FEB15, "prorated", Thresholds())
    assert prorated.baseline == 1_400

"""The Tableau source against the emulator: sessions, faults, filters, parsing, and TSC."""

import csv
from datetime import date, timedelta

import pytest

from fakes.server import closed_port_url
from fakes.tableau import revenue_views, split_filter
from spend_monitor.app import diagnostics
from spend_monitor.app.requests import CheckRequest
from spend_monitor.config import parse_config
from spend_monitor.demo import demo_config, write_demo
from spend_monitor.domain.models import Thresholds
from spend_monitor.errors import ConfigError, SourceError
from spend_monitor.launch import embedded
from spend_monitor.render import digest_json
from spend_monitor.sources.display_values import parse_amount, parse_day, parse_month
from spend_monitor.sources.tableau import batches, escape_filter_value

pytestmark = pytest.mark.anyio
AS_OF = date(2026, 2, 15)
SECRET = "pat-secret"


def rows_for(names, jan=3_100.0, feb=1_400.0):
    out = []
    for name in names:
        out.append((date(2026, 1, 10), name, "SMS", jan))
        out.append((date(2026, 2, 10), name, "SMS", feb))
        out.append((date(2026, 2, 14), name, "Voice", 0.0))
    return out


def config_for(url, customers=(), views=None, extra=None):
    return parse_config(
        {
            "customers": [c if isinstance(c, dict) else {"name": c} for c in customers],
            "tableau": {
                "server": url,
                "site": "finance",
                "pat_name": "spend-monitor",
                "views": views
                or {
                    "daily_revenue": "view-daily",
                    "monthly_revenue": "Revenue/Monthly",
                    "service_breakdown": "view-services",
                },
                **(extra or {}),
            },
        },
        "test config",
    )


def monitor_for(url, customers=(), views=None, extra=None, secret=SECRET):
    return embedded(config_for(url, customers, views, extra), AS_OF, tableau_pat_secret=secret)


async def digest(services, as_of=AS_OF):
    async with services:
        return (await services.book.run(as_of)).digest


async def test_the_demo_through_tableau_matches_the_local_file(tableau, tmp_path):
    files = write_demo(tmp_path, AS_OF)
    with files.revenue.open() as handle:
        rows = [
            (date.fromisoformat(r["date"]), r["customer"], r["service"], float(r["amount"]))
            for r in csv.DictReader(handle)
        ]
    revenue_views(tableau, rows)
    local = demo_config(files)
    config = config_for(tableau.url, [c.model_dump() for c in local.customers]).model_copy(
        update={
            "escalation_tracker_path": local.escalation_tracker_path,
            "engdesk_tracker_glob": local.engdesk_tracker_glob,
            "thresholds": local.thresholds,
        }
    )
    from_tableau = digest_json(await digest(embedded(config, AS_OF, tableau_pat_secret=SECRET)))
    from_local = digest_json(await digest(embedded(local, AS_OF)))
    for customer in from_tableau["customers"]:
        assert customer.pop("source") == "tableau"
    for customer in from_local["customers"]:
        customer.pop("source")
    assert from_tableau == from_local
    assert tableau.counts["signin"] == 1
    assert tableau.counts["signout"] == 1
    assert tableau.data_requests == 2  # daily and services (monthly is not needed): one batch each


async def test_many_customers_few_requests(tableau):
    names = [f"Customer {i:03d}" for i in range(250)]
    revenue_views(tableau, rows_for(names))
    result = await digest(monitor_for(tableau.url, names, extra={"batch_size": 100}))
    assert [p.flag for p in result.customers].count("declining") == 250
    assert tableau.data_requests == 6  # 3 batches x 2 views (monthly is not needed with daily)
    assert max(len(f["Account Name"].split(",")) for f in tableau.data_filters) == 100


async def test_names_with_commas_ampersands_quotes_accents_emoji(tableau):
    names = [
        "Rock, Paper & Scissors",
        'Say "Cheese" Ltd',
        "Café Zürich",
        "🚀 Rocket Co",
        "AT&T <Wholesale>",
        "Back\\slash",
    ]
    revenue_views(tableau, rows_for(names) + rows_for(["Rock"], jan=1, feb=1))
    result = await digest(monitor_for(tableau.url, names))
    assert {p.name: p.current for p in result.customers} == dict.fromkeys(names, 1_400.0)


async def test_tableau_url_name_is_decoded_into_the_filter_value(tableau):
    revenue_views(tableau, rows_for(["Acme Voice"]))
    customer = {"name": "acme", "display_name": "Acme", "tableau_url_name": "Acme%20Voice"}
    (pace,) = (await digest(monitor_for(tableau.url, [customer]))).customers
    assert (pace.name, pace.current, pace.source) == ("acme", 1_400.0, "tableau")
    assert tableau.data_filters[0]["Account Name"] == "Acme Voice"


async def test_a_session_ended_mid_run_signs_in_exactly_once_more(tableau):
    revenue_views(tableau, rows_for(["Acme", "Globex"]))
    tableau.expire_after_data_requests = 1
    result = await digest(monitor_for(tableau.url, ["Acme", "Globex"]))
    assert not result.unavailable
    assert not result.errors
    assert tableau.counts["signin"] == 2


async def test_503_twice_then_success(tableau):
    revenue_views(tableau, rows_for(["Acme"]))
    tableau.fail_next(2, status=503)
    result = await digest(monitor_for(tableau.url, ["Acme"], views={"daily_revenue": "view-daily"}))
    assert result.customers[0].current == 1_400
    assert tableau.data_requests == 3


async def test_max_concurrency_holds_for_the_whole_run_across_views(tableau):
    names = [f"Customer {i}" for i in range(8)]
    revenue_views(tableau, rows_for(names))
    tableau.latency = 0.05  # long enough for requests to overlap
    extra = {"max_concurrency": 2, "batch_size": 1}
    result = await digest(monitor_for(tableau.url, names, extra=extra))
    assert len(result.customers) == 8
    assert tableau.counts["data"] == 16  # two views read (daily and services), 8 batches each
    assert tableau.most_in_flight == 2


async def test_429_with_retry_after_is_honoured(tableau):
    revenue_views(tableau, rows_for(["Acme"]))
    tableau.fail_next(1, status=429, retry_after=1)
    await digest(monitor_for(tableau.url, ["Acme"], views={"daily_revenue": "view-daily"}))
    refused, retried = tableau.request_times[-2:]
    assert retried - refused >= 0.95


async def test_429_with_an_html_body_is_retried_then_reported(tableau):
    revenue_views(tableau, rows_for(["Acme"]))
    tableau.fail_next(1, status=429, html=True)
    ok = await digest(monitor_for(tableau.url, ["Acme"], views={"daily_revenue": "view-daily"}))
    assert ok.customers[0].current == 1_400
    tableau.fail_next(3, status=429, html=True)
    # Rate limited past every attempt and no fallback: no customer can be served, so the run
    # fails in one line instead of posting a digest of "data unavailable".
    with pytest.raises(SourceError, match="Tableau 429000") as failed:
        await digest(monitor_for(tableau.url, ["Acme"], views={"daily_revenue": "view-daily"}))
    assert "max_concurrency" in str(failed.value)


async def test_a_dropped_connection_is_retried(tableau):
    revenue_views(tableau, rows_for(["Acme"]))
    tableau.drop_next(1)
    result = await digest(monitor_for(tableau.url, ["Acme"], views={"daily_revenue": "view-daily"}))
    assert result.customers[0].current == 1_400


async def test_a_wrong_view_id_names_the_config_key(tableau):
    revenue_views(tableau, rows_for(["Acme"]))
    with pytest.raises(ConfigError, match=r"tableau\.views\.daily_revenue: 'nope'"):
        await digest(monitor_for(tableau.url, ["Acme"], views={"daily_revenue": "nope"}))
    with pytest.raises(
        ConfigError, match=r"tableau\.views\.monthly_revenue: no view 'Revenue/Nope'"
    ):
        await digest(monitor_for(tableau.url, ["Acme"], views={"monthly_revenue": "Revenue/Nope"}))


async def test_a_bad_pat_is_a_clear_error(tableau):
    with pytest.raises(SourceError) as failed:
        await digest(monitor_for(tableau.url, ["Acme"], secret="wrong"))
    message = str(failed.value)
    assert "Tableau 401001" in message
    assert "TABLEAU_PAT_SECRET" in message
    assert "wrong" not in message


async def test_tableau_down_is_a_clear_error():
    with pytest.raises(SourceError, match="cannot reach Tableau"):
        await digest(monitor_for(closed_port_url(), ["Acme"]))
    with pytest.raises(SourceError, match="cannot reach Tableau"):
        await digest(monitor_for(closed_port_url()))  # no customers listed: nothing to show


async def test_forbidden_view_and_missing_customer(tableau):
    revenue_views(tableau, rows_for(["Acme"]))
    result = await digest(monitor_for(tableau.url, ["Acme", "Ghost"]))
    ghost = next(p for p in result.customers if p.name == "Ghost")
    assert ghost.flag == "unavailable"
    assert ghost.error == "no rows in Tableau for 'Ghost' (Account Name)"
    tableau.forbidden.add("view-daily")
    with pytest.raises(SourceError, match="403032"):
        await digest(monitor_for(tableau.url, ["Acme"]))


async def test_an_unreadable_row_makes_its_customer_unavailable(tableau):
    revenue_views(tableau, rows_for(["Acme", "Globex"]))
    tableau.views["view-daily"].rows[0]["Revenue"] = "n/a"
    result = await digest(monitor_for(tableau.url, ["Acme", "Globex"]))
    acme = next(p for p in result.customers if p.name == "Acme")
    assert acme.flag == "unavailable"
    assert acme.error == "view daily_revenue row 1: Revenue 'n/a' is not an amount"
    assert next(p for p in result.customers if p.name == "Globex").flag == "declining"


async def test_monthly_view_only_uses_prorated_pace(tableau):
    revenue_views(tableau, rows_for(["Acme"]))
    result = await digest(
        monitor_for(tableau.url, ["Acme"], views={"monthly_revenue": "Revenue/Monthly"})
    )
    (pace,) = result.customers
    assert (pace.method, pace.current, pace.prior_total) == ("prorated", 1_400, 3_100)
    assert pace.baseline == pytest.approx(3_100 * 14 / 31)


async def test_without_configured_customers_each_view_is_fetched_once(tableau):
    revenue_views(tableau, rows_for(["Acme", "Globex"]))
    result = await digest(monitor_for(tableau.url))
    assert {p.name for p in result.customers} == {"Acme", "Globex"}
    assert tableau.data_filters == [{}, {}]


async def test_check_signs_in_and_reports_columns(tableau):
    revenue_views(tableau, rows_for(["Acme"]))
    async with monitor_for(tableau.url, ["Acme"]) as services:
        report = await diagnostics.check(services, CheckRequest())
    assert "daily_revenue: Account Name, Date, Revenue" in report.source.detail
    assert "service_breakdown: Account Name, Date, Service, Revenue" in report.source.detail


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$1,234.56", 1234.56),
        ("(1,234.56)", -1234.56),
        ("-$1,234.56", -1234.56),
        ("($1,234.56)", -1234.56),
        ("14.4%", 14.4),
        ("5,004", 5004.0),
        ("0", 0.0),
        ("", None),
        ("n/a", None),
        ("$", None),
        ("1.2.3", None),
        ("99,999,999,999,999.99", 99999999999999.99),
        ("$100,000,000,000,000", None),  # too large to sum exactly: unreadable, never wrong
        ("(100000000000000)", None),
    ],
)
def test_display_amounts(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-02-14", date(2026, 2, 14)),
        ("2/14/2026", date(2026, 2, 14)),
        ("February 14, 2026", date(2026, 2, 14)),
        ("Feb 14, 2026", date(2026, 2, 14)),
        ("14/2/2026", None),
    ],
)
def test_display_dates(text, day):
    assert parse_day(text) == day


@pytest.mark.parametrize("text", ["February 2026", "Feb 2026", "2026-02", "2/1/2026", "2026-02-14"])
def test_display_months(text):
    assert parse_month(text) == date(2026, 2, 1)


def test_filter_escaping_round_trips_through_the_emulator():
    names = ["Rock, Paper", "A\\B", "plain"]
    assert split_filter(",".join(escape_filter_value(n) for n in names)) == names


def test_batches_respect_size_and_url_length():
    assert [len(b) for b in batches([f"n{i}" for i in range(250)], 100)] == [100, 100, 50]
    long = ["x" * 500] * 20
    assert all(sum(len(n) for n in b) <= 3_000 for b in batches(long, 100))


def test_tsc_talks_to_the_emulator(tableau):
    """If Tableau's own client cannot use the emulator, the emulator is wrong."""
    import tableauserverclient as tsc

    revenue_views(tableau, rows_for(["Acme", "Globex"]))
    server = tsc.Server(tableau.url, use_server_version=False)
    server.version = "3.24"
    auth = tsc.PersonalAccessTokenAuth("spend-monitor", SECRET, site_id="finance")
    with server.auth.sign_in(auth):
        views, pagination = server.views.get()
        assert {v.name for v in views} == {"Daily", "Monthly", "Services"}
        assert pagination.total_available == 3
        daily = next(v for v in views if v.name == "Daily")
        server.views.populate_csv(daily, tsc.CSVRequestOptions().vf("Account Name", "Acme"))
        text = b"".join(daily.csv).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "Account Name,Date,Revenue"
    assert all(line.startswith("Acme,") for line in lines[1:])
    assert tableau.counts["signout"] == 1


def test_the_cli_signs_out_and_explains_a_wrong_view(tableau, tmp_path, capsys, monkeypatch):
    import json

    from cli_helpers import invoke

    revenue_views(tableau, rows_for(["Acme"]))
    config = tmp_path / "config" / "config.json"
    config.parent.mkdir()
    config.write_text(
        json.dumps(
            {
                "customers": [{"name": "Acme"}],
                "tableau": {
                    "server": tableau.url,
                    "site": "finance",
                    "pat_name": "spend-monitor",
                    "views": {"daily_revenue": "view-daily"},
                },
            }
        )
    )
    monkeypatch.setenv("TABLEAU_PAT_SECRET", SECRET)
    result = invoke(capsys, "digest", "--as-of", "2026-02-15", "--dry-run")
    assert result.code == 0, result.err
    assert tableau.counts["signout"] == 1
    data = json.loads(config.read_text())
    data["tableau"]["views"]["daily_revenue"] = "missing-view"
    config.write_text(json.dumps(data))
    result = invoke(capsys, "digest", "--as-of", "2026-02-15", "--dry-run")
    assert result.code == 1
    assert result.err.strip().endswith(
        "error: tableau.views.daily_revenue: 'missing-view' is not a view on this site — "
        "check the view id in the config"
    )


async def test_years_of_history_in_the_daily_view_cost_no_more_than_the_look_back(tableau):
    """The daily view answers with every day it holds; days before the look-back decide
    nothing, so the book's columns span the look-back, not the view's years."""
    recent = rows_for(["Acme", "Globex"])
    years = [
        (date(2020, 1, 1) + timedelta(days=i), name, "SMS", 10.0)
        for i in range(0, 5 * 365, 3)
        for name in ("Acme", "Globex")
    ]
    revenue_views(tableau, recent)
    async with monitor_for(tableau.url, ["Acme", "Globex"]) as services:
        short = await services.book.run(AS_OF)
    revenue_views(tableau, years + recent)
    async with monitor_for(tableau.url, ["Acme", "Globex"]) as services:
        long = await services.book.run(AS_OF)
    lookback = Thresholds().lookback_days
    assert long.snapshot.revenue.days <= lookback + 62
    assert digest_json(long.digest)["customers"] == digest_json(short.digest)["customers"]

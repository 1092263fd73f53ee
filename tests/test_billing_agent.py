"""The billing agent over A2A, and the primary → fallback chain with Tableau."""

import json
from datetime import date

import httpx
import pytest

from cli_helpers import invoke
from fakes.billing_agent import BillingAgent
from fakes.server import closed_port_url, running, serving
from fakes.tableau import revenue_views
from spend_monitor.app import diagnostics
from spend_monitor.app.requests import CheckRequest
from spend_monitor.config import parse_config
from spend_monitor.errors import SourceError
from spend_monitor.launch import embedded
from spend_monitor.sources.answers import amount_in_data, amount_in_text

pytestmark = pytest.mark.anyio
AS_OF = date(2026, 2, 15)
LEDGER = {
    ("Acme", "2026-02"): 1_400.0,
    ("Acme", "2026-01"): 3_100.0,
    ("Globex", "2026-02"): 3_700.0,
    ("Globex", "2026-01"): 56_000.0,
}


@pytest.fixture
def agent():
    with running(BillingAgent(revenue=dict(LEDGER))) as billing:
        yield billing


def monitor(agent_url, tableau_url=None, customers=("Acme", "Globex"), **a2a):
    data = {
        "customers": [{"name": c} for c in customers],
        "a2a": {"billing_url": f"{agent_url}/", **a2a},
    }
    if tableau_url:
        data["tableau"] = {
            "server": tableau_url,
            "site": "finance",
            "pat_name": "spend-monitor",
            "views": {"daily_revenue": "view-daily"},
        }
    else:
        data["source"] = "a2a"
    return embedded(parse_config(data, "test"), AS_OF, tableau_pat_secret="pat-secret")


async def built(services, as_of=AS_OF):
    async with services:
        return await services.book.run(as_of)


async def run(services):
    return (await built(services)).digest


def by_name(digest):
    return {p.name: p for p in digest.customers}


@pytest.mark.parametrize("style", ["message", "task", "data"])
@pytest.mark.parametrize("version", ["0.3", "1.0", "auto"])
async def test_answers_in_every_shape_and_version(agent, style, version):
    agent.style = style
    paces = by_name(await run(monitor(agent.url, protocol_version=version)))
    acme = paces["Acme"]
    assert (acme.current, acme.prior_total, acme.source) == (1_400, 3_100, "a2a")
    assert acme.method == "prorated"
    assert acme.baseline == pytest.approx(3_100 * 14 / 31)
    assert acme.drivers == ()
    assert paces["Globex"].big_mover
    expected = "rpc 0.3" if version == "0.3" else "rpc 1.0"
    assert agent.counts[expected] >= 4


async def test_a_reply_without_an_amount_is_unavailable_never_zero(agent):
    agent.styles["Globex"] = "garbage"
    paces = by_name(await run(monitor(agent.url)))
    globex = paces["Globex"]
    assert globex.flag == "unavailable"
    assert globex.current is None
    assert "billing agent gave no amount for 2026-02" in globex.error
    assert "see the 2026 report, page 12" in globex.error
    assert paces["Acme"].flag == "normal"  # $1,400 against a prorated $1,400


@pytest.mark.parametrize("style", ["message", "data"])
async def test_an_amount_too_large_to_sum_exactly_is_unavailable(agent, style):
    agent.style = style
    agent.revenue[("Globex", "2026-02")] = 3e14
    paces = by_name(await run(monitor(agent.url)))
    globex = paces["Globex"]
    assert globex.flag == "unavailable"
    assert globex.current is None
    assert "amount for 2026-02 that cannot be summed exactly (3e+14)" in globex.error
    assert paces["Acme"].flag == "normal"


async def test_json_rpc_errors_are_reported_with_their_code(agent):
    agent.styles["Acme"] = "error"
    acme = by_name(await run(monitor(agent.url)))["Acme"]
    assert acme.flag == "unavailable"
    assert "-32602" in acme.error


async def test_a_1_0_only_agent_refuses_0_3_and_speaks_1_0(agent):
    agent.compat_0_3 = False
    with serving(agent.app()) as url:
        agent.url = url
        with pytest.raises(SourceError, match="-32601"):
            await run(monitor(url, protocol_version="0.3"))
        spoken = by_name(await run(monitor(url, protocol_version="1.0")))["Acme"]
        assert spoken.current == 1_400


async def test_the_old_scripts_exact_request_is_accepted(agent):
    body = {
        "jsonrpc": "2.0",
        "id": "m-1",
        "method": "message/send",
        "params": {
            "message": {
                "messageId": "m-1",
                "role": "user",
                "parts": [
                    {
                        "kind": "text",
                        "text": "What is the total revenue for Acme for month 2026-02?",
                    }
                ],
            }
        },
    }
    async with httpx.AsyncClient() as http:
        reply = (await http.post(f"{agent.url}/", json=body)).json()
    assert reply["result"]["kind"] == "message"
    assert "$1,400.00" in reply["result"]["parts"][0]["text"]


async def test_a_slow_agent_still_answers(agent):
    agent.delay = 0.3
    assert by_name(await run(monitor(agent.url)))["Acme"].current == 1_400


async def test_tableau_down_every_customer_from_the_agent(agent):
    paces = by_name(await run(monitor(agent.url, closed_port_url())))
    assert {p.source for p in paces.values()} == {"a2a"}
    assert (paces["Acme"].current, paces["Globex"].current) == (1_400, 3_700)


async def test_one_customer_missing_from_tableau_comes_from_the_agent(agent, tableau):
    revenue_views(
        tableau,
        [(date(2026, 1, 5), "Acme", "SMS", 3_100.0), (date(2026, 2, 14), "Acme", "SMS", 1_400.0)],
    )
    paces = by_name(await run(monitor(agent.url, tableau.url)))
    assert (paces["Acme"].source, paces["Acme"].method) == ("tableau", "same_days")
    assert (paces["Globex"].source, paces["Globex"].current) == ("a2a", 3_700)
    assert agent.counts["rpc 0.3"] == 2  # only Globex's two months were asked


def test_both_down_is_one_line_and_exit_4_never_a_cliff(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TABLEAU_PAT_SECRET", "pat-secret")
    config = tmp_path / "config" / "config.json"
    config.parent.mkdir()
    config.write_text(
        json.dumps(
            {
                "customers": [{"name": "Acme"}, {"name": "Globex"}],
                "tableau": {
                    "server": closed_port_url(),
                    "site": "finance",
                    "pat_name": "x",
                    "views": {"daily_revenue": "v"},
                },
                "a2a": {"billing_url": closed_port_url() + "/"},
            }
        )
    )
    result = invoke(capsys, "digest", "--as-of", "2026-02-15", "--format", "json", "--dry-run")
    assert result.code == 4  # nothing could be fetched: a failed run, not a digest of zeros
    assert result.out == ""
    (line,) = result.err.strip().splitlines()
    assert line.startswith("error: no customer's revenue could be read (Acme, Globex)")
    assert "cannot reach Tableau" in line
    assert "billing agent" in line


async def test_check_reports_the_agent(agent, tableau):
    revenue_views(tableau, [(date(2026, 2, 1), "Acme", "SMS", 1.0)])
    async with monitor(agent.url, tableau.url) as services:
        report = await diagnostics.check(services, CheckRequest())
    assert "fallback a2a: billing agent 'Billing Agent' reachable" in report.source.detail


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("Total revenue was $1,234.56 this month.", 1234.56),
        ("It came to 1234.56 USD.", 1234.56),
        ("USD 2,000 so far", 2000.0),
        ("About $1.2M", 1_200_000.0),
        ("$56K last month", 56_000.0),
        ("A credit of -$500.00", -500.0),
        ("In 2026-02 revenue was $3,700.00", 3700.0),
        ("2026", None),
        ("Revenue for 2026-02: 4500", None),
        ("I don't know.", None),
    ],
)
def test_amounts_in_replies(text, amount):
    assert amount_in_text(text) == amount


def test_amounts_in_data_parts():
    assert amount_in_data({"customer": "Acme", "total_revenue": 12.5}) == 12.5
    assert amount_in_data({"result": {"revenue": "$1,000"}}) == 1000.0
    assert amount_in_data({"month": "2026-02", "year": 2026}) is None


async def test_a_bad_pat_falls_back_to_the_agent(agent, tableau):
    tableau.pats = {"spend-monitor": "another-secret"}
    run = await built(monitor(agent.url, tableau.url))
    paces = by_name(run.digest)
    assert {p.source for p in paces.values()} == {"a2a"}
    assert paces["Globex"].current == 3_700
    assert "Tableau 401001" in run.digest.errors[0]
    assert "TABLEAU_PAT_SECRET" in run.digest.errors[0]


async def test_the_agent_is_asked_about_the_months_late_tableau_data_covers(agent, tableau):
    # On Mar 2 Tableau's data ends Feb 27: the digest compares February with January, so the
    # agent must be asked about February and January too, not March and February.
    revenue_views(
        tableau,
        [(date(2026, 1, 5), "Acme", "SMS", 3_100.0), (date(2026, 2, 27), "Acme", "SMS", 1_400.0)],
    )
    run = await built(monitor(agent.url, tableau.url), date(2026, 3, 2))
    globex = by_name(run.digest)["Globex"]
    assert run.digest.current_month == "2026-02"
    assert (globex.source, globex.current, globex.prior_total) == ("a2a", 3_700, 56_000)

"""The MCP server as an agent meets it: in-process in both client modes, over stdio, over HTTP."""

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from mcp import Client, StdioServerParameters

from cli_helpers import invoke
from spend_monitor.demo import demo_config, write_demo
from spend_monitor.launch import embedded
from spend_monitor.mcp.server import build_server

pytestmark = pytest.mark.anyio
AS_OF = date(2026, 2, 15)
TOOLS = {
    "get_customer_pace",
    "get_service_breakdown",
    "get_watch_list",
    "get_customer_history",
    "list_customers",
    "list_owners",
    "preview_digest",
    "post_digest",
    "acknowledge_alert",
}
WRITES = {"post_digest", "acknowledge_alert"}
BIN = Path(sys.executable).parent


@pytest.fixture
def demo_files(tmp_path):
    return write_demo(tmp_path, AS_OF)


@pytest.fixture(params=["auto", "legacy"])
async def client(request, demo_files):
    server = build_server(embedded(demo_config(demo_files), AS_OF))
    async with Client(server, mode=request.param) as connected:
        yield connected


async def call(client, name, **args):
    """A tool call whose structured result must match the tool's declared output schema."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    result = await client.call_tool(name, args)
    assert not result.is_error, result.content
    jsonschema.validate(result.structured_content, tools[name].output_schema)
    return result.structured_content


async def test_tools_are_described_for_a_model(client):
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.title
        assert len(tool.description) > 80
        assert tool.output_schema
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is (tool.name not in WRITES)
    post = tools["post_digest"].annotations
    assert (post.destructive_hint, post.idempotent_hint, post.open_world_hint) == (
        False,
        True,
        True,
    )


async def test_pace_pages_through_the_book_largest_move_first(client):
    first = await call(client, "get_customer_pace", limit=5)
    assert (first["total"], first["next_offset"], len(first["customers"])) == (26, 5, 5)
    moves = [abs(c["current"] - c["baseline"]) for c in first["customers"] if c["baseline"]]
    assert moves == sorted(moves, reverse=True)
    last = await call(client, "get_customer_pace", limit=5, offset=25)
    assert (len(last["customers"]), last["next_offset"]) == (1, None)


async def test_pace_for_one_customer_by_alias_and_by_flag(client):
    one = await call(client, "get_customer_pace", customer="umbrella")
    assert [c["display_name"] for c in one["customers"]] == ["Umbrella Telecom"]
    declining = await call(client, "get_customer_pace", flag="declining")
    # Vandelay stopped mid-month: a stop, not a decline.
    assert {c["name"] for c in declining["customers"]} == {"globex", "hooli"}


async def test_an_acknowledgement_shows_at_once_on_the_cached_book(client):
    """Pages come from the cached digest, yet a snooze (or a post) is applied on every call."""

    def globex(page):
        return next(c for c in page["customers"] if c["name"] == "globex")

    assert globex(await call(client, "get_customer_pace", flag="declining"))["snoozed"] is False
    await call(client, "acknowledge_alert", customer="Globex", kind="pace")
    assert globex(await call(client, "get_customer_pace", flag="declining"))["snoozed"] is True
    one = await call(client, "get_customer_pace", customer="globex")
    assert one["customers"][0]["snoozed"] is True


async def test_breakdown_explains_the_cliff(client):
    globex = await call(client, "get_service_breakdown", customer="Globex")
    user = globex["services"][0]
    assert (user["service"], user["kind"], user["current"]) == ("user", "vanished", 0)
    assert len(globex["current_month_daily"]) == 14
    assert len(globex["prior_month_daily"]) == 31


async def test_watch_list_history_customers_and_preview(client):
    watch = await call(client, "get_watch_list")
    assert {"escalations", "stale_ticket", "vanished_line_item", "pace_drop"} <= {
        i["kind"] for i in watch["items"]
    }
    history = await call(client, "get_customer_history", customer="Acme", days=45)
    assert len(history["daily"]) == 45
    assert history["end"] == "2026-02-14"
    customers = await call(client, "list_customers")
    assert customers["source"] == "config"
    assert {"name": "umbrella", "display_name": "Umbrella Telecom", "aliases": ["Umbrella"]} in (
        customers["customers"]
    ) or any(c["name"] == "umbrella" for c in customers["customers"])
    preview = await call(client, "preview_digest", format="text")
    assert preview["text"].startswith("📊 Customer Spend Monitor — Feb 15")
    assert preview["partial"] is False


async def test_post_digest_without_channels_returns_the_digest(client):
    result = await call(client, "post_digest")
    assert result["report"]["outcomes"] == []
    assert result["report"]["message"].startswith("no channel configured: nothing posted (set ")
    assert "Globex" in result["digest_markdown"]


async def test_unknown_customer_is_an_error_result_with_suggestions(client):
    result = await client.call_tool("get_service_breakdown", {"customer": "Globx"})
    assert result.is_error
    assert result.structured_content is None
    assert "unknown customer 'Globx' — did you mean 'Globex'?" in result.content[0].text


async def test_bad_arguments_are_error_results(client):
    result = await client.call_tool("get_customer_pace", {"limit": 0})
    assert result.is_error
    assert result.structured_content is None


async def test_resources_and_prompts(client, monkeypatch):
    latest = await client.read_resource("spend-monitor://digest/latest")
    assert "Customer Spend Monitor" in latest.contents[0].text
    config = json.loads((await client.read_resource("spend-monitor://config")).contents[0].text)
    assert config["secrets_set"]["slack_bot_token"] is False
    one = json.loads(
        (await client.read_resource("spend-monitor://customers/globex")).contents[0].text
    )
    assert one["flag"] == "declining"
    prompt = await client.get_prompt("dig_deeper", {"customer": "Globex"})
    assert "get_service_breakdown" in prompt.messages[0].content.text
    morning = await client.get_prompt("morning_digest")
    assert "NO_REPLY" in morning.messages[0].content.text


async def test_follow_ups_use_the_cache_until_refresh(demo_files):
    server = build_server(embedded(demo_config(demo_files), AS_OF))
    async with Client(server) as client:
        before = await call(client, "get_customer_pace", customer="Initech")
        with demo_files.revenue.open("a") as handle:
            handle.write("2026-02-10,initech,SMS,100000\n")
        cached = await call(client, "get_customer_pace", customer="Initech")
        fresh = await call(client, "get_customer_pace", customer="Initech", refresh=True)
    assert cached["customers"] == before["customers"]
    assert fresh["customers"][0]["current"] == pytest.approx(
        before["customers"][0]["current"] + 100_000
    )


async def test_stdio_subprocess_runs_the_installed_script():
    params = StdioServerParameters(
        command=str(BIN / "spend-monitor-mcp"), args=["--demo", "--as-of", "2026-02-15"]
    )
    async with Client(params) as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS
        result = await client.call_tool("get_customer_pace", {"customer": "Globex"})
        assert result.structured_content["customers"][0]["flag"] == "declining"


@pytest.fixture
def http_server():
    env = {**os.environ, "SPEND_MONITOR_MCP_TOKEN": "test-token-123"}
    serve = [str(BIN / "spend-monitor"), "serve", "--demo", "--transport", "http", "--port", "0"]
    process = subprocess.Popen(
        [*serve, "--allowed-host", "monitor.example.internal"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stderr.readline()
        assert "serving http://" in line, line
        yield line.split("serving ")[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}


async def test_http_requires_the_bearer_token(http_server):
    import httpx

    headers = {"accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(timeout=10) as http:
        missing = await http.post(http_server, json=INITIALIZE, headers=headers)
        wrong = await http.post(
            http_server, json=INITIALIZE, headers={**headers, "authorization": "Bearer nope"}
        )
        right = await http.post(
            http_server,
            json=INITIALIZE,
            headers={**headers, "authorization": "Bearer test-token-123"},
        )
        session = {
            **headers,
            "authorization": "Bearer test-token-123",
            "mcp-session-id": right.headers["mcp-session-id"],
            "mcp-protocol-version": "2025-06-18",
        }
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        await http.post(http_server, json=initialized, headers=session)
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "get_customer_pace", "arguments": {"customer": "Globex"}},
        }
        answered = await http.post(http_server, json=call, headers=session)
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.headers["www-authenticate"] == "Bearer"
    # A wrong token says so, so a client stops offering OAuth instead of starting it.
    assert wrong.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert "test-token-123" not in missing.text
    assert right.status_code == 200
    assert "spend-monitor" in right.text
    payload = json.loads(answered.text.split("data: ", 1)[1].splitlines()[0])
    assert payload["result"]["structuredContent"]["customers"][0]["display_name"] == "Globex"


async def test_http_takes_the_scheme_in_any_case_and_the_allowed_hosts(http_server):
    import httpx

    headers = {"accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(timeout=10) as http:

        async def initialize(**extra: str) -> httpx.Response:
            return await http.post(http_server, json=INITIALIZE, headers={**headers, **extra})

        lower = await initialize(authorization="bearer test-token-123")
        behind_proxy = await initialize(
            authorization="BEARER test-token-123", host="monitor.example.internal"
        )
        elsewhere = await initialize(authorization="Bearer test-token-123", host="evil.example")
    assert (lower.status_code, behind_proxy.status_code) == (200, 200)
    assert elsewhere.status_code == 421


def test_a_non_loopback_bind_accepts_its_own_host_header():
    from spend_monitor.mcp.transport import ServeOptions, allowed_hosts

    hosts = allowed_hosts(ServeOptions(transport="http", host="10.20.30.40"))
    assert "10.20.30.40:*" in hosts
    assert "127.0.0.1:*" in hosts
    v6 = allowed_hosts(ServeOptions(transport="http", host="fd00::5", allowed_hosts=("a.b:8443",)))
    assert {"[fd00::5]:*", "a.b:8443"} <= set(v6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "--port: Input should be less than or equal to 65535 (got 70000)"),
        (["--port", "-1"], "--port: Input should be greater than or equal to 0 (got -1)"),
    ],
)
def test_serve_rejects_bad_ports_in_one_line(capsys, args, message):
    result = invoke(capsys, "serve", "--demo", "--transport", "http", "--no-auth", *args)
    assert result.code == 1
    assert result.err.strip() == f"error: {message}"


def test_serve_on_a_port_in_use_is_one_line(capsys):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = invoke(
            capsys, "serve", "--demo", "--transport", "http", "--no-auth", "--port", port
        )
    assert result.code == 1
    (line,) = result.err.strip().splitlines()
    assert line.startswith(f"error: cannot serve on 127.0.0.1:{port}: ")
    assert "choose another --port" in line


def test_http_refuses_a_public_address_without_a_token(capsys):
    result = invoke(capsys, "serve", "--demo", "--transport", "http", "--host", "0.0.0.0")
    assert result.code == 1
    assert "refusing to serve on 0.0.0.0 without a token" in result.err
    no_auth = invoke(
        capsys, "serve", "--demo", "--transport", "http", "--host", "0.0.0.0", "--no-auth"
    )
    assert "--no-auth is allowed only on loopback" in no_auth.err


# Installed once by `make test` (the Makefile's INSPECTOR_STAMP), never downloaded mid-suite.
INSPECTOR = BIN.parent / "inspector" / "node_modules" / ".bin" / "mcp-inspector"


@pytest.mark.skipif(shutil.which("npm") is None, reason="the MCP Inspector needs Node.js and npm")
def test_the_mcp_inspector_cli_lists_and_calls_tools():
    assert INSPECTOR.exists(), "`make test` installs the MCP Inspector; run it once"
    base = [str(INSPECTOR), "--cli", str(BIN / "spend-monitor-mcp"), "--demo"]
    listed = subprocess.run(
        [*base, "--method", "tools/list"], capture_output=True, text=True, timeout=300, check=False
    )
    assert listed.returncode == 0, listed.stderr
    assert {t["name"] for t in json.loads(listed.stdout)["tools"]} == TOOLS
    called = subprocess.run(
        [
            *base,
            "--method",
            "tools/call",
            "--tool-name",
            "get_customer_pace",
            "--tool-arg",
            "customer=Globex",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert called.returncode == 0, called.stderr
    result = json.loads(called.stdout)
    assert result["structuredContent"]["customers"][0]["display_name"] == "Globex"


@pytest.fixture(params=["auto", "legacy"])
async def tableau_client(request, tableau, demo_files):
    import csv

    from fakes.tableau import revenue_views
    from spend_monitor.config import parse_config

    with demo_files.revenue.open() as handle:
        revenue_views(
            tableau,
            [
                (date.fromisoformat(r["date"]), r["customer"], r["service"], float(r["amount"]))
                for r in csv.DictReader(handle)
            ],
        )
    local = demo_config(demo_files).model_dump(mode="json", exclude_none=True, exclude={"local"})
    local["tableau"] = {
        "server": tableau.url,
        "site": "finance",
        "pat_name": "spend-monitor",
        "views": {"daily_revenue": "view-daily", "service_breakdown": "Revenue/Services"},
    }
    services = embedded(parse_config(local, "test"), AS_OF, tableau_pat_secret="pat-secret")
    async with services, Client(build_server(services), mode=request.param) as connected:
        yield connected


async def test_the_tools_over_the_tableau_emulator(tableau_client, tableau):
    pace = await call(tableau_client, "get_customer_pace", flag="declining")
    assert {c["source"] for c in pace["customers"]} == {"tableau"}
    assert {c["name"] for c in pace["customers"]} == {"globex", "hooli"}  # Vandelay: stopped
    breakdown = await call(tableau_client, "get_service_breakdown", customer="Umbrella")
    assert breakdown["services"][0]["service"] == "Thailand Numbers"
    for name in ("get_watch_list", "list_customers", "preview_digest"):
        await call(tableau_client, name)
    await call(tableau_client, "get_customer_history", customer="Globex", days=30)
    latest = await tableau_client.read_resource("spend-monitor://digest/latest")
    assert "Globex" in latest.contents[0].text
    assert tableau.counts["signin"] == 1  # one session served every call
    assert tableau.data_requests == 2  # the day's data fetched once, then cached


async def test_a_fetch_reports_progress(demo_files):
    server = build_server(embedded(demo_config(demo_files), AS_OF))
    seen = []

    async def progress(done, total, message):
        seen.append((done, total, message))

    async with Client(server) as client:
        await client.call_tool("get_customer_pace", {}, progress_callback=progress)
    assert seen == [(0, 2, "fetching revenue from local"), (1, 2, "computing pace")]

"""One request model per operation: the CLI and the MCP tools accept and reject the same values
with the same message, unknown arguments are refused, and an empty variable is unset."""

from datetime import date
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from cli_helpers import invoke
from spend_monitor.demo import demo_config, write_demo
from spend_monitor.launch import embedded
from spend_monitor.mcp.server import build_server

AS_OF = date(2026, 2, 15)

# (CLI arguments, MCP tool, MCP arguments, the one-line message both must give)
OUT_OF_BOUNDS = [
    (
        ["pace", "--limit", "-1"],
        "get_customer_pace",
        {"limit": -1},
        "limit: Input should be greater than or equal to 1 (got -1)",
    ),
    (
        ["pace", "--limit", "0"],
        "get_customer_pace",
        {"limit": 0},
        "limit: Input should be greater than or equal to 1 (got 0)",
    ),
    (
        ["pace", "--limit", "501"],
        "get_customer_pace",
        {"limit": 501},
        "limit: Input should be less than or equal to 500 (got 501)",
    ),
    (
        ["pace", "--offset", "-5"],
        "get_customer_pace",
        {"offset": -5},
        "offset: Input should be greater than or equal to 0 (got -5)",
    ),
    (
        ["pace", "--customer", ""],
        "get_customer_pace",
        {"customer": ""},
        "customer: String should have at least 1 character (got '')",
    ),
    (
        ["ack", "Globex", "--days", "-3"],
        "acknowledge_alert",
        {"customer": "Globex", "days": -3},
        "days: Input should be greater than or equal to 1 (got -3)",
    ),
    (
        ["ack", "Globex", "--days", "91"],
        "acknowledge_alert",
        {"customer": "Globex", "days": 91},
        "days: Input should be less than or equal to 90 (got 91)",
    ),
    (
        ["history", "--customer", "Globex", "--days", "0"],
        "get_customer_history",
        {"customer": "Globex", "days": 0},
        "days: Input should be greater than or equal to 1 (got 0)",
    ),
    (
        ["history", "--customer", "Globex", "--days", "401"],
        "get_customer_history",
        {"customer": "Globex", "days": 401},
        "days: Input should be less than or equal to 400 (got 401)",
    ),
]


@pytest.fixture
async def client(tmp_path):
    services = embedded(demo_config(write_demo(tmp_path, AS_OF)), AS_OF)
    async with services, Client(build_server(services)) as connected:
        yield connected


@pytest.mark.parametrize(("cli", "tool", "arguments", "message"), OUT_OF_BOUNDS)
def test_the_cli_rejects_out_of_bounds_values(capsys, cli, tool, arguments, message):
    result = invoke(capsys, *cli, "--demo", "--as-of", AS_OF.isoformat())
    assert result.code == 1
    assert result.err.strip() == f"error: {message}"
    assert result.out == ""


@pytest.mark.anyio
@pytest.mark.parametrize(("cli", "tool", "arguments", "message"), OUT_OF_BOUNDS)
async def test_the_mcp_tools_reject_the_same_values_with_the_same_message(
    client, cli, tool, arguments, message
):
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert result.structured_content is None
    assert result.content[0].text == message


@pytest.mark.anyio
async def test_unknown_arguments_are_refused_with_the_valid_ones(client):
    result = await client.call_tool("get_customer_pace", {"name": "Globex"})
    assert result.is_error
    assert result.content[0].text == (
        "unknown argument name (valid: customer, flag, as_of, limit, offset, refresh, owner)"
    )
    posting = await client.call_tool("post_digest", {"as_of": "2026-02-01"})
    assert posting.is_error
    assert (
        posting.content[0].text
        == "unknown argument as_of (valid: channels, dry_run, force, owner, team)"
    )


@pytest.mark.anyio
async def test_a_prompt_or_resource_for_a_missing_or_unknown_customer_is_a_normal_error(client):
    with pytest.raises(MCPError) as missing:
        await client.get_prompt("dig_deeper", {})
    assert missing.value.code == -32602
    assert "dig_deeper needs: customer" in str(missing.value)
    with pytest.raises(MCPError) as unknown:
        await client.get_prompt("dig_deeper", {"customer": "Globx"})
    assert unknown.value.code == -32602
    assert "did you mean 'Globex'?" in str(unknown.value)
    with pytest.raises(MCPError) as resource:
        await client.read_resource("spend-monitor://customers/Globx")
    assert resource.value.code == -32602
    assert "did you mean 'Globex'?" in str(resource.value)


@pytest.mark.parametrize("where", ["environment", ".env"])
def test_an_empty_token_is_unset_everywhere(capsys, tmp_path, monkeypatch, slack, where):
    config = tmp_path / "config.json"
    config.write_text(
        '{"local": {"path": "revenue.csv"}, "slack": {"dm_channel": "D0123", '
        f'"api_base": "{slack.url}/api/"}}, "telegram": {{"chat_id": 1}}}}'
    )
    write_demo(tmp_path, AS_OF)
    if where == ".env":
        (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=\nTELEGRAM_BOT_TOKEN=   \n")
    else:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "")
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "  ")
    checked = invoke(capsys, "check", "--config", str(config), "--as-of", AS_OF.isoformat())
    assert "Traceback" not in checked.err
    assert "slack: section present but SLACK_BOT_TOKEN is not set" in checked.out
    assert "telegram: section present but TELEGRAM_BOT_TOKEN is not set" in checked.out
    run = invoke(capsys, "digest", "--config", str(config), "--as-of", AS_OF.isoformat())
    assert run.code == 0, run.err
    assert "no channel configured: nothing posted" in run.err
    assert slack.messages == []


def test_charts_pointing_at_a_file_is_one_line_before_anything_runs(capsys, tmp_path):
    taken = tmp_path / "charts"
    taken.write_text("a file, not a folder")
    result = invoke(capsys, "digest", "--demo", "--as-of", "2026-02-15", "--charts", str(taken))
    assert result.code == 1
    assert result.err.strip() == f"error: --charts {taken} is a file — give a folder for the charts"


def test_an_unexpected_error_is_one_line_naming_the_trace_file(capsys, monkeypatch):
    # No input reaches a bug on purpose any more, so one is planted: the front end's last line
    # of defence is what is under test, not the use case.
    async def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("spend_monitor.app.book.Book.run", broken)
    result = invoke(capsys, "watch", "--demo", "--as-of", "2026-02-15")
    assert result.code == 1
    (line,) = result.err.strip().splitlines()
    assert line.startswith("error: unexpected RuntimeError — a bug; the full trace is in ")
    trace = Path(line.rpartition(" ")[2])
    assert "RuntimeError: a bug" in trace.read_text()
    assert "Traceback" not in result.err

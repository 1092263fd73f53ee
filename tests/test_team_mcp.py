"""An agent answering a Slack DM: "how are my accounts doing?" for the person asking, by owner
key or by their Slack user ID, over the MCP server in-process."""

from datetime import date

import pytest
from mcp import Client

from spend_monitor.config import parse_config
from spend_monitor.demo import demo_config, write_demo
from spend_monitor.launch import embedded
from spend_monitor.mcp.server import build_server

pytestmark = pytest.mark.anyio
AS_OF = date(2026, 2, 15)


@pytest.fixture
async def team_client(tmp_path):
    files = write_demo(tmp_path, AS_OF)
    data = demo_config(files).model_dump(mode="json", exclude_none=True)
    names = [c["name"] for c in data["customers"]]
    for i, entry in enumerate(data["customers"]):
        entry["owner"] = ["alice", "bob"][i % 2] if i < len(names) - 4 else None
    data["customers"] = [{k: v for k, v in c.items() if v is not None} for c in data["customers"]]
    data["owners"] = {
        "alice": {"name": "Alice Chen", "slack": "U0ALICE"},
        "bob": {"name": "Bob Diaz", "slack": "U0BOB"},
    }
    config = parse_config(data, "test")
    server = build_server(embedded(config, AS_OF))
    async with Client(server) as connected:
        yield connected, names


async def structured(client, name, **args):
    result = await client.call_tool(name, args)
    assert not result.is_error, result.content
    return result.structured_content


@pytest.mark.parametrize("who", ["alice", "U0ALICE", "u0alice"])
async def test_owner_by_key_or_slack_id_sees_only_their_customers(team_client, who):
    client, names = team_client
    alice = {n for i, n in enumerate(names) if i % 2 == 0 and i < len(names) - 4}
    page = await structured(client, "get_customer_pace", owner=who, limit=500)
    assert {c["name"] for c in page["customers"]} == alice
    watch = await structured(client, "get_watch_list", owner=who)
    assert {w["customer"] for w in watch["items"]} <= alice
    preview = await structured(client, "preview_digest", owner=who, format="text")
    assert preview["text"].startswith("📊 Customer Spend Monitor — Alice Chen — Feb 15")
    whole = await structured(client, "get_watch_list")
    assert {w["customer"] for w in whole["items"]} - alice  # others' items exist, and are hidden


async def test_list_owners_and_an_unknown_owner(team_client):
    client, names = team_client
    owners = await structured(client, "list_owners")
    assert [o["key"] for o in owners["owners"]] == ["alice", "bob"]
    assert len(owners["unowned"]) == 4
    assert sum(len(o["customers"]) for o in owners["owners"]) == len(names) - 4
    result = await client.call_tool("get_customer_pace", {"owner": "carol"})
    assert result.is_error
    assert "no owner 'carol'" in result.content[0].text
    assert "alice, bob" in result.content[0].text


async def test_post_digest_for_one_owner_builds_only_theirs(team_client):
    client, names = team_client
    bob = {n for i, n in enumerate(names) if i % 2 == 1 and i < len(names) - 4}
    result = await structured(client, "post_digest", owner="U0BOB", dry_run=True)
    assert "Customer Spend Monitor — Bob Diaz — Feb 15" in result["digest_markdown"]
    shown = {n for n in names if n in result["digest_markdown"]}
    assert shown <= bob
    assert result["report"]["message"] == "dry run: nothing posted"
    assert result["report"]["dry_run"] is True

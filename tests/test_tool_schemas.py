"""Every field a tool answers with says what it is (and its unit), so a model reading the
output schema never has to guess what a number means."""

from datetime import date

import pytest
from mcp import Client

from spend_monitor.demo import demo_config, write_demo
from spend_monitor.launch import embedded
from spend_monitor.mcp.server import build_server


def undescribed(schema: dict, defs: dict, where: str, seen: set[str]) -> list[str]:
    """Paths of properties without a description, following $refs once each."""
    missing = []
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return undescribed(defs[name], defs, where, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            missing += undescribed(option, defs, where, seen)
    if "items" in schema:
        missing += undescribed(schema["items"], defs, where + "[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        missing += undescribed(schema["additionalProperties"], defs, where + "{}", seen)
    for name, field in schema.get("properties", {}).items():
        if "description" not in field:
            missing.append(f"{where}.{name}")
        missing += undescribed(field, defs, f"{where}.{name}", seen)
    return missing


@pytest.mark.anyio
async def test_every_field_of_every_tool_result_is_described(tmp_path):
    as_of = date(2026, 2, 15)
    services = embedded(demo_config(write_demo(tmp_path, as_of)), as_of)
    async with services, Client(build_server(services)) as client:
        tools = (await client.list_tools()).tools
    missing = []
    for tool in tools:
        schema = tool.output_schema or {}
        missing += undescribed(schema, schema.get("$defs", {}), tool.name, set())
    assert missing == []

"""The docs cannot drift from the code: the skill's frontmatter, the tools it names, and the
configuration keys and environment variables are checked against the code."""

import re
import typing
from datetime import date
from pathlib import Path

import pytest
from mcp import Client
from pydantic import BaseModel

from spend_monitor.config import Config
from spend_monitor.demo import demo_config, write_demo
from spend_monitor.launch import embedded
from spend_monitor.mcp.server import build_server
from test_skill import ENV_VARS, SKILL_DIR, frontmatter

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def server_tools(tmp_path):
    as_of = date(2026, 2, 15)
    server = build_server(embedded(demo_config(write_demo(tmp_path, as_of)), as_of))
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    return {t.name: set(t.input_schema.get("properties", {})) for t in tools}


@pytest.mark.anyio
async def test_every_tool_the_skill_names_exists_with_the_same_arguments(server_tools):
    _, body = frontmatter(SKILL_DIR / "SKILL.md")
    named = set(re.findall(r"spend-monitor__(\w+)", body))
    assert named == set(server_tools)
    reference = (SKILL_DIR / "references" / "tools.md").read_text(encoding="utf-8")
    documented = {}
    for name, args in re.findall(r"^### (\w+)\nArguments: (.*)$", reference, re.M):
        documented[name] = set(re.findall(r"`(\w+)`", args))
    assert documented == server_tools
    assert set(re.findall(r"`(\w+)`", (ROOT / "docs" / "mcp-tools.md").read_text())) >= set(
        server_tools
    )


def config_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if typing.get_origin(annotation) is list:
            inner = typing.get_args(annotation)[0]
            keys.add(f"{prefix}{name}[]")
            keys |= config_keys(inner, f"{prefix}{name}[].")
            continue
        if typing.get_origin(annotation) is dict:  # a map from keys the user picks
            keys.add(f"{prefix}{name}")
            keys |= config_keys(typing.get_args(annotation)[1], f"{prefix}{name}[key].")
            continue
        keys.add(f"{prefix}{name}")
        for arg in typing.get_args(annotation) or (annotation,):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                keys |= config_keys(arg, f"{prefix}{name}.")
    return keys


def test_configuration_doc_lists_every_key_and_no_other():
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([\w.\[\]]+)` \|", doc, re.M))
    variables = {k for k in documented if k.isupper()}
    assert documented - variables == config_keys(Config)
    assert variables == ENV_VARS


def test_env_example_declares_every_variable():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert set(re.findall(r"^#? ?([A-Z_]+)=", text, re.M)) == ENV_VARS

"""Every bad or borderline input in `cases.py`, run through the CLI as a user would."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from cases import CASES, DELETE, Case
from table import DOC, render, rendered_in_doc

from cli_helpers import invoke
from fakes.slack import SlackFake
from fakes.telegram import TelegramFake


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if value is DELETE:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _world(case: Case, root: Path, slack: SlackFake, telegram: TelegramFake) -> None:
    """A working setup — a good CSV, both channels on the emulators — with the case's change."""
    base = {
        "customers": [{"name": "Acme"}, {"name": "Globex"}],
        "local": {"path": "revenue.csv"},
        "slack": {"dm_channel": "D0123", "api_base": slack.url + "/api/"},
        "telegram": {"chat_id": "-100123", "api_base": telegram.url},
        "charts": False,
    }
    data = case.data if isinstance(case.data, bytes) else case.data.encode("utf-8")
    (root / case.data_name).write_bytes(data)
    # Beside its data, so relative paths in it name the files next to it.
    config = root / "config.json"
    config.write_text(json.dumps(_merge(base, case.config)), encoding="utf-8")
    for name, content in case.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_input(case, capsys, tmp_path, monkeypatch, slack, telegram):
    _world(case, tmp_path, slack, telegram)
    monkeypatch.setenv("CONFIG_PATH", str(tmp_path / "config.json"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram.token)
    for name, value in case.env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    if case.ascii_stdout:
        monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    args = case.args + (("--as-of", case.as_of) if case.as_of and case.args else ())
    result = invoke(capsys, *args)

    assert "Traceback" not in result.err + result.out
    assert result.code == case.code, result.err
    lines = result.err.splitlines()
    assert any(all(part in line for part in case.says) for line in lines), result.err
    posted = {"slack": bool(slack.messages), "telegram": bool(telegram.messages)}
    expected = set(case.posts) if case.code not in (1, 4) else set()
    assert {name for name, sent in posted.items() if sent} == expected, result.err
    for text in case.out_has:
        assert text in result.out
    for text in case.out_lacks:
        assert text not in result.out


def test_the_battery_is_large_and_each_case_distinct():
    assert len(CASES) >= 120
    assert len({case.id for case in CASES}) == len(CASES)
    bad = [case for case in CASES if case.code != 0 or case.says]
    assert len(bad) >= 100


def test_the_doc_table_is_generated_from_the_cases():
    assert rendered_in_doc(DOC.read_text(encoding="utf-8")) == render(CASES), (
        "docs/configuration.md is out of date: run `python tests/inputs/table.py`"
    )

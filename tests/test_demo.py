"""The embedded demo: every scenario lands where it should on any day, and the digest is golden."""

import json
import os
from datetime import date
from pathlib import Path

import pytest

from cli_helpers import invoke
from spend_monitor.demo import demo_config, write_demo
from spend_monitor.launch import embedded
from spend_monitor.render import render_text

GOLDEN = Path(__file__).parent / "golden"
pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "as_of",
    [
        date(2026, 2, 15),
        date(2026, 3, 1),  # the 1st: full February against January
        date(2026, 3, 2),  # one day of data
        date(2026, 1, 31),
        date(2028, 2, 29),  # leap day
        date(2026, 12, 31),
        date(2026, 11, 24),
    ],
)
async def test_every_scenario_lands(tmp_path, as_of):
    async with embedded(demo_config(write_demo(tmp_path, as_of)), as_of) as services:
        run = await services.book.run(as_of)
    digest = run.digest
    pace = {p.name: p for p in digest.customers}
    watch = {(w.customer, w.kind): w for w in digest.watch_list}
    text = render_text(digest)

    assert not run.partial
    assert len(digest.customers) >= 25
    globex = pace["globex"]
    assert (globex.flag, globex.big_mover) == ("declining", True)
    assert ("user", "vanished") in {(d.service, d.kind) for d in globex.drivers}
    assert "🚨 Globex" in text
    assert '• Globex: "user" line item vanished' in text
    assert ("globex", "vanished_line_item") in watch

    umbrella = pace["umbrella"]
    assert umbrella.flag == "growing"
    assert umbrella.drivers[0].service == "Thailand Numbers"
    assert umbrella.drivers[0].kind == "new"
    assert "• Umbrella Telecom: Thailand Numbers $" in text
    assert watch["umbrella", "escalations"].evidence["count"] == 4

    assert ("initech", "stale_ticket") in watch
    assert "• Initech: ENGDESK-49374 stale" in text
    assert not any(w.kind == "stale_ticket" and w.customer != "initech" for w in digest.watch_list)

    # Churned mid-month: a stop (or a gap), never a percentage cliff; on track for what it has.
    vandelay = pace["vandelay"]
    if digest.days_elapsed >= 8:
        assert vandelay.flag == "stopped"
        assert vandelay.change_pct is None
        assert vandelay.projected_total == vandelay.current
        assert "⛔ Vandelay Industries: no revenue since" in text
        assert ("vandelay", "stopped") in watch
    else:
        assert vandelay.flag == "declining"
    assert pace["hooli"].flag == "declining"  # slow decline
    assert pace["pied-piper"].flag == "new"
    assert pace["bluth"].flag == "normal"  # tiny and noisy: under min_baseline
    assert ("soylent", "vanished_line_item") in watch  # a small line gone, total steady
    assert pace["soylent"].flag == "normal"


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"regenerate with UPDATE_GOLDEN=1: {name}"


@pytest.mark.parametrize(
    ("fmt", "name"), [("text", "demo.txt"), ("json", "demo.json"), ("markdown", "demo.md")]
)
def test_golden_demo_digest(capsys, fmt, name):
    result = invoke(capsys, "digest", "--demo", "--as-of", "2026-02-15", "--format", fmt)
    assert result.code == 0
    _golden(name, result.out)
    if fmt == "json":
        assert json.loads(result.out)["as_of"] == "2026-02-15"

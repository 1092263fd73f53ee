"""The state store: posting once, (updated), repost, markers, snoozes, concurrency, migration."""

import json
import os
import sqlite3
import sys
from datetime import date, timedelta
from pathlib import Path

import anyio
import pytest

from cli_helpers import invoke
from fakes.server import closed_port_url
from fakes.slack import SlackFake
from fakes.telegram import TelegramFake
from spend_monitor import store as store_module
from spend_monitor.store import MIGRATIONS, SCHEMA_VERSION, Store

SLACK_TOKEN = SlackFake().token
TELEGRAM_TOKEN = TelegramFake().token


def daily(name, jan, feb_by_day):
    rows = [(f"2026-01-{d:02d}", name, "SMS", jan) for d in range(1, 32)]
    rows += [(f"2026-02-{d:02d}", name, "SMS", feb_by_day(d)) for d in range(1, 29)]
    return rows


BOOK = (
    daily("Steady Decline", 100, lambda d: 50)
    + daily("Late Drop", 100, lambda d: 0 if d >= 13 else 100)
    + daily("Recovering", 100, lambda d: 50 if d <= 9 else 300)
    + daily("Sliding", 100, lambda d: 90 if d <= 5 else 70 if d <= 10 else 40)
    + daily("Flat", 100, lambda d: 100)
)


@pytest.fixture
def configure(tmp_path, write_csv, monkeypatch, slack):
    revenue = write_csv(BOOK)
    path = tmp_path / "config" / "config.json"
    path.parent.mkdir()
    monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)

    def write(telegram_url=None, charts=False):
        config = {
            "local": {"path": str(revenue)},
            "slack": {"dm_channel": "D0123", "api_base": slack.url + "/api/"},
            "charts": charts,
        }
        if telegram_url:
            config["telegram"] = {"chat_id": "-100123", "api_base": telegram_url}
        path.write_text(json.dumps(config))
        return revenue

    return write


def day(capsys, as_of, *extra):
    return invoke(capsys, "digest", "--as-of", as_of, *extra)


def test_two_runs_on_the_same_day_post_once(capsys, configure, slack):
    configure()
    assert day(capsys, "2026-02-15").code == 0
    second = day(capsys, "2026-02-15")
    assert second.code == 0
    assert "slack: already posted today (same content)" in second.err
    assert len(slack.messages) == 1
    forced = day(capsys, "2026-02-15", "--force")
    assert forced.code == 0
    assert len(slack.messages) == 2


def test_changed_data_is_posted_marked_updated(capsys, configure, slack):
    revenue = configure()
    day(capsys, "2026-02-15")
    with revenue.open("a") as handle:
        handle.write("2026-02-14,Flat,SMS,5000\n")
    assert day(capsys, "2026-02-15").code == 0
    assert len(slack.messages) == 2
    assert "(updated)" not in slack.messages[0]["blocks"][0]["text"]["text"]
    assert slack.messages[1]["blocks"][0]["text"]["text"].endswith("Feb 15 (updated)")


def test_a_failed_post_is_reposted_only_where_it_failed(capsys, configure, slack, telegram):
    configure(telegram_url=closed_port_url())
    failed = day(capsys, "2026-02-15")
    assert failed.code == 3
    assert "telegram: FAILED" in failed.err
    configure(telegram_url=telegram.url)  # the destination in the current config
    resent = invoke(capsys, "repost")
    assert resent.code == 0, resent.err
    assert "telegram: posted" in resent.err
    assert len(telegram.messages) == 1
    assert len(slack.messages) == 1  # not sent again
    assert "nothing to re-send" not in resent.err
    again = invoke(capsys, "repost")
    assert again.code == 1
    assert "no recorded digest has a part left to send" in again.err


def lines_of(slack, index=-1):
    return "\n".join(b["text"]["text"] for b in slack.messages[index]["blocks"])


def test_new_ongoing_and_recovered_over_a_sequence_of_days(capsys, configure, slack):
    configure()
    day(capsys, "2026-02-10")
    first = lines_of(slack)
    assert "🆕" not in first
    assert "in a row" not in first
    day(capsys, "2026-02-12")
    second = lines_of(slack)
    steady = next(line for line in second.splitlines() if "Steady Decline: $550" in line)
    assert steady.startswith("🚨 Steady Decline: $550 (-50%) — cliff: $550 below Jan's pace")
    assert "(2nd digest in a row)" in steady
    assert "Recovered since the last digest: Recovering" in second
    day(capsys, "2026-02-15")
    third = lines_of(slack)
    assert "(3rd digest in a row)" in third
    assert "Late Drop: $1.2K (-14%) — significant decline 🆕" in third
    assert "Recovering" in third
    assert "Recovered since" not in third


def test_snooze_hides_until_expiry(capsys, configure, slack):
    configure()
    day(capsys, "2026-02-10")
    acked = invoke(
        capsys,
        "ack",
        "steady decline",
        "--days",
        "3",
        "--as-of",
        "2026-02-10",
        "--note",
        "known: migration",
    )
    assert acked.code == 0, acked.err
    assert json.loads(acked.out)["until"] == "2026-02-13"
    day(capsys, "2026-02-12")
    hidden = lines_of(slack)
    assert "Steady Decline" not in hidden
    assert "🔕 2 snoozed alerts not shown" in hidden  # its pace line and its pace drop
    day(capsys, "2026-02-15")
    assert "Steady Decline" in lines_of(slack)


def test_snooze_reopens_when_it_gets_worse(capsys, configure, slack):
    configure()
    day(capsys, "2026-02-08")
    invoke(capsys, "ack", "Sliding", "--kind", "pace", "--days", "30", "--as-of", "2026-02-08")
    day(capsys, "2026-02-12")
    assert "Sliding:" not in lines_of(slack)  # -24%: not 10 points worse than -16%
    day(capsys, "2026-02-15")
    assert "Sliding: $960 (-31%) — significant decline (re-opened)" in lines_of(slack)


def test_history_lists_runs_and_a_customers_past_flags(capsys, configure, slack):
    configure()
    day(capsys, "2026-02-10")
    day(capsys, "2026-02-12", "--dry-run")
    runs = json.loads(invoke(capsys, "history").out)["runs"]
    assert [(r["as_of"], r["outcome"]) for r in runs] == [
        ("2026-02-12", "dry-run"),
        ("2026-02-10", "posted"),
    ]
    assert runs[1]["posts"][0]["channel"] == "slack"
    mine = json.loads(
        invoke(capsys, "history", "--customer", "Recovering", "--as-of", "2026-02-12").out
    )
    assert [(p["as_of"], p["flag"], p["posted"]) for p in mine["past"]] == [
        ("2026-02-12", "normal", False),
        ("2026-02-10", "declining", True),
    ]


@pytest.mark.anyio
async def test_concurrent_cli_and_mcp_post_exactly_once(configure, slack):
    from mcp import Client

    from spend_monitor.launch import open_settings, services_for
    from spend_monitor.mcp.server import build_server
    from spend_monitor.settings import load_environment

    configure()
    with open_settings(load_environment(), None, False, None) as (settings, _):
        server = build_server(services_for(settings, date(2026, 2, 15)))
    cli = [str(Path(sys.executable).parent / "spend-monitor"), "digest", "--as-of", "2026-02-15"]
    results = {}

    async def by_cli():
        results["cli"] = await anyio.run_process(cli, check=False, env=dict(os.environ))

    async def by_mcp():
        async with Client(server) as client:
            results["mcp"] = await client.call_tool("post_digest", {})

    async with anyio.create_task_group() as group:
        group.start_soon(by_cli)
        group.start_soon(by_mcp)
    assert results["cli"].returncode == 0, results["cli"].stderr
    assert not results["mcp"].is_error
    assert len(slack.messages) == 1
    said = results["cli"].stderr.decode() + json.dumps(results["mcp"].structured_content)
    assert "already posted today" in said


def test_a_previous_schema_is_migrated_without_losing_rows(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO runs VALUES (1, '2026-02-10', '2026-02-09', 'local', 'auto', "
        "'posted', 'abc', '2026-02-10T14:00:00+00:00')"
    )
    db.execute(
        "INSERT INTO results VALUES (1, 'Acme', 'Acme', 'declining', 'x', 1, 2, 3, -50,"
        " 'same_days', 'local', NULL)"
    )
    db.execute(
        "INSERT INTO posts (run_id, as_of, channel, content_hash, status, created_at) "
        "VALUES (1, '2026-02-10', 'slack', 'abc', 'sent', '2026-02-10T14:00:00+00:00')"
    )
    db.commit()
    db.close()
    store = Store(path)
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    (run,) = store.runs()
    assert (run.id, run.outcome, run.posts[0]["status"]) == (1, "posted", "sent")
    (past,) = store.customer_results("Acme")
    assert (past.flag, past.change_pct, past.posted) == ("declining", -50, True)
    assert store.active_acks(date(2026, 2, 11)) == []  # the new table exists


def test_a_corrupt_database_still_prints_the_digest(capsys, configure, slack, tmp_path):
    configure()
    state = Path(os.environ["SPEND_MONITOR_STATE"])
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_bytes(b"this is not a database" * 100)
    result = day(capsys, "2026-02-15")
    assert result.code == 3
    assert result.out.startswith("📊 Customer Spend Monitor")
    assert f"state database {state} is unusable" in result.err
    assert "move it aside" in result.err
    assert "Traceback" not in result.err
    assert len(slack.messages) == 1  # the digest still goes out


def test_a_locked_database_is_a_clear_error(capsys, configure, slack, monkeypatch):
    configure()
    day(capsys, "2026-02-10")
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(os.environ["SPEND_MONITOR_STATE"], isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = day(capsys, "2026-02-15")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 3
    assert result.out.startswith("📊 Customer Spend Monitor")
    assert "database is locked" in result.err
    assert "Traceback" not in result.err


def test_stale_sending_claims_do_not_block_forever(tmp_path):
    store = Store(tmp_path / "s.db")
    digest_day = date(2026, 2, 15)
    store._db.execute(
        "INSERT INTO runs VALUES (1, ?, ?, 'local', 'auto', 'built', 'h', 'x')",
        (digest_day.isoformat(), (digest_day - timedelta(days=1)).isoformat()),
    )
    store._db.execute(
        "INSERT INTO posts (run_id, as_of, channel, content_hash, status, "
        "created_at) VALUES (1, ?, 'slack', 'h', 'sending', "
        "'2000-01-01T00:00:00+00:00')",
        (digest_day.isoformat(),),
    )
    post_id, _ = store.claim_post(1, digest_day, "slack", "h")
    assert post_id is not None


def test_a_sending_claim_of_a_dead_process_is_unknown_not_sending(tmp_path):
    import subprocess

    store = Store(tmp_path / "s.db")
    digest_day = date(2026, 2, 15)
    store._db.execute(
        "INSERT INTO runs VALUES (1, ?, ?, 'local', 'auto', 'built', 'h', 'x')",
        (digest_day.isoformat(), (digest_day - timedelta(days=1)).isoformat()),
    )
    child = subprocess.Popen(["true"])
    child.wait()
    store._db.execute(
        "INSERT INTO posts (run_id, as_of, channel, content_hash, status, created_at, owner)"
        " VALUES (1, ?, 'slack', 'h', 'sending', ?, ?)",
        (digest_day.isoformat(), store_module._now(), f"{store_module.HOST}:{child.pid}"),
    )
    post_id, _ = store.claim_post(1, digest_day, "slack", "h")
    assert post_id is not None  # a fresh claim, not "already posted" for ten minutes
    (run,) = store.runs()
    assert [p["status"] for p in run.posts] == ["unknown", "sending"]
    assert store.run_to_repost(None) == 1


def test_a_dry_run_keeps_each_customers_result_but_not_the_digest(capsys, configure, slack):
    configure()
    assert day(capsys, "2026-02-14", "--dry-run").code == 0
    assert day(capsys, "2026-02-15").code == 0
    store = Store(Path(os.environ["SPEND_MONITOR_STATE"]))
    dry, posted = sorted(store.runs(), key=lambda r: r.id)
    assert (dry.outcome, posted.outcome) == ("dry-run", "posted")
    assert [p.run_id for p in store.customer_results("Late Drop")] == [posted.id, dry.id]
    assert store.digest(posted.id).as_of == date(2026, 2, 15)
    with pytest.raises(store_module.StoreError, match=f"no recorded digest for run {dry.id}"):
        store.digest(dry.id)
    assert store._db.execute("SELECT count(*) FROM digests").fetchone()[0] == 1
    # A dry run renders no text to post, so it has no content hash.
    hashes = dict(store._db.execute("SELECT id, content_hash FROM runs").fetchall())
    assert hashes[dry.id] == ""
    assert len(hashes[posted.id]) == 64


def test_runs_older_than_state_keep_days_are_pruned(capsys, configure, slack):
    configure()
    assert day(capsys, "2026-02-15").code == 0  # run 1, posted
    path = Path(os.environ["SPEND_MONITOR_STATE"])
    digest = Store(path).digest(1)
    store = Store(path, keep_days=30)

    def record(as_of):
        return store.record_run(digest.model_copy(update={"as_of": as_of}), "local", ("h", "t"))

    record(date(2026, 3, 16))  # Feb 15 is 29 days back: kept
    assert [r.id for r in store.runs()] == [2, 1]
    record(date(2026, 3, 20))  # now 33 days back: gone, with everything it held
    assert [r.id for r in store.runs()] == [3, 2]
    assert [p.run_id for p in store.customer_results("Flat")] == [3, 2]
    for table in ("posts", "post_parts", "results", "watch_items", "digests"):
        held = store._db.execute(f"SELECT count(*) FROM {table} WHERE run_id = 1").fetchone()
        assert held[0] == 0, table

"""Posting to Slack and Telegram emulators: limits, escaping, retries, partial failure, secrets."""

import json
import logging

import pytest

from cli_helpers import invoke
from fakes.server import closed_port_url
from fakes.slack import SlackFake
from fakes.telegram import TelegramFake, parse_html

AS_OF = "2026-02-15"
SLACK_CANARY = SlackFake().token
TELEGRAM_CANARY = TelegramFake().token
ODD_NAMES = [
    "AT&T <Wholesale>",
    "<!channel>",
    "*bold*",
    "🚀 Rocket Co",
    "شركة الاتصالات",
    "Tag <b>not</b> bold",
]


def book(names, change=0.4):
    """Rows for customers whose February runs `change` above (even) or below (odd) January."""
    rows = []
    for i, name in enumerate(names):
        factor = 1 + change if i % 2 == 0 else 1 - change
        for day in range(1, 32):
            rows.append((f"2026-01-{day:02d}", name, "SMS", 100.0 + i))
        for day in range(1, 15):
            rows.append((f"2026-02-{day:02d}", name, "SMS", round((100.0 + i) * factor, 2)))
    return rows


@pytest.fixture
def setup(tmp_path, write_csv, monkeypatch, slack, telegram):
    def configure(names, slack_url=None, telegram_url=None, charts=False):
        revenue = write_csv(book(names))
        config = {
            "local": {"path": str(revenue)},
            "slack": {"dm_channel": "D0123", "api_base": (slack_url or slack.url) + "/api/"},
            "telegram": {"chat_id": "-100123", "api_base": telegram_url or telegram.url},
            "charts": charts,
        }
        path = tmp_path / "config" / "config.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(config))
        monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_CANARY)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_CANARY)

    return configure


def test_a_300_customer_digest_posts_completely_on_both(capsys, setup, slack, telegram):
    names = [f"Customer {i:03d}" for i in range(300)]
    setup(names)
    result = invoke(capsys, "digest", "--as-of", AS_OF)
    assert result.code == 0, result.err
    assert "slack: posted" in result.err
    assert "telegram: posted" in result.err
    slack_text = "\n".join(slack.texts())
    telegram_text = "\n".join(m["visible"] for m in telegram.messages)
    for name in names:
        assert name in slack_text
        assert name in telegram_text
    assert len(slack.messages) > 1  # split rather than rejected
    assert len(telegram.messages) > 1
    assert all(m["parse_mode"] == "HTML" for m in telegram.messages)
    assert all(m["link_preview_options"] == {"is_disabled": True} for m in telegram.messages)


def test_odd_names_render_escaped_everywhere(capsys, setup, slack, telegram):
    setup(ODD_NAMES)
    assert invoke(capsys, "digest", "--as-of", AS_OF).code == 0
    slack_text = "\n".join(slack.texts())
    assert "<!channel>" not in slack_text
    assert "&lt;!channel&gt;" in slack_text
    assert "AT&amp;T &lt;Wholesale&gt;" in slack_text
    assert "*bold*" not in slack_text  # would render bold; a zero-width space breaks it
    assert "\u200b*bold\u200b*" in slack_text
    visible = "\n".join(m["visible"] for m in telegram.messages)
    for name in ODD_NAMES:
        assert name in visible  # escaped in HTML, shown exactly as written
    assert "🚀 Rocket Co" in slack_text
    assert "شركة الاتصالات" in slack_text


def test_slack_429_then_success(capsys, setup, slack):
    setup(["Acme"])
    slack.fail_next("chat.postMessage", times=1, retry_after=1)
    result = invoke(capsys, "digest", "--as-of", AS_OF, "--slack-only")
    assert result.code == 0, result.err
    assert slack.count("chat.postMessage") == 2
    assert len(slack.messages) == 1


def test_telegram_flood_control_waits_as_told(capsys, setup, telegram):
    setup(["Acme"])
    telegram.flood(seconds=1)
    result = invoke(capsys, "digest", "--as-of", AS_OF, "--telegram-only")
    assert result.code == 0, result.err
    assert telegram.early_retries == 0
    assert len(telegram.messages) == 1


def test_telegram_parse_failure_falls_back_to_plain_text(capsys, setup, telegram):
    setup(["AT&T <Wholesale>"])
    telegram.reject_html = 1
    result = invoke(capsys, "digest", "--as-of", AS_OF, "--telegram-only")
    assert result.code == 0, result.err
    (message,) = telegram.messages
    assert "parse_mode" not in message
    assert "AT&T <Wholesale>" in message["text"]
    assert "<b>" not in message["text"]


@pytest.mark.parametrize("down", ["slack", "telegram"])
def test_one_channel_down_does_not_stop_the_other(capsys, setup, slack, telegram, down):
    setup(["Acme"], **{f"{down}_url": closed_port_url()})
    result = invoke(capsys, "digest", "--as-of", AS_OF)
    assert result.code == 3
    assert f"{down}: FAILED" in result.err
    working = telegram if down == "slack" else slack
    assert len(working.messages) == 1
    assert result.out.startswith("📊 Customer Spend Monitor")


def test_channel_error_codes_are_reported(capsys, setup, slack, telegram):
    setup(["Acme"])
    slack.channels = {"D9999"}
    telegram.chats = {"-1009999"}
    result = invoke(capsys, "digest", "--as-of", AS_OF)
    assert result.code == 4  # nothing reached either channel
    assert "slack: FAILED (message-1: Slack: channel_not_found — check slack.dm_channel)" in (
        result.err
    )
    assert "telegram: FAILED (message-1: Telegram: Bad Request: chat not found" in result.err


def test_charts_go_in_the_slack_thread_and_as_telegram_photos(capsys, setup, slack, telegram):
    setup(["Acme", "Globex"], charts=True)
    result = invoke(capsys, "digest", "--as-of", AS_OF)
    assert result.code == 0, result.err
    assert slack.count("files.getUploadURLExternal") == 1
    (completed,) = slack.completed
    assert completed["thread_ts"] == slack.messages[0]["ts"]
    assert all(data.startswith(b"\x89PNG") for data in slack.uploads.values())
    assert len(telegram.photos) == 1


def test_dry_run_posts_nothing(capsys, setup, slack, telegram):
    setup(["Acme"])
    result = invoke(capsys, "digest", "--as-of", AS_OF, "--dry-run")
    assert result.code == 0
    assert slack.requests == []
    assert telegram.requests == []


def test_check_verifies_both_tokens(capsys, setup, slack, telegram):
    setup(["Acme"])
    result = invoke(capsys, "check", "--as-of", AS_OF)
    assert result.code == 0, result.err
    assert "slack: token ok (spend-monitor in Example Team)" in result.out
    assert "telegram: token ok (bot @spend_monitor_bot)" in result.out
    slack.token = telegram.token = "something-else"
    telegram.token = "111:other"
    result = invoke(capsys, "check", "--as-of", AS_OF)
    assert result.code == 3
    assert "slack: rejected: Slack: invalid_auth — check SLACK_BOT_TOKEN" in result.out
    assert "telegram: rejected: Telegram: Unauthorized — check TELEGRAM_BOT_TOKEN" in result.out


def test_the_tokens_never_leak(capsys, caplog, setup, telegram):
    caplog.set_level(logging.DEBUG)
    setup(["Acme"], telegram_url=closed_port_url())
    telegram.reject_html = 0
    outputs = []
    for args in (["digest", "--as-of", AS_OF, "-vv"], ["check", "--as-of", AS_OF, "-vv"]):
        result = invoke(capsys, *args)
        outputs += [result.out, result.err]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in [*outputs, logged]:
        assert TELEGRAM_CANARY not in text
        assert TELEGRAM_CANARY.split(":")[1] not in text
        assert SLACK_CANARY not in text


def test_the_emulator_rejects_what_telegram_rejects():
    assert parse_html("AT&T")[0] is not None
    assert parse_html("a < b")[0] is not None
    assert parse_html("<br>")[0] is not None
    assert parse_html("<b>x</b> &amp; &lt;y&gt;") == (None, "x & <y>")


@pytest.mark.anyio
async def test_mcp_post_digest_takes_the_same_path(setup, slack, telegram):
    from datetime import date

    from mcp import Client

    from spend_monitor.launch import open_settings, services_for
    from spend_monitor.mcp.server import build_server
    from spend_monitor.settings import load_environment

    setup(["Acme", "<!channel>"])
    with open_settings(load_environment(), None, False, None) as (settings, _):
        services = services_for(settings, date(2026, 2, 15))
    async with services, Client(build_server(services)) as client:
        result = await client.call_tool("post_digest", {"channels": ["slack"]})
    report = result.structured_content["report"]
    assert [o["channel"] for o in report["outcomes"]] == ["slack"]
    assert report["outcomes"][0]["ok"] is True
    assert len(slack.messages) == 1
    assert telegram.messages == []
    assert "<!channel>" not in "\n".join(slack.texts())
    assert SLACK_CANARY not in json.dumps(result.structured_content)


@pytest.mark.parametrize(
    ("down", "fault", "said"),
    [
        ("slack", "502-plain-text", "FAILED"),
        # A 200 whose body cannot be read may have delivered the message: unconfirmed, and the
        # next run looks for it (Slack) or re-sends it marked (Telegram) — never "failed".
        ("slack", "200-undecodable", "UNCONFIRMED"),
        ("telegram", "200-html", "UNCONFIRMED"),
    ],
)
def test_a_garbage_answer_is_that_channels_failure_not_a_crash(
    capsys, setup, slack, telegram, down, fault, said
):
    from fakes.faults import FAULTS, FaultProxy

    upstream = slack.url if down == "slack" else telegram.url
    with FaultProxy(upstream).running() as proxy:
        proxy.always(FAULTS[fault])
        setup(["Acme"], **{f"{down}_url": proxy.url})
        result = invoke(capsys, "digest", "--as-of", AS_OF)
    assert result.code == 3
    assert f"{down}: {said}" in result.err
    assert "Traceback" not in result.err
    working = telegram if down == "slack" else slack
    assert len(working.messages) == 1


def test_a_one_customer_digest_is_posted_unmarked_and_not_deduplicated(capsys, setup, slack):
    from spend_monitor.channels.base import ONCE_ONLY_OFF

    setup(["Acme", "Globex"])
    for _ in range(2):
        result = invoke(capsys, "digest", "--as-of", AS_OF, "--customer", "Acme", "--slack-only")
        assert result.code == 0, result.err
    # Not the day's digest: neither recorded nor deduplicated, and the store was fine.
    assert len(slack.messages) == 2
    assert all(ONCE_ONLY_OFF not in m["text"] for m in slack.messages)

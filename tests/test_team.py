"""A team of 20 owners and 500 customers over the Slack and Telegram emulators: each owner's
DM holds exactly their customers, the default destination the ones nobody owns, the manager's
roll-up adds up, and posting stays once per day whatever fails."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from cli_helpers import invoke
from fakes.slack import SlackFake
from fakes.telegram import TelegramFake
from test_posting import AS_OF, book

OWNERS = 20
CUSTOMERS = 500
OWNED = 480  # customers 480..499 belong to nobody
NAME = re.compile(r"Customer \d{3}")


def customer(i: int) -> str:
    return f"Customer {i:03d}"


def owner_key(i: int) -> str:
    return f"csm{i:02d}"


def user(i: int) -> str:
    return f"U{i:03d}"


def chat(i: int) -> str:
    return f"-200{i:02d}"


def owner_of(i: int) -> int | None:
    return i % OWNERS if i < OWNED else None


@pytest.fixture
def team(tmp_path, write_csv, monkeypatch, slack: SlackFake, telegram: TelegramFake):
    """Half the owners' customers named in config, half in a CRM export (matched by any case,
    plus a row for a customer nobody knows and one the config overrides)."""
    names = [customer(i) for i in range(CUSTOMERS)]
    revenue = write_csv(book(names))
    slack.users |= {user(i) for i in range(OWNERS)}
    slack.channels |= {"C0TEAM"}
    telegram.chats |= {chat(i) for i in range(OWNERS)} | {"-999"}
    customers = [
        {"name": name, **({"owner": owner_key(owner_of(i))} if i < OWNED // 2 else {})}
        for i, name in enumerate(names)
    ]
    rows = ["customer,owner", "Customr 001,csm01", f"{customer(0)},csm05"]
    rows += [f"{customer(i).upper()},{owner_key(owner_of(i))}" for i in range(OWNED // 2, OWNED)]
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "owners.csv").write_text("\n".join(rows) + "\n")
    config = {
        "local": {"path": str(revenue)},
        "customers": customers,
        "owners_file": "owners.csv",
        "owners": {
            owner_key(i): {"name": f"Owner {i:02d}", "slack": user(i), "telegram": chat(i)}
            for i in range(OWNERS)
        },
        "team": {"slack": "C0TEAM", "telegram": "-999"},
        "slack": {"dm_channel": "D0123", "api_base": slack.url + "/api/"},
        "telegram": {"chat_id": "-100123", "api_base": telegram.url},
        "charts": False,
    }
    (tmp_path / "config" / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv("CONFIG_PATH", str(tmp_path / "config" / "config.json"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram.token)
    return config


def slack_names(slack: SlackFake, channel: str) -> set[str]:
    return {n for m in slack.in_channel(channel) for n in NAME.findall(m.get("text") or "")}


def telegram_names(telegram: TelegramFake, chat_id: str) -> set[str]:
    return {n for m in telegram.in_chat(chat_id) for n in NAME.findall(m["visible"])}


def expected(owner: int | None) -> set[str]:
    return {customer(i) for i in range(CUSTOMERS) if owner_of(i) == owner}


def test_each_owner_gets_exactly_their_book_and_the_rest_goes_to_the_default(
    capsys, team, slack, telegram
):
    result = invoke(capsys, "digest", "--as-of", AS_OF)
    assert result.code == 0, result.err
    seen: Counter[str] = Counter()
    for i in range(OWNERS):
        mine = expected(i)
        assert slack_names(slack, f"D{user(i)}") == mine
        assert telegram_names(telegram, chat(i)) == mine
        seen.update(slack_names(slack, f"D{user(i)}"))
        header = slack.in_channel(f"D{user(i)}")[0]["blocks"][0]["text"]["text"]
        assert header == f"📊 Customer Spend Monitor — Owner {i:02d} — Feb 15"
    assert max(seen.values()) == 1  # no customer in two DMs
    assert slack_names(slack, "D0123") == expected(None)
    assert telegram_names(telegram, "-100123") == expected(None)
    # The config wins over the file's row for Customer 000; the unknown row is named.
    assert customer(0) in slack_names(slack, f"D{user(0)}")
    assert "no customer 'Customr 001'" in result.err
    assert "did you mean" in result.err
    assert len(slack.in_channel("C0TEAM")) == 1
    assert len(telegram.in_chat("-999")) == 1
    assert slack.rate_limited == telegram.rate_limited == 0


def test_the_rollup_adds_up_to_the_owners_books(capsys, team, slack, telegram):
    result = invoke(capsys, "digest", "--as-of", AS_OF, "--team", "--format", "json")
    assert result.code == 0, result.err
    rollup = json.loads(result.out)
    books = [*rollup["owners"], rollup["unowned"]]
    assert [b["customers"] for b in books] == [24] * OWNERS + [20]
    assert rollup["current"] == pytest.approx(sum(b["current"] for b in books), abs=0.05)
    assert rollup["baseline"] == pytest.approx(sum(b["baseline"] for b in books), abs=0.05)
    pace = json.loads(invoke(capsys, "pace", "--as-of", AS_OF, "--limit", "500").out)
    whole = sum(p["current"] for p in pace["customers"])
    assert rollup["current"] == pytest.approx(whole, abs=0.05)
    for mover in rollup["movers"]:
        owner = owner_of(int(mover["customer"][-3:]))
        assert mover["owner"] == (None if owner is None else f"Owner {owner:02d}")
    # --team posts the roll-up alone.
    assert {m["channel"] for m in slack.messages} == {"C0TEAM"}
    team_text = slack.in_channel("C0TEAM")[0]["text"]
    assert "Customer Spend Monitor — Team — Feb 15" in team_text
    assert "Owner 07: 24 customers" in team_text


def test_a_second_run_the_same_day_posts_nothing(capsys, team, slack, telegram):
    assert invoke(capsys, "digest", "--as-of", AS_OF).code == 0
    posted = (len(slack.messages), len(telegram.messages))
    again = invoke(capsys, "digest", "--as-of", AS_OF)
    assert again.code == 0, again.err
    assert (len(slack.messages), len(telegram.messages)) == posted
    assert "already posted today" in again.err


def test_one_owners_failure_leaves_the_others_posted_and_is_named(capsys, team, slack, telegram):
    slack.users.discard(user(7))  # their Slack account is gone: no DM can be opened
    result = invoke(capsys, "digest", "--as-of", AS_OF)
    assert result.code == 3
    failed = [line for line in result.err.splitlines() if "U007" in line]
    assert failed == [
        "owner csm07 (Owner 07) on slack:U007: FAILED (message-1: Slack: user_not_found — "
        "check owners.csm07.slack)"
    ]
    for i in range(OWNERS):
        assert telegram_names(telegram, chat(i)) == expected(i)
        if i != 7:
            assert slack_names(slack, f"D{user(i)}") == expected(i)
    rollup = slack.in_channel("C0TEAM")[0]["text"]
    assert "DIGESTS NOT DELIVERED" in rollup
    assert "• Owner 07" in rollup
    # Fixed, the next run sends exactly what is missing.
    slack.users.add(user(7))
    before = len(slack.messages)
    assert invoke(capsys, "digest", "--as-of", AS_OF).code == 0
    assert [m["channel"] for m in slack.messages[before:]] == [f"D{user(7)}"]


def test_slack_rate_limiting_is_honoured_without_losing_a_post(capsys, team, slack, telegram):
    slack.fail_next("chat.postMessage", times=2, status=429, retry_after=1)
    result = invoke(capsys, "digest", "--as-of", AS_OF)
    assert result.code == 0, result.err
    channels = Counter(m["channel"] for m in slack.messages)
    assert channels == Counter(
        {f"D{user(i)}": 1 for i in range(OWNERS)} | {"D0123": 1, "C0TEAM": 1}
    )


def test_owners_lists_who_owns_what_and_who_nobody_owns(capsys, team):
    result = invoke(capsys, "owners", "--as-of", AS_OF, "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert {o["key"]: set(o["customers"]) for o in report["owners"]} == {
        owner_key(i): expected(i) for i in range(OWNERS)
    }
    assert set(report["unowned"]) == expected(None)
    assert any("Customr 001" in w for w in report["warnings"])
    text = invoke(capsys, "owners", "--as-of", AS_OF).out
    assert "csm03 (Owner 03) — 24 customers" in text
    assert "nobody owns 20 customer(s)" in text


def test_one_owners_digest_alone(capsys, team, slack, telegram):
    result = invoke(capsys, "digest", "--as-of", AS_OF, "--owner", user(4))
    assert result.code == 0, result.err
    assert set(NAME.findall(result.out)) == expected(4)
    assert {m["channel"] for m in slack.messages} == {f"D{user(4)}"}
    # The whole run later sends everyone else's, not hers again.
    assert invoke(capsys, "digest", "--as-of", AS_OF).code == 0
    assert len(slack.in_channel(f"D{user(4)}")) == 1


def test_an_owner_key_nobody_defined_is_a_config_error_naming_the_key(capsys, team, tmp_path):
    path = tmp_path / "config" / "config.json"
    config = json.loads(path.read_text())
    config["customers"][3]["owner"] = "nobody"
    path.write_text(json.dumps(config))
    result = invoke(capsys, "digest", "--as-of", AS_OF, "--dry-run")
    assert result.code == 1
    assert "customers[3].owner: 'nobody' is not a key of `owners`" in result.err
    assert "Traceback" not in result.err


def test_check_asks_each_platform_about_every_owners_destination(capsys, team, slack, telegram):
    slack.users.discard(user(2))
    telegram.chats.discard(chat(3))
    result = invoke(capsys, "check")
    assert result.code == 3
    lines = [line for line in result.out.splitlines() if line.startswith(("owner", "team"))]
    assert len(lines) == OWNERS * 2 + 2
    assert "owner csm00 (Owner 00) on slack:U000: ok — DM with U000 opens (DU000)" in lines
    assert "team roll-up on slack:C0TEAM:team: ok — channel C0TEAM (#c0team) found" in lines
    failed = [line for line in lines if "FAILED" in line]
    assert failed == [
        "owner csm02 (Owner 02) on slack:U002: FAILED — Slack: user_not_found — "
        "check owners.csm02.slack",
        "owner csm03 (Owner 03) on telegram:-20003: FAILED — Telegram: Bad Request: chat "
        "not found — check owners.csm03.telegram, and that the bot was added to the chat",
    ]
    assert slack.count("conversations.open") == OWNERS
    assert slack.count("conversations.info") == 1
    assert telegram.count("getchat") == OWNERS + 1


def test_a_dry_run_needs_no_tokens_and_an_owners_platform_must_be_set_up(
    capsys, team, monkeypatch, slack, telegram
):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    dry = invoke(capsys, "digest", "--as-of", AS_OF, "--dry-run", "--owner", "csm01")
    assert dry.code == 0, dry.err
    assert dry.out.startswith("📊 Customer Spend Monitor — Owner 01 — Feb 15")
    assert set(NAME.findall(dry.out)) == expected(1)
    result = invoke(capsys, "digest", "--as-of", AS_OF)
    assert result.code == 1
    assert "owners.csm00.telegram is set but telegram is not set up" in result.err
    assert slack.messages == []
    assert telegram.messages == []


def test_repost_sends_an_owners_failed_digest_once_fixed(capsys, team, slack, telegram):
    slack.users.discard(user(9))
    assert invoke(capsys, "digest", "--as-of", AS_OF).code == 3
    slack.users.add(user(9))
    before = len(slack.messages), len(telegram.messages)
    result = invoke(capsys, "repost")
    assert result.code == 0, result.err
    assert "owner csm09 (Owner 09) on slack:U009: posted" in result.err
    assert [m["channel"] for m in slack.messages[before[0] :]] == [f"D{user(9)}"]
    assert slack_names(slack, f"D{user(9)}") == expected(9)
    assert len(telegram.messages) == before[1]


def test_a_snooze_by_one_owner_is_counted_in_the_rollup(capsys, team, slack, telegram):
    assert invoke(capsys, "ack", "Customer 007", "--as-of", AS_OF).code == 0
    result = invoke(capsys, "digest", "--as-of", AS_OF)
    assert result.code == 0, result.err
    assert customer(7) not in slack_names(slack, f"D{user(7)}")  # hidden in the owner's DM
    rollup = slack.in_channel("C0TEAM")[0]["text"]
    # Its pace alert and its watch item are snoozed: counted apart, for its owner only.
    assert "• Owner 07: 24 customers, 23 flagged, 23 to watch, 2 snoozed — " in rollup
    snoozed = [line for line in rollup.splitlines() if "snoozed" in line]
    assert len(snoozed) == 1
    assert snoozed[0].startswith("• Owner 07")


def test_the_default_destination_is_posted_to_as_before_even_a_user_id(
    capsys, team, tmp_path, slack
):
    path = tmp_path / "config" / "config.json"
    config = json.loads(path.read_text())
    config["slack"]["dm_channel"] = "U0DEFAULT"
    path.write_text(json.dumps(config))
    slack.channels.add("U0DEFAULT")
    assert invoke(capsys, "digest", "--as-of", AS_OF).code == 0
    assert slack.count("conversations.open") == OWNERS  # the owners' DMs only
    assert slack_names(slack, "U0DEFAULT") == expected(None)

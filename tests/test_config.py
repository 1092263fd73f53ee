import json
from pathlib import Path

import pytest

from spend_monitor.config import load_config, unknown_keys
from spend_monitor.errors import ConfigError
from spend_monitor.settings import load_environment

OLD_SCRIPT_CONFIG = {
    "customers": [
        {"name": "Acme Voice", "tableau_url_name": "Acme%20Voice", "display_name": "Acme"},
        {"name": "Globex", "tableau_url_name": "Globex", "display_name": "Globex"},
    ],
    "tableau": {
        "server": "tableau.example.test",
        "site": "finance",
        "pat_name": "spend-monitor",
        "api_version": "3.19",
        "views": {
            "monthly_revenue": "Revenue/Monthly",
            "daily_revenue": "Revenue/Daily",
            "service_breakdown": "Revenue/Services",
        },
    },
    "slack": {"dm_channel": "D0123ABCD"},
    "telegram": {"chat_id": "-1001234567890"},
    "thresholds": {
        "growth_pct": 15,
        "decline_pct": -10,
        "watch_drop_pct": -25,
        "escalation_count": 3,
    },
    "a2a": {"billing_url": "http://billing.example.test/a2a"},
    "escalation_tracker_path": "./data/escalations.json",
    "engdesk_tracker_glob": "./data/engdesk/ENGDESK-*.json",
}


def write(tmp_path: Path, data: object, name: str = "config.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_the_old_scripts_config_loads_unchanged(tmp_path):
    config = load_config(write(tmp_path, OLD_SCRIPT_CONFIG))
    assert unknown_keys(config) == []
    assert config.source_chain.primary == "tableau"
    assert config.source_chain.fallback == "a2a"
    assert config.customers[0].tableau_url_name == "Acme%20Voice"
    assert config.thresholds.watch_drop_pct == -25
    assert config.thresholds.big_mover_pct == 50  # new keys take their defaults
    assert config.pace_method == "auto"
    assert config.timezone == "America/Chicago"
    assert str(config.telegram.chat_id) == "-1001234567890"


def test_unknown_keys_are_warnings_with_their_path(tmp_path):
    data = {**OLD_SCRIPT_CONFIG, "treshold": {}, "slack": {"dm_channel": "D1", "chanel": "x"}}
    data["customers"] = [{"name": "A", "dispaly_name": "a"}]
    config = load_config(write(tmp_path, data))
    assert sorted(unknown_keys(config)) == ["customers[0].dispaly_name", "slack.chanel", "treshold"]


def test_source_is_inferred_like_the_old_script(tmp_path):
    local_only = load_config(write(tmp_path, {"local": {"path": "r.csv"}}))
    assert (local_only.source_chain.primary, local_only.source_chain.fallback) == ("local", None)
    explicit = load_config(
        write(
            tmp_path,
            {
                "local": {"path": "r.csv"},
                **{k: OLD_SCRIPT_CONFIG[k] for k in ("tableau", "a2a")},
                "source": {"primary": "local", "fallback": "a2a"},
            },
        )
    )
    assert (explicit.source_chain.primary, explicit.source_chain.fallback) == ("local", "a2a")


def test_missing_file_names_the_path_and_the_fix(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.json")
    assert "nope.json not found" in str(caught.value)
    assert "CONFIG_PATH" in str(caught.value)


def test_not_json_names_line_and_column(tmp_path):
    with pytest.raises(ConfigError, match=r"not valid JSON \(line 2, column 1"):
        load_config(write(tmp_path, '{"local": {"path": "x"},\n}'))


def test_every_problem_is_reported_at_once_with_its_json_path(tmp_path):
    data = {
        "customers": [{"display_name": "no name"}, {"name": "B", "aliases": "not-a-list"}],
        "local": {"path": "r.csv"},
        "thresholds": {"growth_pct": "lots", "escalation_count": 0},
        "pace_method": "vibes",
        "timezone": "Mars/Olympus",
    }
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, data))
    problems = "\n".join(caught.value.problems)
    for path in (
        "customers[0].name",
        "customers[1].aliases",
        "thresholds.growth_pct",
        "thresholds.escalation_count",
        "pace_method",
        "timezone",
    ):
        assert f"config.json: {path}:" in problems
    assert len(caught.value.problems) == 6


def test_a_config_without_any_source_says_how_to_add_one(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, {"customers": []}))
    assert "no data source" in caught.value.problems[0]


def test_a_named_source_needs_its_section(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, {"local": {"path": "x"}, "source": "a2a"}))
    assert "source 'a2a' needs a 'a2a' section" in caught.value.problems[0]


def test_duplicate_customers_are_an_error(tmp_path):
    with pytest.raises(ConfigError, match="problem"):
        load_config(write(tmp_path, {"local": {"path": "x"}, "customers": [{"name": "A"}] * 2}))


def test_secrets_come_from_env_and_dotenv(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=from-dotenv\nDRY_RUN=true\n")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "from-env")
    env = load_environment()
    assert env.slack_bot_token.get_secret_value() == "from-dotenv"
    assert env.telegram_bot_token.get_secret_value() == "from-env"
    assert env.dry_run is True
    assert "from-env" not in repr(env)


def test_a_bad_env_value_is_a_config_error(monkeypatch):
    monkeypatch.setenv("DRY_RUN", "perhaps")
    with pytest.raises(ConfigError) as caught:
        load_environment()
    assert caught.value.problems[0].startswith("environment variable DRY_RUN:")


def problems_of(tmp_path, data):
    """The problems reported, each without the leading `<path of the file>: `."""
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [p.removeprefix(f"{path}: ") for p in caught.value.problems]


def test_inverted_thresholds_are_each_reported_with_their_path(tmp_path):
    problems = problems_of(
        tmp_path, {"local": {"path": "x"}, "thresholds": {"decline_pct": 10, "growth_pct": -5}}
    )
    assert problems == [
        "thresholds.growth_pct: -5 must be above 0 (e.g. 15)",
        "thresholds.decline_pct: 10 must be below 0 (e.g. -10)",
    ]


@pytest.mark.parametrize(
    ("thresholds", "ok"),
    [
        ({}, True),
        ({"watch_drop_pct": -10, "decline_pct": -10}, True),
        ({"watch_drop_pct": -9}, False),
        ({"big_mover_pct": 15}, True),
        ({"big_mover_pct": 14}, False),
        ({"decline_pct": -60}, False),
        ({"growth_pct": float("nan")}, False),
    ],
)
def test_thresholds_must_order_the_flags(tmp_path, thresholds, ok):
    data = {"local": {"path": "x"}, "thresholds": thresholds}
    if ok:
        loaded = load_config(write(tmp_path, data)).thresholds.model_dump()
        assert {key: loaded[key] for key in thresholds} == thresholds
    else:
        assert any(p.startswith("thresholds.") for p in problems_of(tmp_path, data))


def test_names_and_aliases_are_unique_across_customers_case_insensitively(tmp_path):
    customers = [
        {"name": "Acme", "aliases": ["ACME Corp", "acme"]},  # its own name again is fine
        {"name": "Globex", "aliases": ["acme corp"]},
        {"name": "Initech", "display_name": "GLOBEX"},
    ]
    assert problems_of(tmp_path, {"local": {"path": "x"}, "customers": customers}) == [
        "customers[1].aliases[0]: 'acme corp' already names customer 'Acme'; "
        "keep it on one of them",
        "customers[2].display_name: 'GLOBEX' already names customer 'Globex'; "
        "keep it on one of them",
    ]


def test_a_number_is_never_taken_for_a_name(tmp_path):
    data = {"local": {"path": "x"}, "customers": [{"name": 5, "aliases": [6]}]}
    assert problems_of(tmp_path, data) == [
        "customers[0].name: Input should be a valid string",
        "customers[0].aliases[0]: Input should be a valid string",
    ]


def test_closed_ticket_statuses_default_and_fold(tmp_path):
    config = load_config(write(tmp_path, {"local": {"path": "x"}}))
    assert {"resolved", "closed", "done", "won't fix", "cancelled", "duplicate"} == set(
        config.closed_ticket_statuses
    )
    custom = {"local": {"path": "x"}, "closed_ticket_statuses": ["Parked", "WONT_FIX"]}
    assert load_config(write(tmp_path, custom)).closed_ticket_statuses == ("parked", "won't fix")


def test_local_parsing_options_are_explicit(tmp_path):
    local = load_config(write(tmp_path, {"local": {"path": "x"}})).local
    assert (local.delimiter, local.header, local.decimal) == (None, True, ".")
    bad = {"local": {"path": "x", "decimal": ",", "delimiter": ","}}
    assert problems_of(tmp_path, bad) == [
        "local.delimiter: ',' cannot separate columns when it is also local.decimal"
    ]


def test_a_byte_order_mark_is_fine_in_the_config(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b'\xef\xbb\xbf{"local": {"path": "x"}}')
    assert load_config(path).local is not None

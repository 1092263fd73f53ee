"""`spend-monitor init`: a first config and .env that `check` can read, without overwriting."""

import io
import json
from datetime import date

from cli_helpers import invoke
from spend_monitor.demo import write_demo


class Terminal(io.StringIO):
    """Typed answers on a terminal."""

    def isatty(self) -> bool:
        return True


def test_init_for_a_local_file_from_flags_writes_files_check_can_read(capsys, tmp_path):
    (tmp_path / "data").mkdir()
    write_demo(tmp_path / "data", date(2026, 2, 15))
    result = invoke(
        capsys,
        "init",
        "--source",
        "local",
        "--local-path",
        "data/revenue.csv",
        "--slack-channel",
        "D0123",
    )
    assert result.code == 0, result.err
    config = json.loads((tmp_path / "config" / "config.json").read_text())
    # Written relative to the config file, which is how a config's paths are read.
    assert config == {
        "source": "local",
        "local": {"path": "../data/revenue.csv"},
        "slack": {"dm_channel": "D0123"},
    }
    env = (tmp_path / ".env").read_text()
    assert "SLACK_BOT_TOKEN=\n" in env
    assert "TABLEAU_PAT_SECRET" not in env
    # `check` ran on what was written: the data is read, the empty token is reported unset.
    assert "source: local — " in result.out
    assert "slack: section present but SLACK_BOT_TOKEN is not set" in result.out


def test_init_asks_on_a_terminal_only_for_what_is_missing(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("sys.stdin", Terminal("tableau.example.com\nspend-monitor\n\n\n"))
    result = invoke(capsys, "init", "--source", "tableau", "--tableau-view", "Revenue/Daily")
    assert "Traceback" not in result.err
    config = json.loads((tmp_path / "config" / "config.json").read_text())
    assert config["tableau"] == {
        "server": "tableau.example.com",
        "site": "",
        "pat_name": "spend-monitor",
        "views": {"daily_revenue": "Revenue/Daily"},
    }
    assert "slack" not in config
    assert (tmp_path / ".env").read_text().endswith("TABLEAU_PAT_SECRET=\n")


def test_init_without_a_terminal_names_the_missing_flags(capsys, tmp_path):
    result = invoke(capsys, "init", "--source", "tableau")
    assert result.code == 1
    assert result.err.strip() == (
        "error: init --source tableau needs --tableau-server, --tableau-pat-name, "
        "--tableau-view — give them as flags, or run init in a terminal to be asked"
    )
    assert not (tmp_path / "config").exists()


def test_init_never_overwrites_without_force(capsys, tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-keep-me\n")
    args = ("init", "--source", "sql", "--sql-table", "billing")
    refused = invoke(capsys, *args)
    assert refused.code == 1
    assert ".env already exist(s)" in refused.err
    assert (tmp_path / ".env").read_text() == "SLACK_BOT_TOKEN=xoxb-keep-me\n"
    assert not (tmp_path / "config" / "config.json").exists()
    forced = invoke(capsys, *args, "--force")
    assert "Traceback" not in forced.err
    assert json.loads((tmp_path / "config" / "config.json").read_text())["sql"] == {
        "table": "billing"
    }

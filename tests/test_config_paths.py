"""Relative paths in a config name files beside the config file, so a cron job or an agent
started anywhere reads the same files; the old script's cwd-relative paths still work, with a
warning that says what to change."""

import json
import logging
from pathlib import Path

from cli_helpers import invoke
from spend_monitor.config import load_config

CONFIG = {
    "local": {"path": "data/revenue.csv"},
    "escalation_tracker_path": "data/escalations.json",
    "engdesk_tracker_glob": "data/engdesk/*.json",
    "state_path": "state.db",
}


def write_config(folder, config=CONFIG):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def test_relative_paths_resolve_against_the_config_files_folder(tmp_path, monkeypatch, caplog):
    path = write_config(tmp_path / "conf")
    (tmp_path / "conf" / "data" / "engdesk").mkdir(parents=True)
    (tmp_path / "conf" / "data" / "revenue.csv").write_text("date,customer,service,amount\n")
    monkeypatch.chdir(tmp_path)

    config = load_config(path)

    assert config.local is not None
    assert config.local.path == tmp_path / "conf" / "data" / "revenue.csv"
    assert config.escalation_tracker_path == tmp_path / "conf" / "data" / "escalations.json"
    assert config.engdesk_tracker_glob == str(tmp_path / "conf" / "data" / "engdesk" / "*.json")
    assert config.state_path == tmp_path / "conf" / "state.db"
    assert caplog.records == []


def test_a_relative_config_path_is_anchored_too(tmp_path, monkeypatch):
    write_config(tmp_path / "conf")
    monkeypatch.chdir(tmp_path)
    assert load_config(Path("conf/config.json")).state_path == tmp_path / "conf" / "state.db"


def test_absolute_paths_are_kept(tmp_path):
    revenue = tmp_path / "elsewhere" / "revenue.csv"
    path = write_config(tmp_path / "conf", {"local": {"path": str(revenue)}})
    config = load_config(path)
    assert config.local is not None
    assert config.local.path == revenue


def test_a_path_found_only_from_the_working_directory_still_works_with_a_warning(
    tmp_path, monkeypatch, caplog
):
    """How the old script read them: the files sit beside the working directory."""
    path = write_config(tmp_path / "config")
    (tmp_path / "data" / "engdesk").mkdir(parents=True)
    (tmp_path / "data" / "revenue.csv").write_text("date,customer,service,amount\n")
    (tmp_path / "data" / "escalations.json").write_text("[]")
    (tmp_path / "data" / "engdesk" / "ENGDESK-1.json").write_text("{}")
    monkeypatch.chdir(tmp_path)

    with caplog.at_level(logging.WARNING):
        config = load_config(path)

    assert config.local is not None
    assert config.local.path == tmp_path / "data" / "revenue.csv"
    assert config.escalation_tracker_path == tmp_path / "data" / "escalations.json"
    assert config.engdesk_tracker_glob == str(tmp_path / "data" / "engdesk" / "*.json")
    assert config.state_path == tmp_path / "config" / "state.db"  # new file: beside the config
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 3
    assert (
        "local.path: 'data/revenue.csv' was found relative to the working directory" in (warned[-1])
    )
    assert all("relative to the config file or as an absolute path" in w for w in warned)


def test_a_missing_file_is_reported_where_the_config_says_it_is(tmp_path, monkeypatch, capsys):
    path = write_config(tmp_path / "conf")
    monkeypatch.chdir(tmp_path)
    result = invoke(capsys, "digest", "--config", str(path), "--dry-run")
    assert result.code == 1
    assert f"data file {tmp_path / 'conf' / 'data' / 'revenue.csv'} not found" in result.err
    assert "Traceback" not in result.err

"""`init`: a first config and `.env` for a chosen source, from a handful of answers.

What is written is validated as the program will read it before anything touches the disk, and
nothing that exists is overwritten without `force`. Secrets are never asked for or written:
`.env` gets the names to fill in, left empty (an empty variable is unset, so `check` says what
is still missing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..config import parse_config
from ..errors import UsageError

SetupSource = Literal["local", "tableau", "sql"]


class SetupAnswers(BaseModel):
    """What `init` needs to know; which fields are needed depends on the source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: SetupSource
    local_path: str | None = Field(None, description="the CSV or Parquet file (local)")
    tableau_server: str | None = Field(None, description="host name or URL (tableau)")
    tableau_site: str = Field("", description="site content URL; empty for the default site")
    tableau_pat_name: str | None = Field(None, description="personal access token name")
    tableau_view: str | None = Field(None, description="the daily revenue view, Workbook/View")
    sql_table: str | None = Field(None, description="the table with the revenue rows (sql)")
    slack_channel: str | None = Field(None, description="Slack DM or channel ID, optional")
    telegram_chat: str | None = Field(None, description="Telegram chat ID, optional")


# The answers each source needs, with the flag that gives each.
NEEDED: dict[SetupSource, dict[str, str]] = {
    "local": {"local_path": "--local-path"},
    "tableau": {
        "tableau_server": "--tableau-server",
        "tableau_pat_name": "--tableau-pat-name",
        "tableau_view": "--tableau-view",
    },
    "sql": {"sql_table": "--sql-table"},
}


def config_for(answers: SetupAnswers) -> dict[str, Any]:
    missing = [flag for key, flag in NEEDED[answers.source].items() if not getattr(answers, key)]
    if missing:
        raise UsageError(
            f"init --source {answers.source} needs {', '.join(missing)}",
            "give them as flags, or run init in a terminal to be asked",
        )
    config: dict[str, Any] = {"source": answers.source}
    if answers.source == "local":
        config["local"] = {"path": answers.local_path}
    elif answers.source == "tableau":
        config["tableau"] = {
            "server": answers.tableau_server,
            "site": answers.tableau_site,
            "pat_name": answers.tableau_pat_name,
            "views": {"daily_revenue": answers.tableau_view},
        }
    else:
        config["sql"] = {"table": answers.sql_table}
    if answers.slack_channel:
        config["slack"] = {"dm_channel": answers.slack_channel}
    if answers.telegram_chat:
        config["telegram"] = {"chat_id": answers.telegram_chat}
    return config


def env_for(answers: SetupAnswers) -> str:
    """The variables this set-up reads, left empty for the user to fill in."""
    names = {
        "TABLEAU_PAT_SECRET": answers.source == "tableau",
        "SPEND_MONITOR_SQL_URL": answers.source == "sql",
        "SLACK_BOT_TOKEN": bool(answers.slack_channel),
        "TELEGRAM_BOT_TOKEN": bool(answers.telegram_chat),
    }
    lines = ["# Secrets for spend-monitor: fill in the values; never put them in config.json."]
    lines += [f"{name}=" for name, needed in names.items() if needed]
    return "\n".join(lines) + "\n"


def write_setup(answers: SetupAnswers, config_path: Path, env_path: Path, force: bool) -> None:
    """Write both files, or neither: the config is checked first, existing files are kept."""
    config = config_for(answers)
    parse_config(config, str(config_path))
    taken = [p for p in (config_path, env_path) if p.exists()]
    if taken and not force:
        raise UsageError(
            f"{', '.join(str(p) for p in taken)} already exist(s)",
            "pass --force to replace, or --config to write elsewhere",
        )
    try:
        config_path.parent.mkdir(parents=True, exist_ok=True)
        config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        env_path.write_text(env_for(answers), encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot write {exc.filename}: {exc.strerror}", "choose a folder you can write"
        ) from None

"""`spend-monitor init`: write config/config.json and .env for a chosen source, asking on a
terminal only for what the flags did not give, then run `check` on the result."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import get_args

from ..app.setup import NEEDED, SetupAnswers, SetupSource, write_setup
from ..config import load_config
from ..errors import UsageError
from ..settings import Environment, Settings, config_path

QUESTIONS = {
    "local_path": "Revenue file (CSV or Parquet; columns date, customer, service, amount)",
    "tableau_server": "Tableau server (host name or https:// URL)",
    "tableau_pat_name": "Tableau personal access token name",
    "tableau_view": "Tableau daily revenue view (Workbook/View)",
    "sql_table": "Warehouse table with the revenue rows",
    "slack_channel": "Slack DM or channel ID to post to (Enter to skip)",
    "telegram_chat": "Telegram chat ID to post to (Enter to skip)",
}


def add_init_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="where to write it (default: $CONFIG_PATH)")
    parser.add_argument("--source", choices=get_args(SetupSource), help="where revenue comes from")
    for field in QUESTIONS:
        flag = field.replace("_", "-")
        parser.add_argument(f"--{flag}", dest=field, metavar=field.split("_")[-1].upper())
    parser.add_argument("--tableau-site", default="", metavar="SITE", help="default: no site")
    parser.add_argument("--force", action="store_true", help="replace existing files")
    parser.add_argument("-v", "--verbose", action="count", default=0)


def _ask(question: str) -> str | None:
    try:
        answer = input(f"{question}: ").strip()
    except EOFError:
        return None
    return answer or None


def _answers(args: argparse.Namespace) -> SetupAnswers:
    interactive = sys.stdin.isatty()
    source = args.source or (_ask("Source (local, tableau, sql)") if interactive else None)
    if source not in get_args(SetupSource):
        raise UsageError("init needs --source local, tableau or sql")
    values = {field: getattr(args, field) for field in QUESTIONS}
    wanted = [*NEEDED[source], "slack_channel", "telegram_chat"]  # type: ignore[index]
    for field in wanted:
        if values[field] is None and interactive:
            values[field] = _ask(QUESTIONS[field])
    return SetupAnswers(source=source, tableau_site=args.tableau_site, **values)


def _beside_config(answers: SetupAnswers, config: Path) -> SetupAnswers:
    """A file named relative to where the user stands, written relative to the config file
    (which is how paths in a config are read)."""
    if answers.local_path is None or Path(answers.local_path).is_absolute():
        return answers
    relative = os.path.relpath(Path(answers.local_path).absolute(), config.absolute().parent)
    return answers.model_copy(update={"local_path": relative})


def initialise(args: argparse.Namespace, env: Environment, then: Callable[[Settings], int]) -> int:
    """Write the files, say so, then hand the new settings to `check`."""
    target = config_path(args.config, env)
    answers = _beside_config(_answers(args), target)
    write_setup(answers, target, Path(".env"), args.force)
    print(f"wrote {target} and .env (fill in the empty values in .env)", file=sys.stderr)
    return then(Settings(load_config(target), env))

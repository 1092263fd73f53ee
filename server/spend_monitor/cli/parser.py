"""The command line's shape: `spend-monitor <command>` and the old script's flags.

Flags carry no defaults or bounds of their own: an omitted flag is None and the operation's
request model (app/requests.py) supplies the default and checks the bounds, as it does for
the MCP tools.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import NoReturn, get_args

from .. import __version__
from ..app import requests
from ..domain.models import Flag, MethodChoice, SnoozeKind
from ..errors import EXIT_USAGE
from ..launch import add_common_options, as_of_date
from ..render import DigestFormat


class Parser(argparse.ArgumentParser):
    """Usage errors exit 1 (the old script's convention), not argparse's 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month; use YYYY-MM") from None


def _days(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use day numbers like 7,14,21") from None


OWNER_HELP = "only this owner's customers (owner key or Slack user ID)"


def _digest_options(parser: argparse.ArgumentParser) -> None:
    add_common_options(parser)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="compute everything, post nothing (also DRY_RUN=true)",
    )
    parser.add_argument(
        "--output", type=Path, metavar="FILE", help="write the digest to FILE instead of stdout"
    )
    parser.add_argument(
        "--customer", metavar="NAME", help="only this customer (name, display name or alias)"
    )
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--slack-only", action="store_true", help="post to Slack only")
    only.add_argument("--telegram-only", action="store_true", help="post to Telegram only")
    parser.add_argument(
        "--format",
        choices=get_args(DigestFormat),
        default="text",
        help="output format (default: text)",
    )
    parser.add_argument(
        "--method",
        choices=get_args(MethodChoice),
        help="pace method (default: the config's pace_method, else auto)",
    )
    parser.add_argument("--charts", type=Path, metavar="DIR", help="also write the charts to DIR")
    parser.add_argument(
        "--force", action="store_true", help="post even if this digest was already posted today"
    )
    parser.add_argument(
        "--deadline",
        type=float,
        metavar="SECONDS",
        help="the whole run ends within this (default: the config's deadline_seconds, 300)",
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--owner", metavar="KEY", help=OWNER_HELP + ", posted to their destinations")
    who.add_argument(
        "--team", action="store_true", help="only the team roll-up, to the `team` destinations"
    )


def build_parser(prog: str = "spend-monitor") -> Parser:
    parser = Parser(prog=prog, description="Customer revenue pace, drivers and a daily digest.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    _digest_options(commands.add_parser("digest", help="build the digest, print it and post it"))
    add_common_options(commands.add_parser("check", help="validate the config and show set-up"))

    owners = commands.add_parser(
        "owners", help="who owns which customer, and the customers nobody owns"
    )
    add_common_options(owners)
    owners.add_argument("--format", choices=["text", "json"], default="text")

    serve = commands.add_parser("serve", help="run the MCP server (same as spend-monitor-mcp)")
    add_common_options(serve)
    from ..mcp.transport import add_server_options

    add_server_options(serve)

    pace = commands.add_parser("pace", help="pace as JSON, largest dollar move first")
    add_common_options(pace)
    pace.add_argument("--customer", metavar="NAME")
    pace.add_argument("--flag", choices=get_args(Flag))
    pace.add_argument("--limit", type=int, help=f"page size (default {requests.PAGE_SIZE})")
    pace.add_argument("--offset", type=int, help="start of the page (default 0)")
    pace.add_argument("--owner", metavar="KEY", help=OWNER_HELP)

    breakdown = commands.add_parser("breakdown", help="one customer's service lines as JSON")
    add_common_options(breakdown)
    breakdown.add_argument("customer", metavar="CUSTOMER")

    watch = commands.add_parser("watch", help="the watch list as JSON")
    add_common_options(watch)
    watch.add_argument("--owner", metavar="KEY", help=OWNER_HELP)

    history = commands.add_parser(
        "history", help="past runs and posts; with --customer, its daily revenue and past flags"
    )
    add_common_options(history)
    history.add_argument("--customer", metavar="NAME")
    history.add_argument(
        "--days", type=int, help=f"days of daily revenue (default {requests.HISTORY_DAYS})"
    )
    history.add_argument("--limit", type=int, help=f"runs to show (default {requests.RUNS_SHOWN})")

    repost = commands.add_parser("repost", help="re-send a recorded digest where it failed")
    add_common_options(repost)
    which = repost.add_mutually_exclusive_group()
    which.add_argument("--run", type=int, metavar="ID", help="run id (see history)")
    which.add_argument(
        "--date",
        type=as_of_date,
        metavar="YYYY-MM-DD",
        dest="run_date",
        help="the latest run of that day with a failed post",
    )

    back = commands.add_parser("backtest", help="how each pace method would have done")
    add_common_options(back)
    back.add_argument("--from", dest="start", type=_month, required=True, metavar="YYYY-MM")
    back.add_argument("--to", dest="end", type=_month, required=True, metavar="YYYY-MM")
    back.add_argument(
        "--days",
        type=_days,
        metavar="7,14,21",
        help="checkpoint days of the month (default 7,14,21)",
    )
    back.add_argument("--format", choices=["text", "json"], default="text")

    ack = commands.add_parser("ack", help="snooze a customer's alerts")
    add_common_options(ack)
    ack.add_argument("customer", metavar="CUSTOMER")
    ack.add_argument("--kind", choices=get_args(SnoozeKind), help="only this kind of alert")
    ack.add_argument("--days", type=int, help=f"how long (default {requests.SNOOZE_DAYS})")
    ack.add_argument("--note", help="why, for the record")

    add_common_options(commands.add_parser("customers", help="the monitored customers as JSON"))

    from .init import add_init_options

    add_init_options(
        commands.add_parser("init", help="write config/config.json and .env, then check them")
    )
    return parser


def legacy_parser() -> Parser:
    """`customer-spend-monitor`: the old script's interface, same as `spend-monitor digest`."""
    parser = Parser(
        prog="customer-spend-monitor",
        description="Customer spend digest (the old script's flags still work).",
    )
    _digest_options(parser)
    parser.set_defaults(command="digest")
    return parser

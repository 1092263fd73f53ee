"""What both front ends do to start: the options every command takes, the settings they name
(the user's config or the embedded demo's), and the services over them.

The CLI and the MCP server each import this; neither imports the other.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from .app.services import Services
from .clock import today_in
from .config import DEFAULT_TIMEZONE, Config, load_config
from .errors import EXIT_USAGE, ConfigError, SpendMonitorError
from .logs import crash_report, redact, setup_logging
from .settings import Environment, Settings, config_path, isolated_environment, load_environment

EXIT_INTERRUPTED = 130


def as_of_date(text: str) -> date:
    """`--as-of`: a calendar date the program can reason about (years 1900–2999)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None
    if not 1900 <= day.year <= 2999:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range; use a year from 1900 to 2999")
    return day


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, help="config file (default: $CONFIG_PATH, then ./config/config.json)"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use the embedded demo data instead of a config (no accounts needed)",
    )
    parser.add_argument(
        "--as-of",
        type=as_of_date,
        metavar="YYYY-MM-DD",
        help="digest date (default: today in the configured timezone)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log progress to stderr (-vv for debug)"
    )


@contextmanager
def open_settings(
    env: Environment, config: Path | None, demo: bool, as_of: date | None
) -> Iterator[tuple[Settings, date | None]]:
    """The settings to run with and the as-of date they fix: the demo's are written to a
    temporary folder for the given (or today's) date and removed afterwards."""
    if demo:
        from .demo import demo_config, write_demo

        day = as_of or today_in(DEFAULT_TIMEZONE)
        with tempfile.TemporaryDirectory(prefix="spend-monitor-demo-") as tmp:
            yield Settings(demo_config(write_demo(Path(tmp), day)), env), day
    else:
        yield Settings(load_config(config_path(config, env)), env), as_of


def run_front_end(args: argparse.Namespace, body: Callable[[Environment], int]) -> int:
    """Start as every front end does (environment, logging), run `body`, and turn whatever
    goes wrong into one line on stderr and an exit status — never a traceback."""
    secrets: list[str] = []
    try:
        env = load_environment()
        secrets = env.secrets()
        setup_logging(args.verbose, secrets)
        return body(env)
    except ConfigError as exc:
        for problem in exc.problems:
            _note(redact(f"error: {problem}", secrets))
        return exc.exit_code
    except SpendMonitorError as exc:
        _note(redact(f"error: {exc}", secrets))
        return exc.exit_code
    except KeyboardInterrupt:
        _note("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        where = crash_report(exc, secrets)
        _note(f"error: unexpected {type(exc).__name__} — a bug; the full trace is in {where}")
        return EXIT_USAGE


def _note(message: str) -> None:
    print(message, file=sys.stderr)


def services_for(settings: Settings, as_of: date | None) -> Services:
    """Services whose "today" is `as_of` when given, else today in the configured zone."""
    zone = settings.config.timezone
    return Services(settings, today=lambda: as_of or today_in(zone))


def embedded(config: Config, as_of: date, **env: object) -> Services:
    """Services for a program that embeds the monitor (or a test): the given config, only
    the given environment values (no process variables, no `.env`), and a fixed as-of date."""
    return services_for(Settings(config, isolated_environment(**env)), as_of)

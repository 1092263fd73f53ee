"""The `spend-monitor` command line, and `customer-spend-monitor` with the old script's flags.

Each command calls one use case in app/; any `SpendMonitorError` becomes a one-line message on
stderr and the exit status its class names (errors.py): 0 ok, 1 bad config, data or usage, 3
partial, 4 nothing could be fetched or posted. Anything unexpected is one line too, with the
full trace written to a file the line names.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

import anyio

from ..app.diagnostics import config_warnings
from ..app.services import Services
from ..errors import ConfigError, SpendMonitorError
from ..launch import open_settings, services_for
from ..logs import crash_report, redact, setup_logging
from ..settings import load_environment
from .commands import COMMANDS, note
from .parser import build_parser, legacy_parser

EXIT_INTERRUPTED = 130


def _execute(args: argparse.Namespace, services: Services) -> int:
    """Run the command in one event loop; only its exit status comes back out."""

    async def go() -> int:
        async with services:
            command = COMMANDS[args.command](args, services)
            if sys.stderr.isatty():
                from rich.console import Console

                with Console(stderr=True).status("Working…"):
                    return await command
            return await command

    return anyio.run(go)


def run(args: argparse.Namespace) -> int:
    secrets: list[str] = []
    try:
        env = load_environment()
        secrets = env.secrets()
        setup_logging(args.verbose, secrets)
        with open_settings(env, args.config, args.demo, args.as_of) as (settings, as_of):
            if args.command == "serve":
                from ..mcp.transport import ServeOptions, serve

                return serve(ServeOptions.from_args(args), settings, as_of)
            services = services_for(settings, as_of)
            for warning in config_warnings(services):
                note(f"warning: {warning}")
            return _execute(args, services)
    except ConfigError as exc:
        for problem in exc.problems:
            note(redact(f"error: {problem}", secrets))
        return exc.exit_code
    except SpendMonitorError as exc:
        note(redact(f"error: {exc}", secrets))
        return exc.exit_code
    except KeyboardInterrupt:
        note("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        where = crash_report(exc, secrets)
        note(f"error: unexpected {type(exc).__name__} — a bug; the full trace is in {where}")
        return 1


def main(argv: Sequence[str] | None = None) -> NoReturn:
    sys.exit(run(build_parser().parse_args(argv)))


def legacy_main(argv: Sequence[str] | None = None) -> NoReturn:
    sys.exit(run(legacy_parser().parse_args(argv)))


__all__ = ["build_parser", "legacy_parser", "main", "run"]

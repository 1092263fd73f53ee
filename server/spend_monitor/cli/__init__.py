"""The `spend-monitor` command line, and `customer-spend-monitor` with the old script's flags.

Each command calls one use case in app/; any `SpendMonitorError` becomes a one-line message on
stderr and the exit status its class names (errors.py): 0 ok, 1 bad config, data or usage, 3
partial, 4 nothing could be fetched or posted. Anything unexpected is one line too, with the
full trace written to a file the line names.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from typing import NoReturn

import anyio

from ..app.diagnostics import config_warnings
from ..app.services import Services
from ..launch import open_settings, run_front_end, services_for
from ..settings import Environment, Settings
from .commands import COMMANDS, note
from .init import initialise
from .parser import build_parser, legacy_parser


def _checking(settings: Settings) -> Services:
    return services_for(settings, None)


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


def _tolerant_output() -> None:
    """A terminal or pipe that cannot encode an emoji gets a `?` for it, not a crash."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def run(args: argparse.Namespace) -> int:
    _tolerant_output()

    def body(env: Environment) -> int:
        if args.command == "init":
            return initialise(args, env, lambda settings: _execute(args, _checking(settings)))
        with open_settings(env, args.config, args.demo, args.as_of) as (settings, as_of):
            if args.command == "serve":
                from ..mcp.transport import ServeOptions, serve

                return serve(ServeOptions.from_args(args), settings, as_of)
            services = services_for(settings, as_of)
            for warning in config_warnings(services):
                note(f"warning: {warning}")
            return _execute(args, services)

    return run_front_end(args, body)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    sys.exit(run(build_parser().parse_args(argv)))


def legacy_main(argv: Sequence[str] | None = None) -> NoReturn:
    sys.exit(run(legacy_parser().parse_args(argv)))


__all__ = ["build_parser", "legacy_parser", "main", "run"]

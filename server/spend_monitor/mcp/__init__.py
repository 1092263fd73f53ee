"""`spend-monitor-mcp`: the MCP server, with the same common options as `spend-monitor serve`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from ..launch import add_common_options, open_settings, run_front_end
from ..settings import Environment
from .transport import ServeOptions, add_server_options, serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spend-monitor-mcp",
        description="The Customer Spend Monitor MCP server (stdio by default, or HTTP).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_common_options(parser)
    add_server_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> NoReturn:
    args = build_parser().parse_args(argv)

    def body(env: Environment) -> int:
        with open_settings(env, args.config, args.demo, args.as_of) as (settings, as_of):
            return serve(ServeOptions.from_args(args), settings, as_of)

    sys.exit(run_front_end(args, body))

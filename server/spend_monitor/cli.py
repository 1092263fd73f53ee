"""The `spend-monitor` command line, and `customer-spend-monitor` with the old script's flags.

Each command calls one `SpendMonitor` method; a `SpendMonitorError` becomes a one-line message
on stderr and an exit status: 0 ok, 1 config or usage error, 3 partial (data missing).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import NoReturn, TypeVar, get_args

import anyio
from pydantic import BaseModel

from . import __version__
from .clock import today_in
from .config import DEFAULT_TIMEZONE, Config, Environment, load_config, load_environment
from .domain.models import Flag, MethodChoice
from .errors import ConfigError, SpendMonitorError
from .logs import redact, setup_logging
from .monitor import RENDERERS, DigestFormat, SnoozeKind, SpendMonitor
from .views import CheckReport

EXIT_OK, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 3
T = TypeVar("T")


class Parser(argparse.ArgumentParser):
    """Usage errors exit 1 (the old script's convention), not argparse's 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month; use YYYY-MM") from None


def _days(text: str) -> list[int]:
    try:
        days = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use day numbers like 7,14,21") from None
    if not all(1 <= d <= 31 for d in days):
        raise argparse.ArgumentTypeError("checkpoint days run from 1 to 31")
    return days


def _common(parser: argparse.ArgumentParser) -> None:
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
        type=_as_of,
        metavar="YYYY-MM-DD",
        help="digest date (default: today in the configured timezone)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log progress to stderr (-vv for debug)"
    )


def build_parser(prog: str = "spend-monitor") -> Parser:
    parser = Parser(prog=prog, description="Customer revenue pace, drivers and a daily digest.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    digest = commands.add_parser("digest", help="build the digest, print it and post it")
    _digest_options(digest)

    check = commands.add_parser("check", help="validate the config and show what is set up")
    _common(check)

    serve = commands.add_parser("serve", help="run the MCP server (same as spend-monitor-mcp)")
    _common(serve)
    from .mcp_options import add_server_options

    add_server_options(serve)

    pace = commands.add_parser("pace", help="pace as JSON, largest dollar move first")
    _common(pace)
    pace.add_argument("--customer", metavar="NAME")
    pace.add_argument("--flag", choices=get_args(Flag))
    pace.add_argument("--limit", type=int, default=50)
    pace.add_argument("--offset", type=int, default=0)

    breakdown = commands.add_parser("breakdown", help="one customer's service lines as JSON")
    _common(breakdown)
    breakdown.add_argument("customer", metavar="CUSTOMER")

    watch = commands.add_parser("watch", help="the watch list as JSON")
    _common(watch)

    history = commands.add_parser(
        "history", help="past runs and posts; with --customer, its daily revenue and past flags"
    )
    _common(history)
    history.add_argument("--customer", metavar="NAME")
    history.add_argument("--days", type=int, default=60)
    history.add_argument("--limit", type=int, default=20, help="runs to show")

    repost = commands.add_parser("repost", help="re-send a recorded digest where it failed")
    _common(repost)
    which = repost.add_mutually_exclusive_group()
    which.add_argument("--run", type=int, metavar="ID", help="run id (see history)")
    which.add_argument(
        "--date",
        type=_as_of,
        metavar="YYYY-MM-DD",
        dest="run_date",
        help="the latest run of that day with a failed post",
    )

    back = commands.add_parser("backtest", help="how each pace method would have done")
    _common(back)
    back.add_argument("--from", dest="start", type=_month, required=True, metavar="YYYY-MM")
    back.add_argument("--to", dest="end", type=_month, required=True, metavar="YYYY-MM")
    back.add_argument(
        "--days",
        type=_days,
        default=[7, 14, 21],
        metavar="7,14,21",
        help="checkpoint days of the month (default 7,14,21)",
    )
    back.add_argument("--format", choices=["text", "json"], default="text")

    ack = commands.add_parser("ack", help="snooze a customer's alerts")
    _common(ack)
    ack.add_argument("customer", metavar="CUSTOMER")
    ack.add_argument(
        "--kind",
        choices=get_args(SnoozeKind),
        help="only this kind of alert",
    )
    ack.add_argument("--days", type=int, default=7, help="how long (default 7)")
    ack.add_argument("--note", help="why, for the record")

    customers = commands.add_parser("customers", help="the monitored customers as JSON")
    _common(customers)
    return parser


def _digest_options(parser: argparse.ArgumentParser) -> None:
    _common(parser)
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


def legacy_parser() -> Parser:
    """`customer-spend-monitor`: the old script's interface, same as `spend-monitor digest`."""
    parser = Parser(
        prog="customer-spend-monitor",
        description="Customer spend digest (the old script's flags still work).",
    )
    _digest_options(parser)
    parser.set_defaults(command="digest")
    return parser


@contextmanager
def _configured(args: argparse.Namespace, env: Environment) -> Iterator[Config]:
    """The config to run with: the demo's (written to a temp dir) or the user's file."""
    if args.demo:
        from .demo import demo_config, write_demo

        with tempfile.TemporaryDirectory(prefix="spend-monitor-demo-") as tmp:
            as_of = args.as_of or today_in(DEFAULT_TIMEZONE)
            args.as_of = as_of
            yield demo_config(write_demo(Path(tmp), as_of))
    else:
        yield load_config(args.config or env.config_path)


def _run(monitor: SpendMonitor, step: Callable[[], Awaitable[T]], label: str) -> T:
    async def go() -> T:
        try:
            if sys.stderr.isatty():
                from rich.console import Console

                with Console(stderr=True).status(label):
                    return await step()
            return await step()
        finally:
            await monitor.aclose()

    return anyio.run(go)


def _day(args: argparse.Namespace, monitor: SpendMonitor) -> date:
    """The as-of date: --as-of, else today in the configured time zone."""
    as_of: date = args.as_of or today_in(monitor.config.timezone)
    return as_of


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}", "check --output") from None


def _note(message: str) -> None:
    print(message, file=sys.stderr)


def cmd_digest(args: argparse.Namespace, monitor: SpendMonitor, env: Environment) -> int:
    as_of = _day(args, monitor)
    only = {"slack"} if args.slack_only else {"telegram"} if args.telegram_only else None
    run, report = _run(
        monitor,
        lambda: monitor.publish(
            as_of,
            channels=only,
            dry_run=args.dry_run or env.dry_run or args.demo,
            charts_dir=args.charts,
            customer=args.customer,
            method=args.method,
            force=args.force,
        ),
        "Building the digest…",
    )
    _emit(RENDERERS[args.format](run.digest), args.output)
    if args.output:
        _note(f"digest written to {args.output}")
    if args.charts:
        _note(f"{len(report.charts)} chart(s) written to {args.charts}")
    _note(report.message)
    for pace in run.digest.unavailable:
        _note(f"warning: {pace.display_name}: data unavailable — {pace.error}")
    for problem in run.digest.errors:
        _note(f"warning: {problem}")
    return EXIT_PARTIAL if run.partial or report.failed else EXIT_OK


def _print_check(report: CheckReport) -> None:
    out = sys.stdout.write
    out(f"source: {report.source.source} — {report.source.detail}\n")
    out(f"customers: {', '.join(report.customers) or 'all customers found in the data'}\n")
    for channel in report.channels:
        out(f"{channel.channel}: {channel.detail}\n")
    for line in report.trackers:
        out(f"trackers: {line}\n")


def cmd_check(args: argparse.Namespace, monitor: SpendMonitor, env: Environment) -> int:
    as_of = _day(args, monitor)
    report = _run(monitor, lambda: monitor.check(as_of), "Checking…")
    _print_check(report)
    return EXIT_OK if report.ok else EXIT_PARTIAL


def _print_model(model: BaseModel) -> None:
    sys.stdout.write(model.model_dump_json(indent=2) + "\n")


def cmd_query(args: argparse.Namespace, monitor: SpendMonitor, env: Environment) -> int:
    """The questions the MCP tools answer, answered the same way on the command line."""
    as_of = _day(args, monitor)

    async def history() -> BaseModel:
        if args.customer:
            return await monitor.history(args.customer, as_of, args.days)
        return monitor.run_history(args.limit)

    queries: dict[str, Callable[[], Awaitable[BaseModel]]] = {
        "pace": lambda: monitor.pace(as_of, args.customer, args.flag, args.limit, args.offset),
        "breakdown": lambda: monitor.breakdown(args.customer, as_of),
        "watch": lambda: monitor.watch(as_of),
        "history": history,
        "customers": lambda: monitor.list_customers(as_of),
        "ack": lambda: monitor.acknowledge(args.customer, as_of, args.kind, args.days, args.note),
    }
    _print_model(_run(monitor, queries[args.command], "Fetching…"))
    return EXIT_OK


def cmd_backtest(args: argparse.Namespace, monitor: SpendMonitor, env: Environment) -> int:
    if args.end < args.start:
        raise ConfigError("--to is before --from", "give the months in order")
    report = _run(
        monitor, lambda: monitor.backtest(args.start, args.end, args.days), "Replaying months…"
    )
    if args.format == "json":
        data = {
            "from": report.start,
            "to": report.end,
            "days": report.days,
            "methods": {
                name: score.model_dump(include={"n", "mdape", "mape", "false_alarm_rate"})
                for name, score in report.methods.items()
            },
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return EXIT_OK
    sys.stdout.write(
        f"Backtest {report.start} to {report.end}, days {report.days}, "
        f"{report.customers} customers\n"
        f"{'method':<10} {'n':>6} {'MdAPE':>8} {'MAPE':>8} {'false alarms':>13}\n"
    )
    for name, score in report.methods.items():

        def pct(value: float | None) -> str:
            return "—" if value is None else f"{value:.1%}"

        sys.stdout.write(
            f"{name:<10} {score.n:>6} {pct(score.mdape):>8} {pct(score.mape):>8} "
            f"{pct(score.false_alarm_rate):>8} of {score.stable_cases}\n"
        )
    return EXIT_OK


def cmd_repost(args: argparse.Namespace, monitor: SpendMonitor, env: Environment) -> int:
    report = _run(monitor, lambda: monitor.repost(args.run, args.run_date), "Re-sending…")
    _note(report.message)
    return EXIT_PARTIAL if report.failed else EXIT_OK


def cmd_serve(args: argparse.Namespace, monitor: SpendMonitor, env: Environment) -> int:
    from .mcp_server import serve

    return serve(args, monitor)


COMMANDS: dict[str, Callable[[argparse.Namespace, SpendMonitor, Environment], int]] = {
    "digest": cmd_digest,
    "check": cmd_check,
    "serve": cmd_serve,
    **dict.fromkeys(("pace", "breakdown", "watch", "history", "customers", "ack"), cmd_query),
    "repost": cmd_repost,
    "backtest": cmd_backtest,
}


def run(args: argparse.Namespace) -> int:
    secrets: list[str] = []
    try:
        env = load_environment()
        secrets = env.secrets()
        setup_logging(args.verbose, secrets)
        with _configured(args, env) as config:
            monitor = SpendMonitor(config, env)
            for warning in monitor.config_warnings():
                _note(f"warning: {warning}")
            return COMMANDS[args.command](args, monitor, env)
    except ConfigError as exc:
        for problem in exc.problems:
            _note(redact(f"error: {problem}", secrets))
        return EXIT_USAGE
    except SpendMonitorError as exc:
        _note(redact(f"error: {exc}", secrets))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _note("interrupted")
        return 130


def main(argv: Sequence[str] | None = None) -> NoReturn:
    sys.exit(run(build_parser().parse_args(argv)))


def legacy_main(argv: Sequence[str] | None = None) -> NoReturn:
    sys.exit(run(legacy_parser().parse_args(argv)))

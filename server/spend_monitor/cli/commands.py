"""One function per command: build the operation's request from the flags, call one use case,
print its answer, and return the exit status. Everything big stays inside the event loop."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..app import acknowledge, backtest, diagnostics, publishing, questions, team
from ..app.answers import CheckReport
from ..app.requests import (
    AckRequest,
    BacktestRequest,
    BreakdownRequest,
    CheckRequest,
    CustomersRequest,
    HistoryRequest,
    OwnersRequest,
    PaceRequest,
    PostRequest,
    RepostRequest,
    Request,
    RunsRequest,
    WatchRequest,
    parse,
)
from ..app.services import Services
from ..domain.backtest import BacktestReport
from ..errors import EXIT_OK, EXIT_PARTIAL, ConfigError, UsageError
from ..render import render_chunks
from ..render.text import render_rollup_text

Command = Callable[[argparse.Namespace, Services], Awaitable[int]]


def given(args: argparse.Namespace, *names: str, **renamed: str) -> dict[str, Any]:
    """The flags the user gave (None means "not given": the request's default applies);
    `renamed` maps a request field to the flag's dest where they differ."""
    fields = {name: name for name in names} | renamed
    values = {field: getattr(args, dest, None) for field, dest in fields.items()}
    return {field: value for field, value in values.items() if value is not None}


def note(message: str) -> None:
    print(message, file=sys.stderr)


def check_output(output: Path | None) -> None:
    """--output must be writable before anything is fetched or posted."""
    if output is None:
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(
            f"cannot write --output {output}: {exc.strerror or type(exc).__name__}",
            "give a file in a folder you can write",
        ) from None


def emit(text: str | Iterable[str], output: Path | None) -> None:
    """Write the text, or its pieces one after another, to stdout or `output`."""
    chunks = (text,) if isinstance(text, str) else text
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as sink:
            for chunk in chunks:
                sink.write(chunk)
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}", "check --output") from None


def print_model(model: BaseModel) -> None:
    sys.stdout.write(model.model_dump_json(indent=2) + "\n")


async def digest(args: argparse.Namespace, services: Services) -> int:
    only = ["slack"] if args.slack_only else ["telegram"] if args.telegram_only else None
    request = parse(
        PostRequest,
        {
            **given(args, "as_of", "customer", "method", charts_dir="charts"),
            "channels": only,
            "dry_run": args.dry_run or args.demo,
            "force": args.force,
            "team": args.team,
            **given(args, "deadline", "owner"),
        },
    )
    check_output(args.output)
    run, report = await publishing.publish(services, request)
    if args.team and report.rollup is not None:
        rollup = report.rollup
        emit(
            rollup.model_dump_json(indent=2) + "\n"
            if args.format == "json"
            else render_rollup_text(rollup),
            args.output,
        )
    else:
        emit(render_chunks(args.format, run.digest), args.output)
    if args.output:
        note(f"digest written to {args.output}")
    if args.charts:
        note(f"{len(report.charts)} chart(s) written to {args.charts}")
    if any(d.destination for d in report.deliveries):
        for delivery in report.deliveries:  # a team's run: one line per destination
            note(publishing.describe([delivery]))
    else:
        note(report.message)
    for pace in run.digest.unavailable:
        note(f"warning: {pace.display_name}: data unavailable — {pace.error}")
    for problem in [*run.digest.errors, *report.warnings]:
        note(f"warning: {problem}")
    return publishing.exit_status(run.partial, report)


def _print_check(report: CheckReport) -> None:
    out = sys.stdout.write
    out(f"source: {report.source.source} — {report.source.detail}\n")
    out(f"customers: {', '.join(report.customers) or 'all customers found in the data'}\n")
    for channel in report.channels:
        out(f"{channel.channel}: {channel.detail}\n")
    for destination in report.destinations:
        verdict = "ok" if destination.verified else "FAILED"
        out(f"{destination.destination}: {verdict} — {destination.detail}\n")
    for line in report.coverage:
        out(f"coverage: {line}\n")
    for line in report.trackers:
        out(f"trackers: {line}\n")


async def owners(args: argparse.Namespace, services: Services) -> int:
    report = await team.list_owners(services, parse(OwnersRequest, given(args, "as_of")))
    if args.format == "json":
        print_model(report)
        return EXIT_OK
    out = sys.stdout.write
    for book in report.owners:
        where = ", ".join(
            f"{k} {v}" for k, v in (("slack", book.slack), ("telegram", book.telegram)) if v
        )
        out(
            f"{book.key} ({book.name}) — {len(book.customers)} customers, {book.flagged} "
            f"flagged, {book.watch} to watch — {where or 'no destination'}\n"
        )
        for name in book.customers:
            out(f"  {name}\n")
    out(f"nobody owns {len(report.unowned)} customer(s)" + (":\n" if report.unowned else "\n"))
    for name in report.unowned:
        out(f"  {name}\n")
    for warning in report.warnings:
        note(f"warning: {warning}")
    return EXIT_OK


async def check(args: argparse.Namespace, services: Services) -> int:
    report = await diagnostics.check(services, parse(CheckRequest, given(args, "as_of")))
    _print_check(report)
    return EXIT_OK if report.ok else EXIT_PARTIAL


def _answer(
    request: type[Request], ask: Callable[[Services, Any], Awaitable[BaseModel]]
) -> Command:
    """A command that prints one use case's answer as JSON."""

    async def command(args: argparse.Namespace, services: Services) -> int:
        fields = request.model_fields
        print_model(await ask(services, parse(request, given(args, *fields))))
        return EXIT_OK

    return command


async def history(args: argparse.Namespace, services: Services) -> int:
    if args.customer:
        request = parse(HistoryRequest, given(args, "customer", "days", "as_of"))
        print_model(await questions.history(services, request))
    else:
        print_model(questions.runs(services, parse(RunsRequest, given(args, "limit"))))
    return EXIT_OK


async def repost(args: argparse.Namespace, services: Services) -> int:
    request = parse(RepostRequest, given(args, "run", day="run_date"))
    report = await publishing.repost(services, request)
    note(report.message)
    return report.exit_code


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _print_backtest(report: BacktestReport, fmt: str) -> None:
    if fmt == "json":
        data = {
            "from": report.start,
            "to": report.end,
            "days": report.days,
            "methods": {
                name: score.model_dump(include={"n", "mdape", "mape", "false_alarm_rate"})
                for name, score in report.methods.items()
            },
            "incomplete_months": report.incomplete_months,
            "partial_day_exclusions": report.partial_day_exclusions,
            "coverage_cases": report.coverage_cases,
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    sys.stdout.write(
        f"Backtest {report.start} to {report.end}, days {report.days}, "
        f"{report.customers} customers\n"
        f"{'method':<10} {'n':>6} {'MdAPE':>8} {'MAPE':>8} {'false alarms':>13}\n"
    )
    for name, score in report.methods.items():
        sys.stdout.write(
            f"{name:<10} {score.n:>6} {_pct(score.mdape):>8} {_pct(score.mape):>8} "
            f"{_pct(score.false_alarm_rate):>8} of {score.stable_cases}\n"
        )
    if report.incomplete_months:
        months = ", ".join(report.incomplete_months)
        sys.stdout.write(f"not scored (the data ends inside them): {months}\n")


async def run_backtest(args: argparse.Namespace, services: Services) -> int:
    request = parse(BacktestRequest, given(args, "start", "end", "days"))
    _print_backtest(await backtest.backtest(services, request), args.format)
    return EXIT_OK


COMMANDS: dict[str, Command] = {
    "digest": digest,
    "check": check,
    "owners": owners,
    "pace": _answer(PaceRequest, questions.pace),
    "breakdown": _answer(BreakdownRequest, questions.breakdown),
    "watch": _answer(WatchRequest, questions.watch),
    "customers": _answer(CustomersRequest, questions.customers),
    "ack": _answer(AckRequest, acknowledge.acknowledge),
    "history": history,
    "repost": repost,
    "backtest": run_backtest,
    "init": check,  # after writing the files, `init` checks them
}

"""`check`: is the set-up right? The config's likely typos, the source, the channels' tokens
(asked of Slack and Telegram themselves) and the trackers, in one report."""

from __future__ import annotations

from datetime import date

from ..config import unknown_keys
from ..domain.coverage import coverage_lines
from ..domain.models import Ticket
from ..domain.watch import is_open
from ..errors import SpendMonitorError
from ..trackers import read_trackers
from . import team
from .answers import ChannelStatus, CheckReport, DestinationStatus
from .requests import CheckRequest
from .services import Services


def config_warnings(services: Services) -> list[str]:
    """Problems worth a warning on every command: unknown keys and half-set-up channels."""
    warnings = [f"unknown config key {key!r} (a typo?)" for key in unknown_keys(services.config)]
    warnings += [
        f"{s.channel}: {s.detail}"
        for s in services.channel_statuses()
        if not s.ready and s.detail != "not configured"
    ]
    return warnings


async def _verify(services: Services, status: ChannelStatus) -> ChannelStatus:
    """Ask the API whether the token works (Slack auth.test, Telegram getMe)."""
    if not status.ready:
        return status
    try:
        who = await services.channel(status.channel).verify()
    except SpendMonitorError as exc:
        return status.model_copy(update={"verified": False, "detail": f"rejected: {exc}"})
    return status.model_copy(update={"verified": True, "detail": f"token ok ({who})"})


async def _destinations(services: Services) -> list[DestinationStatus]:
    """Every owner's and the team's destination, asked of the platform (Slack: the user's DM
    opens or the channel is found; Telegram: getChat)."""
    ready = services.ready_channels()
    wanted = [
        d
        for owner in team.owners(services).values()
        for d in team.owner_destinations(services, owner, ready)
    ] + team.team_destinations(services, ready)
    found = []
    for destination in wanted:
        try:
            detail = await destination.channel.verify_destination()
        except SpendMonitorError as exc:
            found.append(
                DestinationStatus(destination=destination.label, verified=False, detail=str(exc))
            )
            continue
        found.append(DestinationStatus(destination=destination.label, verified=True, detail=detail))
    return found


def _tickets_line(tickets: list[Ticket], closed_statuses: tuple[str, ...]) -> str:
    still_open = sum(is_open(t, closed_statuses) for t in tickets)
    return f"ENGDESK tickets: {len(tickets)} ({still_open} open)"


async def _coverage(services: Services, as_of: date) -> list[str]:
    """What the book covers, from the day's snapshot; a source that cannot be read says so in
    its status line instead."""
    try:
        snapshot = await services.book.snapshot(as_of)
    except SpendMonitorError as exc:
        return [f"not measured: {exc}"]
    if snapshot.coverage is None:
        return ["not measured: this source has monthly totals only"]
    names = {c.name: c.label for c in services.config.customers}
    return coverage_lines(snapshot.coverage, names)


async def check(services: Services, request: CheckRequest) -> CheckReport:
    config = services.config
    as_of = services.day(request.as_of)
    trackers = read_trackers(config.escalation_tracker_path, config.engdesk_tracker_glob)
    return CheckReport(
        config_warnings=config_warnings(services),
        source=await services.source.status(as_of),
        coverage=await _coverage(services, as_of),
        customers=[c.label for c in config.customers],
        channels=[await _verify(services, s) for s in services.channel_statuses()],
        destinations=await _destinations(services),
        trackers=[
            f"escalations: {len(trackers.escalations)} entries",
            _tickets_line(trackers.tickets, config.closed_ticket_statuses),
            *trackers.warnings,
        ],
    )

"""Publishing: build the day's digest, record it, and deliver it to every ready channel through
the posting ledger — once per day and content, whatever fails and whenever the process dies —
and re-send a recorded digest where a part of it is not known to have arrived.

Every run ends: a deadline (`--deadline`, `deadline_seconds`) bounds it. Fetching gets a share
of it; what a source has not answered by then is unavailable ("out of time"), and posting gets
the rest. No outside call waits past it (net.py).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio

from ..channels import Chart
from ..concurrency import run_all
from ..deadline import Deadline, run_deadline_scope
from ..domain.models import ChannelName, Customer, Digest
from ..domain.ownership import Owner, Ownership, Rollup, rollup, share, unowned
from ..errors import EXIT_OK, ChartError, SourceError, SpendMonitorError, UsageError
from ..render import render_text
from ..store import Store
from . import team
from .answers import DigestRun, PostReport
from .delivery import ChannelDelivery, deliver
from .requests import PostRequest, RepostRequest
from .services import Services
from .team import TEAM, Destination

log = logging.getLogger(__name__)
# The share of a run's deadline that fetching may use; posting gets the rest.
FETCH_SHARE = 0.6
# Time for cancelled work to write what it knows (a part `unknown`) before the run ends.
GRACE_SECONDS = 2.0


def content_hash(text: str) -> str:
    """What "the same digest" means for posting once: the same rendered text."""
    return hashlib.sha256(text.encode()).hexdigest()


def charts_for(run: DigestRun) -> list[Chart]:
    """The digest's charts; a chart that cannot be drawn never blocks the text."""
    from ..charts import digest_charts

    try:
        return digest_charts(run.digest, run.snapshot.revenue.by_key, run.snapshot.period)
    except ChartError as exc:
        log.warning("%s; posting the text alone", exc, exc_info=exc.__cause__)
        return []


def _targets(services: Services, asked: Sequence[ChannelName] | None) -> list[ChannelName]:
    """Every ready channel, or the ones asked for — each of which must be ready."""
    statuses = {s.channel: s for s in services.channel_statuses()}
    for name in asked or ():
        if not statuses[name].ready:
            raise UsageError(
                f"{name} is not set up ({statuses[name].detail})",
                "set it up (`spend-monitor check` says how) or leave out --"
                f"{name}-only / the channels argument",
            )
    return services.ready_channels(asked)


def check_charts_dir(folder: Path | None) -> None:
    """--charts names a folder we can write, checked before anything is fetched or posted."""
    if folder is None:
        return
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--charts {folder} is a file", "give a folder for the charts")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UsageError(
            f"--charts {folder} cannot be written ({exc.strerror or type(exc).__name__})",
            "give a folder you can write",
        ) from None


async def _build(services: Services, request: PostRequest, seconds: float) -> DigestRun:
    budget = seconds * FETCH_SHARE
    with run_deadline_scope(Deadline.after(budget)):
        try:
            with anyio.fail_after(budget + GRACE_SECONDS):
                return await services.book.run(
                    services.day(request.as_of), request.customer, request.method
                )
        except TimeoutError:
            raise SourceError(
                f"fetching the data took longer than {budget:.0f} s "
                f"({FETCH_SHARE:.0%} of the run's {seconds:.0f} s deadline)",
                "raise --deadline / deadline_seconds, or check the source",
            ) from None


@dataclass(frozen=True)
class Job:
    """One destination's post: the whole digest, an owner's share, or the team's roll-up."""

    destination: Destination
    post: Digest | Rollup
    charts: Sequence[Chart] = ()


async def _deliver_all(
    services: Services,
    jobs: Sequence[Job],
    run_id: int | None,
    deadline: Deadline,
    force: bool = False,
) -> list[ChannelDelivery]:
    """Every destination side by side (each paced to its platform's limits); one
    destination's failure is that destination's outcome and never touches another."""
    memory = services.memory
    store: Store | None = memory.store if run_id is not None else None
    found: dict[int, ChannelDelivery] = {}

    async def one(i: int, job: Job) -> None:
        # Whatever goes wrong in a channel is its parts' outcome (channels.base.guarded).
        found[i] = await deliver(
            store,
            job.destination.channel,
            run_id,
            job.post,
            job.charts,
            deadline,
            force,
            memory.problem,
        )

    with run_deadline_scope(deadline), anyio.move_on_after(deadline.remaining() + GRACE_SECONDS):
        await run_all(functools.partial(one, i, job) for i, job in enumerate(jobs))
    late = "the run's deadline passed before the platform answered"
    return [
        _named(
            found.get(i)
            or ChannelDelivery(channel=job.destination.channel.name, status="unknown", reason=late),
            job.destination,
        )
        for i, job in enumerate(jobs)
    ]


def _named(delivery: ChannelDelivery, where: Destination) -> ChannelDelivery:
    if where.owner is None and not where.team:
        return delivery
    owner = TEAM if where.team else where.owner.key if where.owner else None
    name = where.owner.name if where.owner else None
    return delivery.model_copy(
        update={"destination": where.channel.key, "owner": owner, "owner_name": name}
    )


def _default_jobs(
    services: Services, targets: Sequence[ChannelName], post: Digest, charts: Sequence[Chart]
) -> list[Job]:
    return [Job(Destination(services.channel(name)), post, charts) for name in targets]


async def publish(services: Services, request: PostRequest) -> tuple[DigestRun, PostReport]:
    """Build the digest, record it, and deliver it to every ready channel (or the ones asked
    for): once per day and content unless `force`; changed content goes out marked (updated).
    With `owners` configured, each owner gets their share, the default destination the
    customers nobody owns, and `team` the roll-up (docs/configuration.md, "owners")."""
    dry_run = services.settings.dry_run(request.dry_run)
    targets = [] if dry_run else _targets(services, request.channels)
    team_run = bool(services.config.owners) and request.customer is None
    _check_team_request(services, request, team_run, dry_run)
    check_charts_dir(request.charts_dir)
    seconds = request.deadline or services.config.deadline_seconds
    deadline = Deadline.after(seconds)
    run = await _build(services, request, seconds)
    charts: list[Chart] = []
    if request.charts_dir is not None or (targets and services.config.charts and not team_run):
        charts = charts_for(run)
    if request.charts_dir is not None:
        for chart in charts:
            (request.charts_dir / chart.filename).write_bytes(chart.png)
    found = team.ownership(services, services.book.customers_in(run.snapshot)) if team_run else None
    # What may be posted, and its hash (what "the same digest" means for posting once); a dry
    # run posts nothing, so it renders no text for it.
    to_post = None
    if not dry_run:
        text = render_text(run.digest)
        to_post = (content_hash(text + (found.model_dump_json() if found else "")), text)
    # A one-customer digest is not the day's digest: it is neither recorded nor deduplicated.
    run_id = None
    if request.customer is None:
        run_id = services.memory.attempt(
            lambda store: store.record_run(run.digest, run.snapshot.source, to_post), None
        )
    rollup = None
    if found is not None:
        shown, deliveries, rollup = await _publish_team(
            services, request, run, found, targets, run_id, deadline
        )
        run = DigestRun(digest=shown, snapshot=run.snapshot)
    else:
        posted = charts if services.config.charts else []
        jobs = _default_jobs(services, targets, run.digest, posted)
        deliveries = await _deliver_all(services, jobs, run_id, deadline, request.force)
    if run_id is not None:
        _finish_run(services, run_id, dry_run, deliveries)
    if dry_run:
        message = "dry run: nothing posted"
    elif not targets:
        message = (
            "no channel configured: nothing posted (set slack.dm_channel with SLACK_BOT_TOKEN, "
            "or telegram.chat_id with TELEGRAM_BOT_TOKEN; `spend-monitor check` shows what is "
            "missing)"
        )
    else:
        message = describe(deliveries) or "nothing to post"
    report = _report(
        services, run.digest, deliveries, [c.filename for c in charts], message, dry_run
    )
    warnings = list(found.warnings) if found else []
    return run, report.model_copy(update={"rollup": rollup, "warnings": warnings})


def _check_team_request(
    services: Services, request: PostRequest, team_run: bool, dry_run: bool
) -> None:
    """--owner and --team need owners (and --team a `team`); an owner's platform must be set
    up unless nothing is posted. Checked before any fetch."""
    if (request.owner or request.team) and not team_run:
        raise UsageError(
            "--owner and --team need `owners` in config (and a whole-book run, no --customer)",
            'add owners (docs/configuration.md, "owners")',
        )
    if request.team and services.config.team is None:
        raise UsageError("--team needs a `team` section in config", "add team.slack or .telegram")
    if team_run and not dry_run:
        team.require_platforms(services)


async def _publish_team(
    services: Services,
    request: PostRequest,
    run: DigestRun,
    found: Ownership,
    targets: Sequence[ChannelName],
    run_id: int | None,
    deadline: Deadline,
) -> tuple[Digest, list[ChannelDelivery], Rollup | None]:
    """Each owner's share to their destinations and the unowned customers to the default
    ones, side by side; then the roll-up, naming the owners whose digest did not arrive.
    Returns the digest to show (one owner's with --owner, else the whole book), the
    deliveries and the roll-up."""
    digest = run.digest
    owner = team.find_owner(found, request.owner) if request.owner else None
    shown = share(digest, found.customers_of(owner.key), owner.name) if owner else digest
    jobs: list[Job] = []
    if not request.team:
        jobs = _team_jobs(
            services, digest, found, targets, owner, lambda post: _charts_of(services, run, post)
        )
    deliveries = await _deliver_all(services, jobs, run_id, deadline, request.force)
    if request.owner is not None or services.config.team is None:
        return shown, deliveries, None
    failed = dict.fromkeys(d.owner_name for d in deliveries if d.owner_name and not d.holds_digest)
    summary = rollup(digest, found, [name for name in failed if name])
    where = team.team_destinations(services, targets)
    deliveries += await _deliver_all(
        services, [Job(d, summary) for d in where], run_id, deadline, request.force
    )
    return shown, deliveries, summary


def _team_jobs(
    services: Services,
    digest: Digest,
    found: Ownership,
    targets: Sequence[ChannelName],
    owner: Owner | None,
    charts: Callable[[Digest], list[Chart]],
) -> list[Job]:
    """The unowned customers to the default destinations and each owner's share to theirs
    (only `owner`'s, when given); nobody gets an empty digest."""
    jobs: list[Job] = []
    if owner is None:
        rest = unowned(digest, found)
        if rest.customers:
            jobs += _default_jobs(services, targets, rest, charts(rest))
    for one in [owner] if owner else found.owners.values():
        mine = share(digest, found.customers_of(one.key), one.name)
        if mine.customers:
            drawn = charts(mine)
            jobs += [Job(d, mine, drawn) for d in team.owner_destinations(services, one, targets)]
    return jobs


def _charts_of(services: Services, run: DigestRun, post: Digest) -> list[Chart]:
    if not services.config.charts:
        return []
    return charts_for(DigestRun(digest=post, snapshot=run.snapshot))


def _report(
    services: Services,
    digest: Digest,
    deliveries: list[ChannelDelivery],
    charts: list[str],
    message: str,
    dry_run: bool,
) -> PostReport:
    return PostReport(
        as_of=digest.as_of,
        data_through=digest.data_through,
        dry_run=dry_run,
        deliveries=deliveries,
        outcomes=[d.outcome() for d in deliveries],
        charts=charts,
        message=message,
        store_problem=services.memory.problem,
    )


def describe(deliveries: Sequence[ChannelDelivery]) -> str:
    """One line per run: what each channel now holds."""
    parts = []
    for d in deliveries:
        sent = [p for p in d.parts if p.sent_now]
        messages = sum(p.part.startswith("message-") for p in sent)
        charts = len(sent) - messages
        where = d.label
        if d.status == "posted":
            parts.append(f"{where}: posted ({messages} message(s), {charts} chart(s))")
        elif d.status == "re-sent":
            parts.append(f"{where}: re-sent {len(sent)} part(s), marked as re-sent")
        elif d.status == "already_posted":
            parts.append(f"{where}: {d.reason or 'already posted today'}")
        elif d.status == "unknown":
            parts.append(f"{where}: UNCONFIRMED ({d.reason})")
        else:
            parts.append(f"{where}: FAILED ({d.reason})")
    return "; ".join(parts)


def _finish_run(
    services: Services, run_id: int, dry_run: bool, deliveries: list[ChannelDelivery]
) -> None:
    if dry_run:
        outcome = "dry-run"
    elif not deliveries:
        outcome = "not posted"
    elif all(d.holds_digest for d in deliveries):
        outcome = "posted"
    else:
        outcome = "post failed"
    services.memory.attempt(lambda store: store.set_outcome(run_id, outcome), None)


async def repost(services: Services, request: RepostRequest) -> PostReport:
    """Send a recorded digest's parts that are not known to have arrived (by default the
    latest run with such a part), charts included, at the destinations in the current config."""
    store = services.memory.require()
    run_id = request.run or store.run_to_repost(request.day)
    if run_id is None:
        raise UsageError(
            "no recorded digest has a part left to send", "see `spend-monitor history`"
        )
    digest = store.digest(run_id)
    ready = services.ready_channels()
    failed = store.failed_channels(run_id)
    deadline = Deadline.after(services.config.deadline_seconds)
    if services.config.owners:
        charts: list[Chart] = []
        jobs = [
            j for j in _team_reposts(services, digest, ready) if j.destination.channel.key in failed
        ]
    else:
        targets = [c for c in ready if c in failed]
        charts = await _charts_again(services, digest) if targets and services.config.charts else []
        jobs = _default_jobs(services, targets, digest, charts)
    deliveries = await _deliver_all(services, jobs, run_id, deadline)
    _finish_run(services, run_id, False, deliveries)
    message = describe(deliveries) if deliveries else "nothing to re-send"
    return _report(services, digest, deliveries, [c.filename for c in charts], message, False)


def _team_reposts(services: Services, digest: Digest, ready: Sequence[ChannelName]) -> list[Job]:
    """Every destination of a team's recorded run, as the current config names them (text
    only: charts of a re-sent owner's digest are not drawn again)."""
    customers: list[Customer] = [*services.config.customers] or [
        Customer(name=p.name, display_name=p.display_name) for p in digest.customers
    ]
    found = team.ownership(services, customers)
    jobs = _team_jobs(services, digest, found, ready, None, lambda _: [])
    summary = rollup(digest, found)
    return jobs + [Job(d, summary) for d in team.team_destinations(services, ready)]


async def _charts_again(services: Services, digest: Digest) -> list[Chart]:
    """The charts of a recorded digest, drawn again from the day's data; without the data the
    text parts still go out."""
    try:
        run = await services.book.run(digest.as_of)
    except SpendMonitorError as exc:
        log.warning("charts not re-sent: the data for %s cannot be read (%s)", digest.as_of, exc)
        return []
    return charts_for(DigestRun(digest=digest, snapshot=run.snapshot))


def exit_status(run_partial: bool, report: PostReport) -> int:
    """0 when every channel holds the digest and no data is missing; 3 when some data or some
    part is missing or unconfirmed (or once-only posting was off); 4 when nothing was posted."""
    code = report.exit_code
    if code == EXIT_OK and run_partial:
        return 3
    return code

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
from collections.abc import Sequence
from pathlib import Path

import anyio

from ..channels import Chart
from ..concurrency import run_all
from ..domain.models import ChannelName, Digest
from ..errors import EXIT_OK, SourceError, SpendMonitorError, UsageError
from ..net import Deadline, run_deadline_scope
from ..render import render_text
from ..store import Store
from .answers import DigestRun, PostReport
from .delivery import ChannelDelivery, deliver
from .requests import PostRequest, RepostRequest
from .services import Services

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

    daily = {key: revenue.daily for key, revenue in run.snapshot.customers.items()}
    try:
        return digest_charts(run.digest, daily, run.snapshot.period)
    except Exception:  # matplotlib's errors are its own: the text goes out without charts
        log.exception("the charts could not be drawn; posting the text alone")
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


async def _deliver_all(
    services: Services,
    targets: Sequence[ChannelName],
    run_id: int | None,
    digest: Digest,
    charts: Sequence[Chart],
    deadline: Deadline,
    force: bool = False,
) -> list[ChannelDelivery]:
    """Each channel side by side; one channel's failure, or a bug in its adapter, is that
    channel's outcome and never touches the other."""
    memory = services.memory
    store: Store | None = memory.store if run_id is not None else None
    found: dict[ChannelName, ChannelDelivery] = {}

    async def one(name: ChannelName) -> None:
        try:
            found[name] = await deliver(
                store,
                services.channel(name),
                run_id,
                digest,
                charts,
                deadline,
                force,
                memory.problem,
            )
        except Exception as exc:  # a bug in one channel's path stops that channel only
            log.exception("delivery to %s failed", name)
            found[name] = ChannelDelivery(
                channel=name, status="failed", reason=f"unexpected {type(exc).__name__}"
            )

    with run_deadline_scope(deadline), anyio.move_on_after(deadline.remaining() + GRACE_SECONDS):
        await run_all(functools.partial(one, name) for name in targets)
    late = "the run's deadline passed before the platform answered"
    return [
        found.get(name) or ChannelDelivery(channel=name, status="unknown", reason=late)
        for name in targets
    ]


async def publish(services: Services, request: PostRequest) -> tuple[DigestRun, PostReport]:
    """Build the digest, record it, and deliver it to every ready channel (or the ones asked
    for): once per day and content unless `force`; changed content goes out marked (updated)."""
    dry_run = services.settings.dry_run(request.dry_run)
    targets = [] if dry_run else _targets(services, request.channels)
    check_charts_dir(request.charts_dir)
    seconds = request.deadline or services.config.deadline_seconds
    deadline = Deadline.after(seconds)
    run = await _build(services, request, seconds)
    charts: list[Chart] = []
    if request.charts_dir is not None or (targets and services.config.charts):
        charts = charts_for(run)
    if request.charts_dir is not None:
        for chart in charts:
            (request.charts_dir / chart.filename).write_bytes(chart.png)
    text = render_text(run.digest)
    content = content_hash(text)
    # A one-customer digest is not the day's digest: it is neither recorded nor deduplicated.
    run_id = None
    if request.customer is None:
        run_id = services.memory.attempt(
            lambda store: store.record_run(
                run.digest, run.snapshot.source, content, text, keep_digest=not dry_run
            ),
            None,
        )
    posted = charts if services.config.charts else []
    deliveries = await _deliver_all(
        services, targets, run_id, run.digest, posted, deadline, request.force
    )
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
        message = describe(deliveries)
    return run, _report(services, run.digest, deliveries, [c.filename for c in charts], message)


def _report(
    services: Services,
    digest: Digest,
    deliveries: list[ChannelDelivery],
    charts: list[str],
    message: str,
    dry_run: bool = False,
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
        if d.status == "posted":
            parts.append(f"{d.channel}: posted ({messages} message(s), {charts} chart(s))")
        elif d.status == "re-sent":
            parts.append(f"{d.channel}: re-sent {len(sent)} part(s), marked as re-sent")
        elif d.status == "already_posted":
            parts.append(f"{d.channel}: {d.reason or 'already posted today'}")
        elif d.status == "unknown":
            parts.append(f"{d.channel}: UNCONFIRMED ({d.reason})")
        else:
            parts.append(f"{d.channel}: FAILED ({d.reason})")
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
    targets = [c for c in ready if c in store.failed_channels(run_id)]
    charts = await _charts_again(services, digest) if targets and services.config.charts else []
    deadline = Deadline.after(services.config.deadline_seconds)
    deliveries = await _deliver_all(services, targets, run_id, digest, charts, deadline)
    _finish_run(services, run_id, False, deliveries)
    message = describe(deliveries) if deliveries else "nothing to re-send"
    return _report(services, digest, deliveries, [c.filename for c in charts], message)


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

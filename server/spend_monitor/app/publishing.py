"""Publishing: build the day's digest, record it, post it once per day and content to every
ready channel, and re-send a recorded digest where a post failed."""

from __future__ import annotations

import functools
import hashlib

from ..channels import Chart, PostOutcome
from ..concurrency import run_all
from ..domain.models import ChannelName, Digest
from ..errors import UsageError
from ..render import render_text
from ..store import PostStatus
from .answers import DigestRun, PostReport, describe_outcomes
from .requests import PostRequest, RepostRequest
from .services import Services


def content_hash(text: str) -> str:
    """What "the same digest" means for posting once: the same rendered text."""
    return hashlib.sha256(text.encode()).hexdigest()


def charts_for(run: DigestRun) -> list[Chart]:
    from ..charts import digest_charts

    daily = {key: revenue.daily for key, revenue in run.snapshot.customers.items()}
    return digest_charts(run.digest, daily, run.snapshot.period)


async def publish(services: Services, request: PostRequest) -> tuple[DigestRun, PostReport]:
    """Build the digest, record it, and post it to every ready channel (or `channels`): once
    per day and content unless `force`; changed content goes out marked (updated)."""
    as_of = services.day(request.as_of)
    run = await services.book.run(as_of, request.customer, request.method)
    dry_run = services.settings.dry_run(request.dry_run)
    targets = [] if dry_run else services.ready_channels(request.channels)
    charts: list[Chart] = []
    if request.charts_dir is not None or (targets and services.config.charts):
        charts = charts_for(run)
    if request.charts_dir is not None:
        request.charts_dir.mkdir(parents=True, exist_ok=True)
        for chart in charts:
            (request.charts_dir / chart.filename).write_bytes(chart.png)
    outcomes: dict[str, PostOutcome] = {}
    text = render_text(run.digest)
    content = content_hash(text)
    # A one-customer digest is not the day's digest: it is neither recorded nor deduplicated.
    run_id = None
    if request.customer is None:
        run_id = services.memory.attempt(
            lambda store: store.record_run(run.digest, run.snapshot.source, content, text), None
        )
    posted_charts = charts if services.config.charts else []

    async def post_one(name: ChannelName) -> None:
        outcomes[name] = await _post(
            services, run.digest, run_id, name, content, posted_charts, request.force
        )

    await run_all(functools.partial(post_one, name) for name in targets)
    if run_id is not None:
        _finish_run(services, run_id, dry_run, [outcomes[t] for t in targets])
    if dry_run:
        message = "dry run: nothing posted"
    elif not targets:
        message = (
            "no channel configured: nothing posted (set slack.dm_channel with SLACK_BOT_TOKEN, "
            "or telegram.chat_id with TELEGRAM_BOT_TOKEN; `spend-monitor check` shows what is "
            "missing)"
        )
    else:
        message = describe_outcomes([outcomes[t] for t in targets])
    report = PostReport(
        as_of=as_of,
        data_through=run.digest.data_through,
        dry_run=dry_run,
        outcomes=[outcomes[t] for t in targets],
        charts=[c.filename for c in charts],
        message=message,
        store_problem=services.memory.problem,
    )
    return run, report


async def _post(
    services: Services,
    digest: Digest,
    run_id: int | None,
    name: ChannelName,
    content: str,
    charts: list[Chart],
    force: bool,
) -> PostOutcome:
    """One channel's post, claimed in the store first so that it goes out once."""
    memory = services.memory
    post_id, changed = None, False
    if run_id is not None:
        claim = memory.attempt(
            lambda store: store.claim_post(run_id, digest.as_of, name, content, force), None
        )
        if claim is not None:
            post_id, changed = claim
            if post_id is None:
                return PostOutcome(
                    channel=name, ok=True, skipped=True, note="already posted today (same content)"
                )
    outcome = await services.channel(name).post(
        digest.model_copy(update={"updated": changed}), charts
    )
    if post_id is not None:
        status: PostStatus = "sent" if outcome.ok else "failed"
        memory.attempt(
            lambda store: store.finish_post(post_id, status, outcome.message_ids, outcome.error),
            None,
        )
    return outcome


def _finish_run(
    services: Services, run_id: int, dry_run: bool, outcomes: list[PostOutcome]
) -> None:
    if dry_run:
        outcome = "dry-run"
    elif not outcomes:
        outcome = "not posted"
    elif all(o.ok for o in outcomes):
        outcome = "posted"
    else:
        outcome = "post failed"
    services.memory.attempt(lambda store: store.set_outcome(run_id, outcome), None)


async def repost(services: Services, request: RepostRequest) -> PostReport:
    """Re-send a recorded digest to the channels where it failed (by default the latest run
    with a failed post), at the destinations in the current config."""
    store = services.memory.require()
    run_id = request.run or store.run_to_repost(request.day)
    if run_id is None:
        raise UsageError("no recorded digest has a failed post", "see `spend-monitor history`")
    digest = store.digest(run_id)
    failed = [c for c in store.failed_channels(run_id) if c in services.ready_channels()]
    content = content_hash(render_text(digest))
    outcomes = [await _post(services, digest, run_id, c, content, [], True) for c in failed]
    _finish_run(services, run_id, False, outcomes)
    return PostReport(
        as_of=digest.as_of,
        data_through=digest.data_through,
        dry_run=False,
        outcomes=outcomes,
        charts=[],
        message=describe_outcomes(outcomes) if outcomes else "nothing to re-send",
    )

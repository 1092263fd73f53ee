"""`SpendMonitor`, the one application service: it wires the adapters to the domain rules.

Front ends (CLI, MCP server) call its methods and hold no business logic of their own. Every
question takes the as-of date as a parameter; the front ends decide what "today" is.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .channels import Channel, Chart, PostOutcome
from .concurrency import run_all
from .config import Config, Environment, unknown_keys
from .domain.alerts import apply_snoozes, mark_news
from .domain.backtest import BacktestReport, months_between
from .domain.backtest import backtest as replay
from .domain.customers import CustomerIndex
from .domain.digest import build_digest
from .domain.models import ChannelName, Customer, Digest, Flag, MethodChoice, Pace, SourceName
from .domain.periods import Period, days_in_month, previous_month_start, public_holidays
from .errors import ConfigError, SourceError, SpendMonitorError, StoreError, UnknownCustomerError
from .render import render_json, render_markdown, render_text
from .sources import RevenueSnapshot, RevenueSource
from .store import Store, default_path
from .trackers import read_trackers
from .views import (
    Acknowledged,
    ChannelStatus,
    CheckReport,
    CustomerHistory,
    CustomerList,
    DailyPoint,
    DigestPreview,
    DigestRun,
    PacePage,
    PastFlag,
    PostReport,
    RunHistory,
    ServiceBreakdown,
    WatchList,
    describe_outcomes,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

# Tickets can sit idle for weeks; look this far back for holidays when counting business days.
HOLIDAY_LOOKBACK_DAYS = 120
DigestFormat = Literal["text", "markdown", "json"]
RENDERERS: dict[str, Callable[[Digest], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}
Progress = Callable[[float, float, str], Awaitable[None]]
BOOK_DRIVERS = 2
SnoozeKind = Literal["pace", "pace_drop", "escalations", "stale_ticket", "vanished_line_item"]


def content_hash(text: str) -> str:
    """What "the same digest" means for posting once: the same rendered text."""
    return hashlib.sha256(text.encode()).hexdigest()


def _series(daily: dict[date, float], start: date, end: date) -> list[DailyPoint]:
    """Every day from start to end; a day without rows is a real zero within the data."""
    days = (end - start).days + 1
    return [
        DailyPoint(date=day, amount=round(daily.get(day, 0.0), 2))
        for day in (start + timedelta(days=i) for i in range(max(days, 0)))
    ]


class SpendMonitor:
    def __init__(
        self,
        config: Config,
        env: Environment | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.env = env or Environment(_env_file=None)
        self._source: RevenueSource | None = None
        self._clock = clock
        self._snapshots: dict[date, tuple[float, RevenueSnapshot]] = {}
        self._http: httpx.AsyncClient | None = None
        self._channels: dict[ChannelName, Channel] = {}
        self._store: Store | None = None
        self.store_problem: str | None = None
        self.last_digest: Digest | None = None

    @property
    def source(self) -> RevenueSource:
        if self._source is None:
            from .sources.chain import SourceChain

            chain = self.config.source_chain
            self._source = SourceChain(
                self.make_source(chain.primary),
                self.make_source(chain.fallback) if chain.fallback else None,
            )
        return self._source

    def make_source(self, name: SourceName) -> RevenueSource:
        config = self.config
        if name == "local" and config.local is not None:
            from .sources.files import LocalFileSource

            return LocalFileSource(config.local)
        if name == "tableau" and config.tableau is not None:
            from .sources.tableau import TableauSource

            return TableauSource(
                config.tableau, config.customers, self.env.tableau_pat_secret, self.http
            )
        if name == "sql" and config.sql is not None:
            from .sources.sql import SqlSource

            return SqlSource(config.sql, self.env.spend_monitor_sql_url)
        if name == "a2a" and config.a2a is not None:
            from .sources.a2a import BillingAgentSource

            return BillingAgentSource(config.a2a)
        raise ConfigError(
            f"source {name!r} is not available in this version",
            "use a `tableau`, `a2a`, `local` or `sql` source",
        )

    @property
    def http(self) -> httpx.AsyncClient:
        """One HTTP client for every httpx adapter, for the monitor's whole life."""
        if self._http is None:
            from .net import new_client

            self._http = new_client()
        return self._http

    @property
    def state_path(self) -> Path:
        env = self.env
        return env.spend_monitor_state or self.config.state_path or default_path(env.xdg_state_home)

    @property
    def store(self) -> Store | None:
        """The state store, opened on first use; None (with `store_problem` set) when it
        cannot be used — the digest is still built, printed and posted."""
        if self._store is None and self.store_problem is None:
            try:
                self._store = Store(self.state_path)
            except StoreError as exc:
                self._remember(exc)
        return self._store

    def _remember(self, problem: StoreError) -> None:
        self.store_problem = f"{problem} — history and once-only posting are off"
        log.warning("%s", self.store_problem)

    def require_store(self) -> Store:
        store = self.store
        if store is None:
            raise StoreError(self.store_problem or "no state database")
        return store

    async def aclose(self) -> None:
        if self._store is not None:
            self._store.close()
        if self._source is not None:
            await self._source.aclose()
        for channel in self._channels.values():
            await channel.aclose()
        if self._http is not None:
            await self._http.aclose()

    # -- data ---------------------------------------------------------------------------------

    async def snapshot(
        self, as_of: date, refresh: bool = False, progress: Progress | None = None
    ) -> RevenueSnapshot:
        """The whole book for `as_of`, kept for `mcp.cache_ttl_minutes` so follow-ups are free."""
        ttl = self.config.mcp.cache_ttl_minutes * 60
        cached = self._snapshots.get(as_of)
        if cached and not refresh and self._clock() - cached[0] < ttl:
            return cached[1]
        if progress:
            await progress(0, 2, f"fetching revenue from {self.source.name}")
        configured = [c.name for c in self.config.customers] or None
        snapshot = await self.source.fetch(as_of, configured)
        if ttl > 0:
            self._snapshots[as_of] = (self._clock(), snapshot)
        if progress:
            await progress(1, 2, "computing pace")
        return snapshot

    # -- customers ----------------------------------------------------------------------------

    def customers_in(self, snapshot: RevenueSnapshot) -> list[Customer]:
        """Configured customers, or everyone the data has when none are configured."""
        return list(self.config.customers) or [Customer(name=k) for k in snapshot.customers]

    def find_customer(self, name: str, known: Sequence[Customer]) -> Customer:
        index = CustomerIndex(known)
        found = index.find(name)
        if found is None:
            raise UnknownCustomerError(name, index.suggestions(name))
        return found

    async def list_customers(self, as_of: date) -> CustomerList:
        if self.config.customers:
            return CustomerList(source="config", customers=list(self.config.customers))
        snapshot = await self.snapshot(as_of)
        return CustomerList(source="data", customers=self.customers_in(snapshot))

    # -- the digest ---------------------------------------------------------------------------

    async def build_digest(
        self,
        as_of: date,
        customer: str | None = None,
        method: MethodChoice | None = None,
        refresh: bool = False,
        progress: Progress | None = None,
    ) -> DigestRun:
        """Fetch, compute and assemble the digest for `as_of`; posts nothing."""
        snapshot = await self.snapshot(as_of, refresh, progress)
        customers = self.customers_in(snapshot)
        if customer is not None:
            customers = [self.find_customer(customer, customers)]
        trackers = read_trackers(
            self.config.escalation_tracker_path, self.config.engdesk_tracker_glob
        )
        digest = build_digest(
            customers,
            snapshot.customers,
            snapshot.period,
            method or self.config.pace_method,
            self.config.thresholds,
            escalations=trackers.escalations,
            tickets=trackers.tickets,
            holidays=public_holidays(
                self.config.holidays_country,
                as_of - timedelta(days=HOLIDAY_LOOKBACK_DAYS),
                as_of,
            ),
            errors=[*snapshot.warnings, *trackers.warnings],
        )
        if customer is not None:
            names = {c.name for c in customers}
            digest = digest.model_copy(
                update={"watch_list": tuple(w for w in digest.watch_list if w.customer in names)}
            )
        digest = self._with_memory(digest, as_of)
        if customer is None:
            self.last_digest = digest
        return DigestRun(digest=digest, snapshot=snapshot)

    def _with_memory(self, digest: Digest, as_of: date) -> Digest:
        """New / ongoing / recovered markers and snoozes, from the state store."""
        store = self.store
        if store is not None:
            try:
                digest = mark_news(digest, store.posted_before(as_of))
                digest = apply_snoozes(digest, [a.snooze() for a in store.active_acks(as_of)])
            except StoreError as exc:
                self._remember(exc)
        if self.store_problem:
            digest = digest.model_copy(update={"errors": (*digest.errors, self.store_problem)})
        return digest

    async def preview(self, as_of: date, fmt: DigestFormat = "markdown") -> DigestPreview:
        run = await self.build_digest(as_of)
        return DigestPreview(
            as_of=run.digest.as_of,
            data_through=run.digest.data_through,
            format=fmt,
            text=RENDERERS[fmt](run.digest),
            partial=run.partial,
            unavailable=[p.display_name for p in run.digest.unavailable],
        )

    # -- questions ----------------------------------------------------------------------------

    async def pace(
        self,
        as_of: date,
        customer: str | None = None,
        flag: Flag | None = None,
        limit: int = 50,
        offset: int = 0,
        refresh: bool = False,
        progress: Progress | None = None,
    ) -> PacePage:
        digest = (
            await self.build_digest(as_of, customer, refresh=refresh, progress=progress)
        ).digest
        matching = [p for p in digest.customers if flag is None or p.flag == flag]
        matching.sort(key=lambda p: (-abs(p.delta), p.display_name.casefold()))
        page = matching[offset : offset + limit]
        if customer is None:
            # A page of the book stays small for the model reading it: each customer's two
            # largest service-line moves (get_service_breakdown has them all) and no sparkline.
            page = [
                p.model_copy(update={"drivers": p.drivers[:BOOK_DRIVERS], "recent": ()})
                for p in page
            ]
        more = offset + limit < len(matching)
        return PacePage(
            as_of=digest.as_of,
            data_through=digest.data_through,
            days_elapsed=digest.days_elapsed,
            current_month=digest.current_month,
            prior_month=digest.prior_month,
            total=len(matching),
            next_offset=offset + limit if more else None,
            customers=page,
        )

    async def breakdown(self, customer: str, as_of: date) -> ServiceBreakdown:
        run = await self.build_digest(as_of, customer)
        pace: Pace = run.digest.customers[0]
        period: Period = run.snapshot.period
        daily = run.snapshot.customers[pace.name].daily
        return ServiceBreakdown(
            customer=pace.name,
            display_name=pace.display_name,
            as_of=as_of,
            data_through=period.data_through,
            flag=pace.flag,
            change_pct=pace.change_pct,
            method=pace.method,
            source=pace.source,
            error=pace.error,
            services=list(pace.drivers),
            current_month_daily=_series(daily, period.current_start, period.data_through),
            prior_month_daily=_series(daily, period.prior_start, period.prior_end),
            note=None if daily or pace.error else "this source has monthly totals only",
        )

    async def watch(self, as_of: date) -> WatchList:
        run = await self.build_digest(as_of)
        return WatchList(as_of=as_of, items=list(run.digest.watch_list))

    async def history(self, customer: str, as_of: date, days: int = 60) -> CustomerHistory:
        snapshot = await self.snapshot(as_of)
        found = self.find_customer(customer, self.customers_in(snapshot))
        end = snapshot.period.data_through
        start = end - timedelta(days=days - 1)
        if start < snapshot.period.prior_start:
            snapshot = await self.source.fetch(as_of, [found.name], since=start)
        revenue = snapshot.customers[found.name]
        note = None
        if revenue.error:
            note = f"data unavailable: {revenue.error}"
        elif not revenue.daily:
            note = "this source has monthly totals only"
        past: list[PastFlag] = []
        store = self.store
        if store is not None:
            try:
                past = store.customer_results(found.name)
            except StoreError as exc:
                self._remember(exc)
        return CustomerHistory(
            customer=found.name,
            display_name=found.label,
            start=start,
            end=end,
            daily=_series(revenue.daily, start, end) if revenue.daily else [],
            past=past,
            note=note,
        )

    # -- posting ------------------------------------------------------------------------------

    def channel(self, name: ChannelName) -> Channel:
        """The adapter for a ready channel (see `channel_statuses` for what ready means)."""
        if name not in self.ready_channels():
            raise ConfigError(f"{name} is not set up", "run `spend-monitor check`")
        if name not in self._channels:
            config, env = self.config, self.env
            if name == "slack" and config.slack and env.slack_bot_token:
                from .channels.slack import SlackChannel

                self._channels[name] = SlackChannel(config.slack, env.slack_bot_token)
            elif config.telegram and env.telegram_bot_token:
                from .channels.telegram import TelegramChannel

                self._channels[name] = TelegramChannel(
                    config.telegram, env.telegram_bot_token, self.http
                )
        return self._channels[name]

    def ready_channels(self, only: Collection[str] | None = None) -> list[ChannelName]:
        """Configured channels with a token, in the old script's order, optionally narrowed."""
        return [
            s.channel
            for s in self.channel_statuses()
            if s.ready and (only is None or s.channel in only)
        ]

    def charts(self, run: DigestRun) -> list[Chart]:
        from .charts import digest_charts

        daily = {key: revenue.daily for key, revenue in run.snapshot.customers.items()}
        return digest_charts(run.digest, daily, run.snapshot.period)

    async def publish(
        self,
        as_of: date,
        channels: Collection[str] | None = None,
        dry_run: bool = False,
        charts_dir: Path | None = None,
        customer: str | None = None,
        method: MethodChoice | None = None,
        force: bool = False,
    ) -> tuple[DigestRun, PostReport]:
        """Build the digest, record it, and post it to every ready channel (or `channels`):
        once per day and content unless `force`; changed content goes out marked (updated)."""
        run = await self.build_digest(as_of, customer, method)
        targets = [] if dry_run else self.ready_channels(channels)
        charts: list[Chart] = []
        if charts_dir is not None or (targets and self.config.charts):
            charts = self.charts(run)
        if charts_dir is not None:
            charts_dir.mkdir(parents=True, exist_ok=True)
            for chart in charts:
                (charts_dir / chart.filename).write_bytes(chart.png)
        outcomes: dict[str, PostOutcome] = {}
        text = render_text(run.digest)
        content = content_hash(text)
        # A one-customer digest is not the day's digest: it is neither recorded nor deduplicated.
        run_id = None if customer else self._record(run, content, text)

        async def post_one(name: ChannelName) -> None:
            outcomes[name] = await self._post(
                run.digest, run_id, name, content, charts if self.config.charts else [], force
            )

        await run_all(functools.partial(post_one, name) for name in targets)
        if run_id is not None:
            self._finish_run(run_id, dry_run, [outcomes[t] for t in targets])
        if dry_run:
            message = "dry run: nothing posted"
        elif not targets:
            message = "no channel configured: nothing posted"
        else:
            message = describe_outcomes([outcomes[t] for t in targets])
        report = PostReport(
            as_of=as_of,
            data_through=run.digest.data_through,
            dry_run=dry_run,
            outcomes=[outcomes[t] for t in targets],
            charts=[c.filename for c in charts],
            message=message,
            store_problem=self.store_problem,
        )
        return run, report

    def _record(self, run: DigestRun, content: str, text: str) -> int | None:
        """Record the digest before posting, so a failed post can be re-sent."""
        store = self.store
        if store is None:
            return None
        try:
            return store.record_run(run.digest, run.snapshot.source, content, text)
        except StoreError as exc:
            self._remember(exc)
            return None

    async def _post(
        self,
        digest: Digest,
        run_id: int | None,
        name: ChannelName,
        content: str,
        charts: list[Chart],
        force: bool,
    ) -> PostOutcome:
        store = self.store if run_id is not None else None
        post_id, changed = None, False
        if store is not None and run_id is not None:
            try:
                post_id, changed = store.claim_post(run_id, digest.as_of, name, content, force)
            except StoreError as exc:
                self._remember(exc)
                store = None
            else:
                if post_id is None:
                    return PostOutcome(
                        channel=name,
                        ok=True,
                        skipped=True,
                        note="already posted today (same content)",
                    )
        outcome = await self.channel(name).post(
            digest.model_copy(update={"updated": changed}), charts
        )
        if store is not None and post_id is not None:
            try:
                store.finish_post(
                    post_id, "sent" if outcome.ok else "failed", outcome.message_ids, outcome.error
                )
            except StoreError as exc:
                self._remember(exc)
        return outcome

    def _finish_run(self, run_id: int, dry_run: bool, outcomes: list[PostOutcome]) -> None:
        store = self.store
        if store is None:
            return
        if dry_run:
            outcome = "dry-run"
        elif not outcomes:
            outcome = "not posted"
        elif all(o.ok for o in outcomes):
            outcome = "posted"
        else:
            outcome = "post failed"
        try:
            store.set_outcome(run_id, outcome)
        except StoreError as exc:
            self._remember(exc)

    async def repost(self, run_id: int | None = None, as_of: date | None = None) -> PostReport:
        """Re-send a recorded digest to the channels where it failed (by default the latest
        run with a failed post), at the destinations in the current config."""
        store = self.require_store()
        run_id = run_id or store.run_to_repost(as_of)
        if run_id is None:
            raise StoreError("no recorded digest has a failed post", "see `spend-monitor history`")
        digest = store.digest(run_id)
        failed = [c for c in store.failed_channels(run_id) if c in self.ready_channels()]
        content = content_hash(render_text(digest))
        outcomes = [await self._post(digest, run_id, c, content, [], True) for c in failed]
        self._finish_run(run_id, False, outcomes)
        return PostReport(
            as_of=digest.as_of,
            data_through=digest.data_through,
            dry_run=False,
            outcomes=outcomes,
            charts=[],
            message=describe_outcomes(outcomes) if outcomes else "nothing to re-send",
        )

    def run_history(self, limit: int = 20) -> RunHistory:
        return RunHistory(runs=self.require_store().runs(limit))

    async def acknowledge(
        self,
        customer: str,
        as_of: date,
        kind: SnoozeKind | None = None,
        days: int = 7,
        note: str | None = None,
    ) -> Acknowledged:
        """Snooze a customer's alerts (or one kind of them) for `days`."""
        page = await self.pace(as_of, customer=customer)
        pace = page.customers[0]
        ack = self.require_store().add_ack(pace.name, kind, as_of, days, pace.change_pct, note)
        return Acknowledged(
            customer=pace.display_name,
            kind=kind,
            until=ack.until,
            change_pct=pace.change_pct,
            note=note,
        )

    # -- backtest -----------------------------------------------------------------------------

    async def backtest(self, start: date, end: date, checkpoints: Sequence[int]) -> BacktestReport:
        """Replay each month from `start` to `end` (first days) at each checkpoint day."""
        months = months_between(start, end)
        first_prior = previous_month_start(months[0])
        last_day = months[-1].replace(day=days_in_month(months[-1]))
        customers = [c.name for c in self.config.customers] or None
        snapshot = await self.source.fetch(
            last_day + timedelta(days=1), customers, since=first_prior
        )
        daily = {k: r.daily for k, r in snapshot.customers.items() if r.error is None}
        if not daily:
            raise SourceError(
                "no daily data for the backtest", "the backtest needs a source with daily revenue"
            )
        holidays = public_holidays(self.config.holidays_country, first_prior, last_day)
        return replay(daily, months, checkpoints, self.config.thresholds, holidays)

    # -- set-up check -------------------------------------------------------------------------

    def channel_statuses(self) -> list[ChannelStatus]:
        """A channel is used when its section and its token are both present."""
        statuses = []
        for channel, section, token in (
            ("slack", self.config.slack, self.env.slack_bot_token),
            ("telegram", self.config.telegram, self.env.telegram_bot_token),
        ):
            env_name = f"{channel.upper()}_BOT_TOKEN"
            if section is None:
                statuses.append(
                    ChannelStatus(channel=channel, ready=False, detail="not configured")
                )
            elif token is None:
                statuses.append(
                    ChannelStatus(
                        channel=channel,
                        ready=False,
                        detail=f"section present but {env_name} is not set: will not post",
                    )
                )
            else:
                statuses.append(ChannelStatus(channel=channel, ready=True, detail="token set"))
        return statuses

    def config_warnings(self) -> list[str]:
        warnings = [f"unknown config key {key!r} (a typo?)" for key in unknown_keys(self.config)]
        warnings += [
            f"{s.channel}: {s.detail}"
            for s in self.channel_statuses()
            if not s.ready and s.detail != "not configured"
        ]
        return warnings

    async def check(self, as_of: date) -> CheckReport:
        trackers = read_trackers(
            self.config.escalation_tracker_path, self.config.engdesk_tracker_glob
        )
        tracker_lines = [
            f"escalations: {len(trackers.escalations)} entries",
            f"ENGDESK tickets: {len(trackers.tickets)}",
            *trackers.warnings,
        ]
        return CheckReport(
            config_warnings=self.config_warnings(),
            source=await self.source.status(as_of),
            customers=[c.label for c in self.config.customers],
            channels=[await self._verify(s) for s in self.channel_statuses()],
            trackers=tracker_lines,
        )

    async def _verify(self, status: ChannelStatus) -> ChannelStatus:
        """Ask the API whether the token works (Slack auth.test, Telegram getMe)."""
        if not status.ready:
            return status
        try:
            who = await self.channel(status.channel).verify()
        except SpendMonitorError as exc:
            return status.model_copy(update={"verified": False, "detail": f"rejected: {exc}"})
        return status.model_copy(update={"verified": True, "detail": f"token ok ({who})"})

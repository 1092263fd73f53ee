"""Tableau Server / Cloud over its REST API: the primary revenue source.

One session is shared by every concurrent request (sign-in sits behind a lock; a second sign-in
with the same PAT would end the first). Any 401 on a data call signs in again once and repeats
the call. Views are read as display-formatted CSV, filtered to many customers per request,
streamed and summed as they arrive (tableau_csv.py) under one concurrency limit for the run.
"""

from __future__ import annotations

import functools
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote, unquote

import anyio
import httpx
from pydantic import SecretStr

from ..concurrency import run_all
from ..config import CustomerConfig, TableauConfig
from ..domain.columns import ColumnsBuilder
from ..domain.coverage import (
    book_totals,
    ends_early,
    lookback_start,
    settle_period,
    source_coverage,
)
from ..domain.models import CustomerRevenue, ServiceRevenue, SourceName, Thresholds
from ..domain.periods import Period
from ..domain.revenue import from_daily, unavailable, window_totals
from ..errors import ConfigError, SourceError, TableauError
from ..net import GaveUp, send
from .base import RevenueSnapshot, SourceStatus
from .tableau_csv import (
    Collected,
    CsvStream,
    Header,
    Incomplete,
    RowSink,
    Series,
    ViewKey,
    ViewRows,
)

log = logging.getLogger(__name__)
CUT_OFF = "Tableau's answer was cut off"
# A filter value no customer has: the view answers with its header row only.
NO_SUCH_CUSTOMER = "spend-monitor check: no such customer"
VIEW_KEYS: tuple[ViewKey, ...] = ("daily_revenue", "monthly_revenue", "service_breakdown")
Sink = TypeVar("Sink", bound=RowSink)
FILTER_CHARS = 3_000  # keeps a request URL under ~4,000 characters
HINTS = {
    "401001": "check tableau.pat_name, tableau.site and TABLEAU_PAT_SECRET; the PAT may be "
    "expired or revoked",
    "404000": "check tableau.site (the site's contentUrl)",
    "403032": "give the PAT's user permission to view it",
    "405000": "use https:// in tableau.server",
    "429000": "Tableau is rate limiting; lower tableau.max_concurrency",
}


def _error_from(response: httpx.Response) -> TableauError:
    """Tableau errors come as JSON, XML, or (for 429 at the edge) HTML."""
    code, summary = f"{response.status_code}000", f"HTTP {response.status_code}"
    try:
        error = response.json()["error"]
        code, summary = str(error.get("code", code)), error.get("detail") or error["summary"]
    except (ValueError, KeyError, TypeError):
        try:
            node = next(e for e in ET.fromstring(response.text).iter() if e.tag.endswith("error"))
            code = node.get("code", code)
            summary = "".join(node.itertext()).strip() or summary
        except (ET.ParseError, StopIteration):
            pass
    return TableauError(code, summary, HINTS.get(code))


class AnswerCutOff(SourceError):
    """A view's answer visibly cut short, twice: its batch's customers are unavailable."""


def escape_filter_value(value: str) -> str:
    """A comma inside a name is escaped with a backslash; percent-encoding alone does not."""
    return value.replace("\\", "\\\\").replace(",", "\\,")


def batches(values: Sequence[str], size: int) -> list[list[str]]:
    """Groups of at most `size` names whose encoded filter stays under FILTER_CHARS."""
    out: list[list[str]] = []
    current: list[str] = []
    length = 0
    for value in values:
        cost = len(quote(escape_filter_value(value), safe="")) + 3
        if current and (len(current) >= size or length + cost > FILTER_CHARS):
            out.append(current)
            current, length = [], 0
        current.append(value)
        length += cost
    if current:
        out.append(current)
    return out


class TableauClient:
    """The REST calls, with the session handling Tableau requires."""

    def __init__(self, config: TableauConfig, secret: SecretStr, http: httpx.AsyncClient):
        self.config = config
        self._secret = secret
        self._http = http
        self._api = f"{config.base_url}/api/{config.api_version}"
        self._lock = anyio.Lock()
        self._token: str | None = None
        self._site_id: str | None = None
        self._generation = 0
        self._views: dict[str, str] = {}
        self.sign_ins = 0

    async def _sign_in(self, seen_generation: int) -> None:
        async with self._lock:
            if self._generation != seen_generation and self._token:
                return  # another request signed in while this one waited
            body = {
                "credentials": {
                    "personalAccessTokenName": self.config.pat_name,
                    "personalAccessTokenSecret": self._secret.get_secret_value(),
                    "site": {"contentUrl": self.config.site},
                }
            }
            response = await self._send("POST", f"{self._api}/auth/signin", json=body)
            if response.status_code != 200:
                raise _error_from(response)
            credentials = response.json()["credentials"]
            self._token = credentials["token"]
            self._site_id = credentials["site"]["id"]
            self._generation += 1
            self.sign_ins += 1

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        try:
            return await send(self._http, method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            cause = exc.cause if isinstance(exc, GaveUp) else exc
            if isinstance(cause, httpx.RemoteProtocolError) and "complete message body" in str(
                cause
            ):
                raise AnswerCutOff(f"{CUT_OFF} ({cause})") from None
            raise SourceError(
                f"cannot reach Tableau at {self.config.base_url} ({type(exc).__name__})",
                "check tableau.server and the network",
            ) from None

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call on the site; a 401 signs in again once and repeats it."""
        for attempt in (1, 2):
            generation = self._generation
            if self._token is None:
                await self._sign_in(generation)
                generation = self._generation
            url = f"{self._api}/sites/{self._site_id}/{path}"
            response = await self._send(
                method, url, headers={"X-Tableau-Auth": self._token or ""}, **kwargs
            )
            if response.status_code == 401 and attempt == 1:
                log.debug("Tableau session ended (%s); signing in again", response.status_code)
                await self._sign_in(generation)
                continue
            if response.status_code >= 400:
                raise _error_from(response)
            return response
        raise AssertionError("unreachable")

    async def view_id(self, key: str, value: str) -> str:
        """A LUID as given, or a `Workbook/View` name resolved once through the views query."""
        if "/" not in value:
            return value
        if value not in self._views:
            workbook, _, view = value.partition("/")
            wanted = f"{workbook}/sheets/{view}"
            page, seen = 1, 0
            while value not in self._views:
                response = await self.request(
                    "GET",
                    "views",
                    params={
                        "filter": f"viewUrlName:eq:{view}",
                        "pageSize": 1000,
                        "pageNumber": page,
                    },
                )
                data = response.json()
                found = (data.get("views") or {}).get("view", [])
                for item in found:
                    if item.get("contentUrl") == wanted:
                        self._views[value] = item["id"]
                seen += len(found)
                if not found or seen >= int(data.get("pagination", {}).get("totalAvailable", 0)):
                    break
                page += 1
            if value not in self._views:
                raise ConfigError(
                    f"tableau.views.{key}: no view {value!r} on this site",
                    "use the view's LUID or its Workbook/View name as the URL shows it",
                )
        return self._views[value]

    async def read_view(
        self, key: str, value: str, filters: dict[str, str], sink: Callable[[], Sink]
    ) -> Sink:
        """A view's CSV answer, streamed into a fresh `sink()` (each attempt starts afresh,
        so a broken attempt leaves nothing behind). An answer visibly cut short is asked for
        once more, then raises `AnswerCutOff`."""
        view = await self.view_id(key, value)
        reason = ""
        done: list[Sink] = []

        async def read(response: httpx.Response) -> None:
            target = sink()
            stream = CsvStream(target)
            async for chunk in response.aiter_bytes():
                stream.feed(chunk)
            length = response.headers.get("content-length")
            whole = length and not response.headers.get("content-encoding")
            stream.close(int(length) if whole else None, response.num_bytes_downloaded)
            done[:] = [target]

        for attempt in (1, 2):
            try:
                response = await self.request(
                    "GET", f"views/{view}/data", params=filters, read=read
                )
            except TableauError as exc:
                if exc.code == "400080":
                    raise ConfigError(
                        f"tableau.views.{key}: {value!r} is not a view on this site",
                        "check the view id in the config",
                    ) from None
                raise
            except AnswerCutOff as exc:
                reason = str(exc)
            except Incomplete as exc:
                reason = f"{CUT_OFF} ({exc})"
            else:
                if not done:
                    raise _error_from(response)
                return done[0]
            log.warning("view %s: %s (attempt %d of 2)", key, reason, attempt)
        raise AnswerCutOff(f"view {key}: {reason}")

    async def sign_out(self) -> None:
        if self._token is None:
            return
        try:
            await self._send(
                "POST", f"{self._api}/auth/signout", headers={"X-Tableau-Auth": self._token}
            )
        except SourceError as exc:
            log.warning("Tableau sign-out failed: %s", exc)
        self._token = None


class TableauSource:
    name: SourceName = "tableau"

    def __init__(
        self,
        config: TableauConfig,
        customers: Sequence[CustomerConfig],
        secret: SecretStr | None,
        http: httpx.AsyncClient,
        thresholds: Thresholds | None = None,
    ) -> None:
        if secret is None:
            raise ConfigError("TABLEAU_PAT_SECRET is not set", "set it in the environment or .env")
        self.config = config
        self.thresholds = thresholds or Thresholds()
        self.client = TableauClient(config, secret, http)
        self.filter_field = config.filter_field or config.columns.customer
        # The value Tableau shows for each configured customer, and back.
        self.tableau_names = {
            c.name: unquote(c.tableau_url_name) if c.tableau_url_name else c.name for c in customers
        }
        self.request_count = 0

    def configured_views(self) -> dict[ViewKey, str]:
        views = self.config.views.model_dump()
        return {key: views[key] for key in VIEW_KEYS if views.get(key)}

    def views_to_read(self) -> dict[ViewKey, str]:
        """Monthly totals only matter when there is no daily view."""
        views = self.configured_views()
        if "daily_revenue" in views:
            views.pop("monthly_revenue", None)
        return views

    async def _read_view(
        self,
        key: ViewKey,
        value: str,
        names: list[str] | None,
        limiter: anyio.CapacityLimiter,
        got: Collected,
        as_of: date,
    ) -> dict[str, str]:
        """All rows of a view for `names` (None: unfiltered), batches fetched concurrently
        within the run's one `limiter`, each answer summed as it streams in and added to
        `got` once it is whole. Returns the customers whose batch came back cut off twice,
        and why."""
        cut: dict[str, str] = {}
        rows = 0

        def rows_of_view() -> ViewRows:
            return ViewRows(key, self.config.columns, as_of, self._require)

        async def one(batch: list[str] | None) -> None:
            nonlocal rows
            async with limiter:
                filters = {}
                if batch is not None:
                    filters[f"vf_{self.filter_field}"] = ",".join(
                        escape_filter_value(n) for n in batch
                    )
                try:
                    answer = await self.client.read_view(key, value, filters, rows_of_view)
                except AnswerCutOff as exc:
                    if batch is None:
                        raise  # every customer was in it: the source failed as a whole
                    cut.update(dict.fromkeys(batch, exc.message))
                    return
            rows += answer.got.rows
            got.merge(answer.got)

        groups: list[list[str] | None] = (
            list(batches(names, self.config.batch_size)) if (names is not None) else [None]
        )
        await run_all(functools.partial(one, batch) for batch in groups)
        if not rows and not cut:
            raise SourceError(
                f"tableau view {key} ({value}) answered with no rows at all",
                "check the view's filters and its data source refresh in Tableau",
            )
        return cut

    @staticmethod
    def _require(key: str, columns: list[str], fields: list[str]) -> None:
        missing = [f for f in fields if f not in columns]
        if missing and columns:
            raise ConfigError(
                f"tableau view {key} has no column {', '.join(repr(m) for m in missing)}; "
                f"it has {', '.join(columns)}",
                "set tableau.columns to the view's captions",
            )

    async def fetch(
        self, as_of: date, customers: Sequence[str] | None, since: date | None = None
    ) -> RevenueSnapshot:
        names = [self.tableau_names.get(c, c) for c in customers] if customers is not None else None
        views = self.views_to_read()
        cuts: dict[str, dict[str, str]] = {}
        got = Collected()
        # One limit for the whole run: views are read side by side, yet no more than
        # max_concurrency requests are ever in flight.
        limiter = anyio.CapacityLimiter(self.config.max_concurrency)

        async def load(key: ViewKey, value: str) -> None:
            cuts[key] = await self._read_view(key, value, names, limiter, got, as_of)

        await run_all(functools.partial(load, key, value) for key, value in views.items())
        # Daily views return every day they hold, so `since` needs no extra request.
        cut: dict[str, str] = {}
        for key in VIEW_KEYS:  # the first view's reason, whichever answered first
            for who, why in cuts.get(key, {}).items():
                cut.setdefault(who, why)
        return self._assemble(as_of, customers, got, cut)

    def _assemble(
        self,
        as_of: date,
        customers: Sequence[str] | None,
        got: Collected,
        cut: dict[str, str],
    ) -> RevenueSnapshot:
        dated = [s for s in got.daily.values() if s.days]
        if got.service_by_day:
            dated += [s for s in got.by_service.values() if s.days]
        first = min((min(s.days) for s in dated), default=None)
        last = max((max(s.days) for s in dated), default=None)
        # Repeated days count once, summed (each series is read twice: kept whole, the
        # book's series would double what the run holds).
        book = book_totals(series.amounts() for series in got.daily.values())
        period, notice = settle_period(as_of, book, self.thresholds, first, last)
        ends = {who: max(series.days) for who, series in got.daily.items() if series.days}
        coverage = source_coverage(book).model_copy(update={"ends_early": ends_early(ends, period)})
        lines: dict[str, list[tuple[str, Series]]] = {}
        for (who, service), series in got.by_service.items():
            lines.setdefault(who, []).append((service, series))
        keys = list(customers) if customers is not None else sorted(got.seen)
        daily_view = bool(got.daily)
        # Each customer's model is added to the columns and dropped: a whole view's worth of
        # them is never held at once. Days before the look-back decide nothing, so a view
        # holding years of history costs no more than one holding the look-back.
        since = min(period.prior_start, lookback_start(period, self.thresholds))
        start = max(first, since) if first is not None else since
        result = ColumnsBuilder("tableau", keys, start, period.data_through)
        for row, key in enumerate(keys):
            who = self.tableau_names.get(key, key)
            problem = got.problem(who)
            if who in cut:
                result.add(row, unavailable(key, "tableau", cut[who]))
            elif problem is not None:
                result.add(row, unavailable(key, "tableau", problem))
            elif who not in got.seen:
                reason = f"no rows in Tableau for {who!r} ({self.filter_field})"
                result.add(row, unavailable(key, "tableau", reason))
            else:
                services = [
                    self._service(name, series.amounts(), period, got.service_by_day)
                    for name, series in lines.pop(who, [])
                ]
                # Each series is dropped once read, so the snapshot grows as they go.
                daily, monthly = got.daily.pop(who, None), got.monthly.pop(who, None)
                customer = self._customer(
                    key,
                    daily.amounts() if daily else None,
                    monthly.amounts() if monthly else None,
                    services,
                    period,
                )
                result.add(row, customer)
        return RevenueSnapshot(
            source="tableau",
            period=period,
            revenue=result.build(),
            coverage=coverage if daily_view else None,
            notices=(notice,) if notice else (),
        )

    @staticmethod
    def _service(
        name: str, amounts: dict[date, float], period: Period, by_day: bool
    ) -> ServiceRevenue:
        if by_day:
            current, prior_total, prior_same = window_totals(amounts, period)
            return ServiceRevenue(
                service=name,
                current=current,
                prior_total=prior_total,
                prior_same_days=prior_same,
            )
        return ServiceRevenue(
            service=name,
            current=amounts.get(period.current_start, 0.0),
            prior_total=amounts.get(period.prior_start, 0.0),
        )

    @staticmethod
    def _customer(
        key: str,
        daily: dict[date, float] | None,
        monthly: dict[date, float] | None,
        services: list[ServiceRevenue],
        period: Period,
    ) -> CustomerRevenue:
        if daily:
            window = {d: v for d, v in daily.items() if d <= period.data_through}
            return from_daily(key, "tableau", window, services, period)
        if monthly:
            return CustomerRevenue(
                key=key,
                source="tableau",
                current=monthly.get(period.current_start, 0.0),
                prior_total=monthly.get(period.prior_start, 0.0),
                services=tuple(services),
            )
        return CustomerRevenue(
            key=key,
            source="tableau",
            current=sum(s.current for s in services),
            prior_total=sum(s.prior_total for s in services),
            services=tuple(services),
        )

    async def status(self, as_of: date) -> SourceStatus:
        described = []
        for key, value in self.configured_views().items():
            answer = await self.client.read_view(
                key, value, {f"vf_{self.filter_field}": NO_SUCH_CUSTOMER}, Header
            )
            columns = answer.columns
            described.append(f"{key}: {', '.join(columns) or '(no columns)'}")
        return SourceStatus(
            source="tableau",
            ok=True,
            detail=f"signed in to {self.config.base_url}; " + "; ".join(described),
            facts={"sign_ins": self.client.sign_ins},
        )

    async def aclose(self) -> None:
        await self.client.sign_out()

"""Tableau Server / Cloud over its REST API: the primary revenue source.

One session is shared by every concurrent request (sign-in sits behind a lock; a second sign-in
with the same PAT would end the first). Any 401 on a data call signs in again once and repeats
the call. Views are read as display-formatted CSV, filtered to many customers per request.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, unquote

import anyio
import httpx
from pydantic import SecretStr

from ..concurrency import run_all
from ..config import CustomerConfig, TableauConfig
from ..domain.columns import from_revenue
from ..domain.coverage import book_totals, ends_early, settle_period, source_coverage
from ..domain.models import CustomerRevenue, ServiceRevenue, SourceName, Thresholds
from ..domain.periods import Period
from ..domain.revenue import from_daily, unavailable
from ..errors import ConfigError, SourceError, TableauError
from ..net import GaveUp, send
from .base import RevenueSnapshot, SourceStatus
from .display_values import parse_amount, parse_day, parse_month

log = logging.getLogger(__name__)
CUT_OFF = "Tableau's answer was cut off"
# A filter value no customer has: the view answers with its header row only.
NO_SUCH_CUSTOMER = "spend-monitor check: no such customer"
VIEW_KEYS = ("daily_revenue", "monthly_revenue", "service_breakdown")
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


def cut_reason(response: httpx.Response) -> str | None:
    """Why a view's CSV answer is visibly incomplete, or None: a body shorter than its
    Content-Length, bytes that do not decode, or a last line without all its fields."""
    expected = response.headers.get("content-length")
    encoded = response.headers.get("content-encoding")
    if expected and not encoded and int(expected) != len(response.content):
        return f"{len(response.content)} of {expected} bytes"
    try:
        text = response.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "the bytes do not decode as UTF-8"
    rows = list(csv.reader(io.StringIO(text)))
    if rows and len(rows[-1]) != len(rows[0]):
        return f"its last line has {len(rows[-1])} of {len(rows[0])} fields"
    return None


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

    async def view_csv(self, key: str, value: str, filters: dict[str, str]) -> str:
        """A view's CSV; an answer visibly cut short is asked for once more, then raises
        `AnswerCutOff`."""
        view = await self.view_id(key, value)
        reason = ""
        for attempt in (1, 2):
            try:
                response = await self.request("GET", f"views/{view}/data", params=filters)
            except TableauError as exc:
                if exc.code == "400080":
                    raise ConfigError(
                        f"tableau.views.{key}: {value!r} is not a view on this site",
                        "check the view id in the config",
                    ) from None
                raise
            except AnswerCutOff as exc:
                reason = str(exc)
            else:
                cut = cut_reason(response)
                if cut is None:
                    return response.content.decode("utf-8-sig")
                reason = f"{CUT_OFF} ({cut})"
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


@dataclass
class ViewRead:
    """What reading one view came to: its columns and row count (its amounts went straight
    into the run's `Collected`)."""

    columns: list[str] = field(default_factory=list)
    rows: int = 0
    # Customers whose batch came back cut off twice, and why.
    cut: dict[str, str] = field(default_factory=dict)


def _by_day() -> defaultdict[date, float]:
    return defaultdict(float)


@dataclass
class Collected:
    daily: defaultdict[str, defaultdict[date, float]] = field(
        default_factory=lambda: defaultdict(_by_day)
    )
    monthly: defaultdict[str, defaultdict[date, float]] = field(
        default_factory=lambda: defaultdict(_by_day)
    )
    by_service: defaultdict[str, defaultdict[str, defaultdict[date, float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(_by_day))
    )
    service_by_day: bool = False
    seen: set[str] = field(default_factory=set)
    problems: dict[str, str] = field(default_factory=dict)


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

    def configured_views(self) -> dict[str, str]:
        views = self.config.views.model_dump(include=set(VIEW_KEYS))
        return {key: value for key, value in views.items() if value}

    def views_to_read(self) -> dict[str, str]:
        """Monthly totals only matter when there is no daily view."""
        views = self.configured_views()
        if "daily_revenue" in views:
            views.pop("monthly_revenue", None)
        return views

    async def _read_view(
        self,
        key: str,
        value: str,
        names: list[str] | None,
        limiter: anyio.CapacityLimiter,
        take: Callable[[str, str, ViewRead], None],
    ) -> ViewRead:
        """All rows of a view for `names` (None: unfiltered), batches fetched concurrently
        within the run's one `limiter`; each answer is handed to `take` as it arrives and
        dropped, so no view is ever held whole as rows."""
        read = ViewRead()

        async def one(batch: list[str] | None) -> None:
            async with limiter:
                filters = {}
                if batch is not None:
                    filters[f"vf_{self.filter_field}"] = ",".join(
                        escape_filter_value(n) for n in batch
                    )
                try:
                    text = await self.client.view_csv(key, value, filters)
                except AnswerCutOff as exc:
                    if batch is None:
                        raise  # every customer was in it: the source failed as a whole
                    read.cut.update(dict.fromkeys(batch, exc.message))
                    return
            take(key, text, read)

        groups: list[list[str] | None] = (
            list(batches(names, self.config.batch_size)) if (names is not None) else [None]
        )
        await run_all(functools.partial(one, batch) for batch in groups)
        if not read.rows and not read.cut:
            raise SourceError(
                f"tableau view {key} ({value}) answered with no rows at all",
                "check the view's filters and its data source refresh in Tableau",
            )
        return read

    def _require(self, key: str, rows: ViewRead, *fields: str) -> None:
        missing = [f for f in fields if f not in rows.columns]
        if missing and rows.columns:
            raise ConfigError(
                f"tableau view {key} has no column {', '.join(repr(m) for m in missing)}; "
                f"it has {', '.join(rows.columns)}",
                "set tableau.columns to the view's captions",
            )

    async def fetch(
        self, as_of: date, customers: Sequence[str] | None, since: date | None = None
    ) -> RevenueSnapshot:
        names = [self.tableau_names.get(c, c) for c in customers] if customers is not None else None
        views = self.views_to_read()
        read: dict[str, ViewRead] = {}
        got = Collected()
        # One limit for the whole run: views are read side by side, yet no more than
        # max_concurrency requests are ever in flight.
        limiter = anyio.CapacityLimiter(self.config.max_concurrency)

        def take(key: str, text: str, view: ViewRead) -> None:
            self._collect(key, text, view, got, as_of)

        async def load(key: str, value: str) -> None:
            read[key] = await self._read_view(key, value, names, limiter, take)

        await run_all(functools.partial(load, key, value) for key, value in views.items())
        # Daily views return every day they hold, so `since` needs no extra request.
        cut = {who: why for view in read.values() for who, why in view.cut.items()}
        return self._assemble(as_of, customers, got, cut)

    def _collect(self, key: str, text: str, view: ViewRead, got: Collected, as_of: date) -> None:
        """One answer's rows into amounts by customer; rows dated today or later are
        ignored, and a row that cannot be read marks its customer, never counts as 0."""
        cols = self.config.columns
        reader = csv.DictReader(io.StringIO(text))
        view.columns = list(reader.fieldnames or [])
        by_day = cols.date in view.columns
        needed = [cols.customer, cols.amount, cols.date if by_day else cols.month]
        if key == "service_breakdown":
            needed.append(cols.service)
            got.service_by_day = by_day
        self._require(key, view, *needed)
        when_column = cols.date if by_day else cols.month
        for n, row in enumerate(reader, start=1):
            view.rows += 1
            who = (row.get(cols.customer) or "").strip()
            if not who:
                continue
            got.seen.add(who)
            caption = row.get(when_column) or ""
            when = parse_day(caption) if by_day else parse_month(caption)
            value = parse_amount(row.get(cols.amount) or "")
            if when is None or value is None:
                bad = (
                    (when_column, caption) if when is None else (cols.amount, row.get(cols.amount))
                )
                got.problems.setdefault(
                    who,
                    f"view {key} row {n}: {bad[0]} {bad[1]!r} "
                    f"is not {'a date' if when is None else 'an amount'}",
                )
                continue
            if when >= as_of:
                continue  # today's partial day, or later
            if key == "service_breakdown":
                service = (row.get(cols.service) or "").strip() or "(unspecified)"
                got.by_service[who][service][when] += value
            elif key == "daily_revenue":
                got.daily[who][when] += value
            else:
                got.monthly[who][when.replace(day=1)] += value

    def _assemble(
        self,
        as_of: date,
        customers: Sequence[str] | None,
        got: Collected,
        cut: dict[str, str],
    ) -> RevenueSnapshot:
        dated = [d for rows in got.daily.values() for d in rows]
        if got.service_by_day:
            dated += [
                d for lines in got.by_service.values() for rows in lines.values() for d in rows
            ]
        book = book_totals(got.daily.values())
        period, notice = settle_period(
            as_of, book, self.thresholds, min(dated, default=None), max(dated, default=None)
        )
        ends = {who: max(days) for who, days in got.daily.items() if days}
        coverage = source_coverage(book).model_copy(update={"ends_early": ends_early(ends, period)})
        keys = list(customers) if customers is not None else sorted(got.seen)
        result: dict[str, CustomerRevenue] = {}
        for key in keys:
            who = self.tableau_names.get(key, key)
            if who in cut:
                result[key] = unavailable(key, "tableau", cut[who])
            elif who in got.problems:
                result[key] = unavailable(key, "tableau", got.problems[who])
            elif who not in got.seen:
                result[key] = unavailable(
                    key, "tableau", f"no rows in Tableau for {who!r} ({self.filter_field})"
                )
            else:
                services = [
                    self._service(name, amounts, period, got.service_by_day)
                    for name, amounts in got.by_service.get(who, {}).items()
                ]
                result[key] = self._customer(
                    key, got.daily.get(who), got.monthly.get(who), services, period
                )
        return RevenueSnapshot(
            source="tableau",
            period=period,
            revenue=from_revenue("tableau", result),
            coverage=coverage if got.daily else None,
            notices=(notice,) if notice else (),
        )

    @staticmethod
    def _service(
        name: str, amounts: dict[date, float], period: Period, by_day: bool
    ) -> ServiceRevenue:
        if by_day:
            total = from_daily(name, "tableau", amounts, (), period)
            return ServiceRevenue(
                service=name,
                current=total.current,
                prior_total=total.prior_total,
                prior_same_days=total.prior_same_days,
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
            text = await self.client.view_csv(
                key, value, {f"vf_{self.filter_field}": NO_SUCH_CUSTOMER}
            )
            columns = next(csv.reader(io.StringIO(text)), [])
            described.append(f"{key}: {', '.join(columns) or '(no columns)'}")
        return SourceStatus(
            source="tableau",
            ok=True,
            detail=f"signed in to {self.config.base_url}; " + "; ".join(described),
            facts={"sign_ins": self.client.sign_ins},
        )

    async def aclose(self) -> None:
        await self.client.sign_out()

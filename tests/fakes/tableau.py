"""A Tableau REST API emulator, as shared/facts/tableau-rest.md describes it.

PAT sign-in (JSON or XML), one session per PAT, token expiry, the documented error codes, the
views query with filters and paging, and view data as display-formatted CSV honouring `vf_`
filters exactly. Faults: added latency, failing or rate-limited requests (JSON or HTML bodies,
with or without Retry-After), dropped connections, a session that ends mid-run. Every request
is counted.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

NS = "http://tableau.com/api"


@dataclass
class FakeView:
    id: str
    name: str
    workbook: str
    columns: list[str]
    rows: list[dict[str, str]]

    _index: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    _lines: list[str] = field(default_factory=list)

    @property
    def content_url(self) -> str:
        return f"{self.workbook}/sheets/{self.name}"

    def matching(self, caption: str, wanted: set[str]) -> list[int]:
        """Positions of the rows whose `caption` is one of `wanted`, in view order (indexed
        once per caption)."""
        if caption not in self._index:
            index: dict[str, list[int]] = {}
            for i, row in enumerate(self.rows):
                index.setdefault(row.get(caption, ""), []).append(i)
            self._index[caption] = index
        return sorted(i for value in wanted for i in self._index[caption].get(value, []))

    def lines(self) -> list[str]:
        """Each row as its CSV line, rendered once, at the first answer (so a benchmark's
        emulator spends its time answering, not formatting the same rows again)."""
        if len(self._lines) != len(self.rows):
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=self.columns, lineterminator="\n")
            ends = []
            for row in self.rows:
                writer.writerow(row)
                ends.append(out.tell())
            text = out.getvalue()
            self._lines = [text[a:b] for a, b in zip([0, *ends], ends, strict=False)]
        return self._lines


@dataclass
class Fault:
    status: int
    retry_after: int | None = None
    html: bool = False
    drop: bool = False


# How a view's answer is cut: mid-line (its last line lacks fields), short of the promised
# Content-Length, at a row boundary (the second half of the rows missing: invisible), or with
# bytes that do not decode.
Cut = Literal["line", "short", "rows", "bytes"]


class ShortResponse(Response):
    """Promise the whole body, send half of it, hang up."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.whole = body

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        length = str(len(self.whole)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", length), (b"content-type", b"text/csv")],
            }
        )
        half = self.whole[: len(self.whole) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": False})


def cut_body(body: str, how: Cut) -> Response:
    """A view's CSV answer cut the way a refresh half done or a proxy hang-up cuts it."""
    lines = body.rstrip("\n").split("\n")
    if how == "short":
        return ShortResponse(body.encode())
    if how == "bytes":
        return Response(body.encode()[:-1] + b"\xff\xfe", media_type="text/csv")
    if how == "rows":
        kept = lines[: 1 + (len(lines) - 1) // 2]
        return Response("\n".join(kept) + "\n", media_type="text/csv")
    last = lines[-1]
    lines[-1] = last[: last.index(",") + 1] if "," in last else last
    return Response("\n".join(lines), media_type="text/csv")


class DroppedResponse(Response):
    """Promise a body, send part of it, hang up: the client sees a broken connection."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"1000"), (b"content-type", b"text/csv")],
            }
        )
        await send({"type": "http.response.body", "body": b"Account Name,", "more_body": False})


def split_filter(value: str) -> list[str]:
    """Comma-separated values; a backslash escapes the next character (`Rock\\, Paper`)."""
    values, current, escaped = [], "", False
    for ch in value:
        if escaped:
            current, escaped = current + ch, False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            values.append(current)
            current = ""
        else:
            current += ch
    values.append(current)
    return values


@dataclass
class TableauFake:
    pats: dict[str, str] = field(default_factory=lambda: {"spend-monitor": "pat-secret"})
    site: str = "finance"
    site_id: str = "site-0001"
    views: dict[str, FakeView] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)
    latency: float = 0.0
    token_lifetime: float | None = None
    expire_after_data_requests: int | None = None
    faults: list[Fault] = field(default_factory=list)
    cuts: list[Cut] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    data_filters: list[dict[str, str]] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)
    # Data requests being answered now, and the most there ever were at once.
    in_flight: int = 0
    most_in_flight: int = 0
    url: str = ""
    _sessions: dict[str, tuple[str, float | None]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # -- set-up -----------------------------------------------------------------------------

    def add_view(
        self,
        view_id: str,
        workbook: str,
        name: str,
        columns: list[str],
        rows: Iterable[dict[str, str]],
    ) -> FakeView:
        view = FakeView(view_id, name, workbook, columns, list(rows))
        self.views[view_id] = view
        return view

    def fail_next(
        self, times: int, status: int = 503, retry_after: int | None = None, html: bool = False
    ) -> None:
        self.faults += [Fault(status, retry_after, html)] * times

    def drop_next(self, times: int = 1) -> None:
        self.faults += [Fault(0, drop=True)] * times

    def cut_next(self, times: int = 1, how: Cut = "line") -> None:
        """The next `times` data answers come back cut (see `Cut`)."""
        self.cuts += [how] * times

    def end_sessions(self) -> None:
        """Every current token stops working, as when a session expires mid-run."""
        self._sessions.clear()

    @property
    def data_requests(self) -> int:
        return self.counts["data"]

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _wants_json(request: Request) -> bool:
        return "json" in request.headers.get("accept", "")

    def _error(self, request: Request, status: int, code: str, summary: str) -> Response:
        if self._wants_json(request):
            return JSONResponse(
                {"error": {"summary": summary, "detail": summary, "code": code}}, status
            )
        body = (
            f'<tsResponse xmlns="{NS}"><error code="{code}"><summary>{summary}</summary>'
            f"<detail>{summary}</detail></error></tsResponse>"
        )
        return Response(body, status, media_type="application/xml")

    def _fault(self) -> Response | None:
        if not self.faults:
            return None
        fault = self.faults.pop(0)
        if fault.drop:
            return DroppedResponse()
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.html:
            return Response(
                "<html><body><h1>Too Many Requests</h1></body></html>",
                fault.status,
                headers=headers,
                media_type="text/html",
            )
        code = f"{fault.status}000"
        return JSONResponse(
            {"error": {"summary": "Injected", "detail": "fault", "code": code}},
            fault.status,
            headers=headers,
        )

    def _session(self, request: Request) -> str | None:
        """The PAT behind a valid token, or None."""
        token = request.headers.get("x-tableau-auth")
        found = self._sessions.get(token or "")
        if found is None:
            return None
        pat, expires = found
        if expires is not None and time.monotonic() > expires:
            del self._sessions[token or ""]
            return None
        return pat

    # -- endpoints ----------------------------------------------------------------------------

    async def signin(self, request: Request) -> Response:
        self.counts["signin"] += 1
        raw = await request.body()
        try:
            if raw.strip().startswith(b"<"):
                node = ET.fromstring(raw).find("credentials")
                assert node is not None
                name = node.get("personalAccessTokenName")
                secret = node.get("personalAccessTokenSecret")
                site_node = node.find("site")
                site = site_node.get("contentUrl") if site_node is not None else None
            else:
                creds = json.loads(raw)["credentials"]
                name = creds["personalAccessTokenName"]
                secret = creds["personalAccessTokenSecret"]
                site = creds["site"]["contentUrl"]
        except (ET.ParseError, AssertionError, KeyError, ValueError):
            return self._error(request, 400, "400000", "Bad Request")
        if site != self.site:
            return self._error(request, 404, "404000", "Site not found")
        if name not in self.pats or self.pats[name] != secret:
            return self._error(request, 401, "401001", "Signin Error")
        # One session per PAT: signing in again ends the earlier session.
        self._sessions = {t: s for t, s in self._sessions.items() if s[0] != name}
        token = f"token-{next(self._ids)}"
        expires = time.monotonic() + self.token_lifetime if self.token_lifetime else None
        self._sessions[token] = (name, expires)
        if self._wants_json(request):
            return JSONResponse(
                {
                    "credentials": {
                        "site": {"id": self.site_id, "contentUrl": self.site},
                        "user": {"id": "user-0001"},
                        "token": token,
                        "estimatedTimeToExpiration": "177:05:38",
                    }
                }
            )
        body = (
            f'<tsResponse xmlns="{NS}"><credentials token="{token}">'
            f'<site id="{self.site_id}" contentUrl="{self.site}"/><user id="user-0001"/>'
            "</credentials></tsResponse>"
        )
        return Response(body, media_type="application/xml")

    async def signout(self, request: Request) -> Response:
        self.counts["signout"] += 1
        self._sessions.pop(request.headers.get("x-tableau-auth", ""), None)
        return Response(status_code=204)

    async def _guard(self, request: Request, kind: str) -> Response | None:
        self.counts[kind] += 1
        self.request_times.append(time.monotonic())
        if self.latency:
            await anyio.sleep(self.latency)
        fault = self._fault()
        if fault is not None:
            return fault
        if request.path_params["site_id"] != self.site_id:
            return self._error(request, 404, "404000", "Site not found")
        if request.headers.get("x-tableau-auth") is None:
            return self._error(request, 401, "401000", "Missing authentication")
        if self._session(request) is None:
            return self._error(request, 401, "401002", "Invalid authentication credentials")
        return None

    async def list_views(self, request: Request) -> Response:
        refused = await self._guard(request, "views")
        if refused is not None:
            return refused
        size = int(request.query_params.get("pageSize", 100))
        number = int(request.query_params.get("pageNumber", 1))
        if size > 1000:
            return self._error(request, 403, "403014", "Page size limit exceeded")
        views = list(self.views.values())
        for term in filter(None, request.query_params.get("filter", "").split(",")):
            key, op, value = term.split(":", 2)
            allowed = value.strip("[]").split(",") if op == "in" else [value]
            attribute = {
                "name": "name",
                "viewUrlName": "name",
                "contentUrl": "content_url",
                "workbookName": "workbook",
            }[key]
            views = [v for v in views if getattr(v, attribute) in allowed]
        page = views[(number - 1) * size : number * size]
        pagination = {
            "pageNumber": str(number),
            "pageSize": str(size),
            "totalAvailable": str(len(views)),
        }
        if self._wants_json(request):
            items = [
                {
                    "id": v.id,
                    "name": v.name,
                    "contentUrl": v.content_url,
                    "viewUrlName": v.name,
                    "workbook": {"id": f"wb-{v.workbook}"},
                }
                for v in page
            ]
            return JSONResponse(
                {"pagination": pagination, "views": {"view": items} if items else {}}
            )
        xml_views = "".join(
            f'<view id="{v.id}" name="{v.name}" contentUrl="{v.content_url}" '
            f'viewUrlName="{v.name}"><workbook id="wb-{v.workbook}"/><owner id="user-0001"/>'
            f'<project id="proj-1"/></view>'
            for v in page
        )
        attrs = " ".join(f'{k}="{v}"' for k, v in pagination.items())
        body = (
            f'<tsResponse xmlns="{NS}"><pagination {attrs}/><views>{xml_views}</views></tsResponse>'
        )
        return Response(body, media_type="application/xml")

    async def view_data(self, request: Request) -> Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._view_data(request)
        finally:
            self.in_flight -= 1

    async def _view_data(self, request: Request) -> Response:
        refused = await self._guard(request, "data")
        if refused is not None:
            return refused
        if (
            self.expire_after_data_requests is not None
            and self.counts["data"] > self.expire_after_data_requests
        ):
            self.expire_after_data_requests = None
            self.end_sessions()
            return self._error(request, 401, "401002", "Invalid authentication credentials")
        view = self.views.get(request.path_params["view_id"])
        if view is None:
            return self._error(request, 400, "400080", "View not found on this site")
        if view.id in self.forbidden:
            return self._error(request, 403, "403032", "Forbidden")
        filters = {k[3:]: v for k, v in request.query_params.items() if k.startswith("vf_")}
        self.data_filters.append(filters)
        positions: list[int] | None = None  # None: every row
        for caption, value in filters.items():
            if caption in view.columns and value != "":
                wanted = set(split_filter(value))
                if positions is None:
                    positions = view.matching(caption, wanted)
                else:
                    positions = [i for i in positions if view.rows[i].get(caption) in wanted]
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(view.columns)
        lines = view.lines()
        chosen = lines if positions is None else [lines[i] for i in positions]
        body = "\ufeff" + header.getvalue() + "".join(chosen)
        if self.cuts:
            return cut_body(body, self.cuts.pop(0))
        return Response(body, media_type="text/csv")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/{version}/auth/signin", self.signin, methods=["POST"]),
                Route("/api/{version}/auth/signout", self.signout, methods=["POST"]),
                Route("/api/{version}/sites/{site_id}/views", self.list_views),
                Route("/api/{version}/sites/{site_id}/views/{view_id}/data", self.view_data),
            ]
        )


# -- display formatting, as a view shows numbers and dates -----------------------------------


def dollars(amount: float) -> str:
    text = f"${abs(amount):,.2f}"
    return f"-{text}" if amount < 0 else text


def daily_view(fake: TableauFake, totals: Iterable[tuple[str, date, float]]) -> None:
    """Serve (customer, date, amount) daily totals as the workbook's daily view."""
    fake.add_view(
        "view-daily",
        "Revenue",
        "Daily",
        ["Account Name", "Date", "Revenue"],
        (
            {"Account Name": c, "Date": f"{d.month}/{d.day}/{d.year}", "Revenue": dollars(a)}
            for c, d, a in totals
        ),
    )


def revenue_views(fake: TableauFake, rows: Iterable[tuple[date, str, str, float]]) -> None:
    """Serve (date, customer, service, amount) rows as the three views a workbook has."""
    daily: Counter[tuple[str, date]] = Counter()
    monthly: Counter[tuple[str, date]] = Counter()
    services: Counter[tuple[str, str, date]] = Counter()
    for day, customer, service, amount in rows:
        daily[customer, day] += amount
        monthly[customer, day.replace(day=1)] += amount
        services[customer, service, day] += amount
    daily_view(fake, ((c, d, a) for (c, d), a in sorted(daily.items())))
    fake.add_view(
        "view-monthly",
        "Revenue",
        "Monthly",
        ["Account Name", "Month", "Revenue"],
        [
            {"Account Name": c, "Month": f"{d:%B %Y}", "Revenue": dollars(a)}
            for (c, d), a in sorted(monthly.items())
        ],
    )
    services_view(fake, ((c, s, d, a) for (c, s, d), a in sorted(services.items())))


def services_view(fake: TableauFake, rows: Iterable[tuple[str, str, date, float]]) -> None:
    """Serve (customer, service, date, amount) rows as the workbook's services view."""
    fake.add_view(
        "view-services",
        "Revenue",
        "Services",
        ["Account Name", "Date", "Service", "Revenue"],
        (
            {"Account Name": c, "Date": d.isoformat(), "Service": s, "Revenue": dollars(a)}
            for c, s, d, a in rows
        ),
    )

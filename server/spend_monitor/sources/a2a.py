"""The billing agent over A2A: monthly totals per customer, asked one question at a time.

Uses the official `a2a-sdk` client, speaking 0.3 (what the old script spoke), 1.0, or whatever
the agent card offers (`auto`). A reply without an amount makes the customer `unavailable`
with the reply quoted — never $0.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import uuid
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anyio
import httpx

from ..concurrency import run_all
from ..config import A2AConfig
from ..domain.columns import MAX_AMOUNT, from_revenue
from ..domain.models import CustomerRevenue, SourceName
from ..domain.periods import period_for
from ..domain.revenue import unavailable
from ..errors import BillingAgentError
from ..net import (
    GaveUp,
    Transient,
    is_transient,
    new_client,
    retry_after_header,
    with_retries,
)
from .answers import amount_in_data, amount_in_text, shorten
from .base import RevenueSnapshot, SourceStatus

if TYPE_CHECKING:
    from a2a.client import Client

log = logging.getLogger(__name__)
# JSON-RPC codes of the SDK's error classes, so a failure names its code.
RPC_CODES = {
    "JSONParseError": -32700,
    "InvalidRequestError": -32600,
    "MethodNotFoundError": -32601,
    "InvalidParamsError": -32602,
    "InternalError": -32603,
    "TaskNotFoundError": -32001,
    "UnsupportedOperationError": -32004,
    "VersionNotSupportedError": -32009,
}


def _classify(error: BaseException) -> Transient | None:
    """Transient by type and HTTP status, never by message text: the SDK wraps httpx's errors
    (its message for a 503 is `HTTP Error 503: …`), so look at what it raised `from`."""
    from a2a.client import A2AClientTimeoutError

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, A2AClientTimeoutError | httpx.TimeoutException):
            return Transient("the billing agent did not answer in time")
        if isinstance(seen, httpx.HTTPStatusError):
            response = seen.response
            if is_transient(response):
                return Transient(f"HTTP {response.status_code}", retry_after_header(response))
            return None
        if isinstance(seen, httpx.TransportError):
            return Transient(f"cannot reach the billing agent ({type(seen).__name__})")
        if isinstance(seen, json.JSONDecodeError):
            return Transient("the billing agent's answer is not JSON")
        seen = seen.__cause__
    return None


def _describe(error: BaseException) -> str:
    if isinstance(error, GaveUp):
        return error.reason
    name = type(error).__name__
    code = RPC_CODES.get(name)
    message = str(error).split("\n")[0]
    return f"JSON-RPC error {code}: {message}" if code else f"{name}: {message}"


def _answer(chunks: list[Any]) -> tuple[float | None, str]:
    """The amount in a reply (data parts first, then text), and the reply's text."""
    from google.protobuf.json_format import MessageToDict

    parts = []
    for chunk in chunks:
        if chunk.HasField("message"):
            parts += list(chunk.message.parts)
        if chunk.HasField("task"):
            for artifact in chunk.task.artifacts:
                parts += list(artifact.parts)
            if chunk.task.status.HasField("message"):
                parts += list(chunk.task.status.message.parts)
        if chunk.HasField("artifact_update"):
            parts += list(chunk.artifact_update.artifact.parts)
    for part in parts:
        if part.HasField("data"):
            found = amount_in_data(MessageToDict(part.data))
            if found is not None:
                return found, ""
    text = " ".join(part.text for part in parts if part.text)
    return amount_in_text(text), text


class BillingAgentSource:
    name: SourceName = "a2a"

    def __init__(self, config: A2AConfig) -> None:
        self.config = config
        self._http: httpx.AsyncClient | None = None
        self._client: Client | None = None
        self._lock = anyio.Lock()
        self.questions = 0

    async def _connect(self) -> Client:
        from a2a.client import ClientConfig, create_client
        from a2a.types import AgentCapabilities, AgentCard, AgentInterface

        async with self._lock:
            if self._client is None:
                self._http = new_client()
                settings = ClientConfig(streaming=False, httpx_client=self._http)
                url = self.config.billing_url
                if self.config.protocol_version == "auto":
                    parts = urlsplit(url)
                    self._client = await create_client(
                        f"{parts.scheme}://{parts.netloc}", client_config=settings
                    )
                else:
                    card = AgentCard(
                        name="billing agent",
                        description="",
                        version="",
                        supported_interfaces=[
                            AgentInterface(
                                url=url,
                                protocol_binding="JSONRPC",
                                protocol_version=self.config.protocol_version,
                            )
                        ],
                        capabilities=AgentCapabilities(streaming=False),
                        default_input_modes=["text/plain"],
                        default_output_modes=["text/plain", "application/json"],
                    )
                    self._client = await create_client(card, client_config=settings)
            return self._client

    async def ask(self, question: str) -> tuple[float | None, str]:
        """The agent's answer; any failure of the agent or the SDK is a BillingAgentError."""
        from a2a.types import Message, Part, Role, SendMessageRequest
        from a2a.utils.errors import A2AError
        from google.protobuf.message import Error as ProtobufError

        message = Message(
            message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(text=question)]
        )
        try:
            client = await self._connect()
            self.questions += 1

            async def attempt() -> list[Any]:
                return [c async for c in client.send_message(SendMessageRequest(message=message))]

            return _answer(await with_retries(attempt, _classify))
        except (A2AError, httpx.HTTPError, ValueError, ProtobufError) as exc:
            raise BillingAgentError(f"billing agent: {_describe(exc)}") from exc

    async def _customer(self, key: str, months: tuple[str, str]) -> CustomerRevenue:
        totals = []
        for month in months:
            question = self.config.question.format(customer=key, month=month)
            try:
                amount, text = await self.ask(question)
            except BillingAgentError as exc:
                return unavailable(key, "a2a", exc.message)
            if amount is None:
                return unavailable(
                    key, "a2a", f"billing agent gave no amount for {month}: {shorten(text)!r}"
                )
            if not math.isfinite(amount) or abs(amount) >= MAX_AMOUNT:
                return unavailable(
                    key,
                    "a2a",
                    f"billing agent gave an amount for {month} that cannot be summed exactly "
                    f"({amount:g}): {shorten(text)!r}",
                )
            totals.append(amount)
        return CustomerRevenue(key=key, source="a2a", current=totals[0], prior_total=totals[1])

    async def fetch(
        self, as_of: date, customers: Sequence[str] | None, since: date | None = None
    ) -> RevenueSnapshot:
        if customers is None:
            raise BillingAgentError(
                "the billing agent cannot list customers",
                "list the customers in config to use the billing agent",
            )
        period = period_for(as_of)
        months = (period.current_month, period.prior_month)
        limiter = anyio.CapacityLimiter(self.config.max_concurrency)
        result: dict[str, CustomerRevenue] = {}

        async def one(key: str) -> None:
            async with limiter:
                result[key] = await self._customer(key, months)

        await run_all(functools.partial(one, key) for key in customers)
        return RevenueSnapshot(
            source="a2a",
            period=period,
            revenue=from_revenue("a2a", {k: result[k] for k in customers}),
        )

    async def status(self, as_of: date) -> SourceStatus:
        parts = urlsplit(self.config.billing_url)
        card_url = f"{parts.scheme}://{parts.netloc}/.well-known/agent-card.json"
        try:
            async with new_client() as http:
                response = await http.get(card_url)
        except httpx.TransportError as exc:
            return SourceStatus(
                source="a2a", ok=False, detail=f"billing agent unreachable ({type(exc).__name__})"
            )
        name = response.json().get("name", "?") if response.status_code == 200 else None
        detail = (
            f"billing agent {name!r} reachable"
            if name
            else f"billing agent answered HTTP {response.status_code} for its card"
        )
        return SourceStatus(
            source="a2a", ok=True, detail=detail, facts={"protocol": self.config.protocol_version}
        )

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

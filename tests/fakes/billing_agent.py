"""A real billing agent built with a2a-sdk's server: answers "What is the total revenue for
{customer} for month {month}?" from a table, as a Message or a Task with artifacts, in text or
data parts — or with garbage, JSON-RPC errors, or slowly."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
from a2a.helpers.proto_helpers import new_data_part, new_task_from_user_message, new_text_part
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes.agent_card_routes import create_agent_card_routes
from a2a.server.routes.jsonrpc_routes import create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    Message,
    Role,
)
from a2a.utils.errors import InvalidParamsError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

QUESTION = re.compile(r"for (?P<customer>.+) for month (?P<month>\d{4}-\d{2})")
Style = Literal["message", "task", "data", "garbage", "error"]


@dataclass
class BillingAgent:
    revenue: dict[tuple[str, str], float] = field(default_factory=dict)
    style: Style = "message"
    styles: dict[str, Style] = field(default_factory=dict)  # per customer
    delay: float = 0.0
    compat_0_3: bool = True
    counts: Counter[str] = field(default_factory=Counter)
    url: str = ""

    def answer_text(self, customer: str, month: str) -> str:
        amount = self.revenue.get((customer, month))
        if amount is None:
            return f"I could not find {customer} in the ledger for {month}."
        return f"The total revenue for {customer} for {month} was ${amount:,.2f}."

    def card(self) -> AgentCard:
        return AgentCard(
            name="Billing Agent",
            description="Answers revenue questions",
            version="1.0.0",
            supported_interfaces=[
                AgentInterface(
                    url=f"{self.url}/", protocol_binding="JSONRPC", protocol_version="1.0"
                )
            ],
            capabilities=AgentCapabilities(streaming=False),
            default_input_modes=["text/plain"],
            default_output_modes=["text/plain", "application/json"],
            skills=[
                AgentSkill(id="revenue", name="Revenue", description="totals", tags=["billing"])
            ],
        )

    def app(self) -> Starlette:
        agent = self

        class Executor(AgentExecutor):
            async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
                if agent.delay:
                    await anyio.sleep(agent.delay)
                asked = QUESTION.search(context.get_user_input())
                customer, month = (asked["customer"], asked["month"]) if asked else ("?", "?")
                style = agent.styles.get(customer, agent.style)
                agent.counts[style] += 1
                amount = agent.revenue.get((customer, month))
                if style == "error":
                    raise InvalidParamsError(f"unknown account {customer}")
                if style == "garbage":
                    await event_queue.enqueue_event(
                        _message(
                            context,
                            [
                                new_text_part(
                                    f"Revenue for {customer} in {month}: "
                                    "see the 2026 report, page 12."
                                )
                            ],
                        )
                    )
                    return
                parts = (
                    [new_data_part({"customer": customer, "month": month, "total_revenue": amount})]
                    if style == "data" and amount is not None
                    else [new_text_part(agent.answer_text(customer, month))]
                )
                if style == "task":
                    task = new_task_from_user_message(context.message)
                    await event_queue.enqueue_event(task)
                    updater = TaskUpdater(event_queue, task.id, task.context_id)
                    await updater.add_artifact(parts, name="answer")
                    await updater.complete()
                else:
                    await event_queue.enqueue_event(_message(context, parts))

            async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
                return None

        card = self.card()
        handler = DefaultRequestHandler(
            agent_executor=Executor(), task_store=InMemoryTaskStore(), agent_card=card
        )

        async def with_current_url(served: AgentCard) -> AgentCard:
            """The card names the URL the agent is served at, known only once it runs."""
            fresh = AgentCard()
            fresh.CopyFrom(served)
            fresh.supported_interfaces[0].url = f"{agent.url}/"
            return fresh

        routes = [
            *create_agent_card_routes(card, card_modifier=with_current_url),
            *create_jsonrpc_routes(handler, rpc_url="/", enable_v0_3_compat=self.compat_0_3),
        ]
        return Starlette(routes=routes, middleware=[Middleware(_Counter, agent=self)])


def _message(context: RequestContext, parts: list[Any]) -> Message:
    return Message(
        message_id=f"reply-{context.task_id}",
        role=Role.ROLE_AGENT,
        parts=parts,
        context_id=context.context_id or "",
    )


class _Counter:
    def __init__(self, app: ASGIApp, agent: BillingAgent) -> None:
        self.app, self.agent = app, agent

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            headers = dict(scope.get("headers") or [])
            version = headers.get(b"a2a-version", b"").decode() or "0.3"
            self.agent.counts[f"rpc {version}"] += 1
        await self.app(scope, receive, send)

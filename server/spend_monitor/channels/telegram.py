"""Telegram Bot API over httpx: HTML messages, photos, and a token kept out of every log.

The token sits in the URL path, so nothing here logs a URL or an httpx exception's text.
"""

from __future__ import annotations

import html
import logging
from typing import Any

import httpx
from pydantic import SecretStr

from ..config import TelegramConfig
from ..deadline import Deadline
from ..domain.models import ChannelName, Digest
from ..domain.ownership import Rollup
from ..errors import PostUnconfirmed, TelegramError
from ..logs import redact
from ..net import GaveUp, retry_after_header, send
from ..render.telegram import as_plain, render_telegram, render_telegram_rollup
from .base import (
    Chart,
    Found,
    Part,
    PartSent,
    chart_key,
    guarded,
    message_key,
)
from .limits import Pace, destination_pace, telegram_bot_pace

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024


def _hint(code: str, description: str, where: str) -> str | None:
    if code == "401":
        return "check TELEGRAM_BOT_TOKEN"
    if "chat not found" in description:
        return f"check {where}, and that the bot was added to the chat"
    if code == "403":
        return "unblock the bot or add it to the chat again"
    return None


def _retry_hint(response: httpx.Response) -> float | None:
    """Flood control says how long to wait in the body as well as in Retry-After."""
    told = retry_after_header(response)
    if told is None and response.status_code == 429:
        try:
            told = float(response.json()["parameters"]["retry_after"])
        except (ValueError, KeyError, TypeError):
            return None
    return told


class TelegramChannel:
    name: ChannelName = "telegram"

    def __init__(
        self,
        config: TelegramConfig,
        token: SecretStr,
        client: httpx.AsyncClient,
        chat_id: str | None = None,
        key: str = "telegram",
        where: str = "telegram.chat_id",
        bot_pace: Pace | None = None,
    ):
        """The default chat (`telegram.chat_id`), or `chat_id` whose posts the ledger keeps
        under `key`; `where` names its config key in hints. Every destination of one bot
        shares its `bot_pace`."""
        self._config = config
        self.chat_id = chat_id or str(config.chat_id)
        self.key = key
        self.where = where
        self._token = token
        self._base = config.api_base.rstrip("/")
        self._client = client
        self._pace = destination_pace()
        self._bot_pace = bot_pace or telegram_bot_pace()

    def to(self, chat_id: str, key: str, where: str) -> TelegramChannel:
        """Another chat of the same bot (sharing its overall rate limit)."""
        return TelegramChannel(
            self._config, self._token, self._client, chat_id, key, where, self._bot_pace
        )

    async def _call(
        self, method: str, deadline: Deadline | None = None, idempotent: bool = True, **kwargs: Any
    ) -> dict[str, Any]:
        url = f"{self._base}/bot{self._token.get_secret_value()}/{method}"
        try:
            response = await send(
                self._client,
                "POST",
                url,
                retry_hint=_retry_hint,
                deadline=deadline,
                expect_json=True,
                idempotent=idempotent,
                **kwargs,
            )
        except GaveUp as exc:
            if exc.maybe_delivered and not idempotent:
                raise PostUnconfirmed(
                    f"Telegram: {exc.reason}", "the next run re-sends it"
                ) from None
            code = str(exc.response.status_code) if exc.response is not None else "unreachable"
            raise TelegramError(code, exc.reason, "check the network") from None
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise TelegramError(str(response.status_code), "not a JSON answer", None) from None
        if not isinstance(body, dict):
            raise TelegramError(str(response.status_code), "not a Bot API answer", None)
        if not body.get("ok"):
            said = body.get("description") or f"HTTP {response.status_code} without a description"
            description = redact(str(said), [self._token.get_secret_value()])
            code = str(body.get("error_code", response.status_code))
            raise TelegramError(code, description, _hint(code, description, self.where))
        result: dict[str, Any] = body.get("result") or {}
        return result

    async def _send_text(self, message: str, deadline: Deadline) -> str:
        payload = {
            "chat_id": self.chat_id,
            "text": message,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        try:
            result = await self._call("sendMessage", deadline, idempotent=False, json=payload)
        except TelegramError as exc:
            if "can't parse entities" not in exc.description:
                raise
            log.warning("Telegram rejected the HTML (%s); resending as plain text", exc.description)
            del payload["parse_mode"]
            payload["text"] = as_plain(message)
            result = await self._call("sendMessage", deadline, idempotent=False, json=payload)
        return str(result.get("message_id", ""))

    async def _send_photo(self, chart: Chart, caption: str, deadline: Deadline) -> str:
        result = await self._call(
            "sendPhoto",
            deadline,
            idempotent=False,
            data={"chat_id": self.chat_id, "caption": caption[:CAPTION_LIMIT]},
            files={"photo": (chart.filename, chart.png, "image/png")},
        )
        return str(result.get("message_id", ""))

    def parts(self, post: Digest | Rollup, charts: list[Chart]) -> list[Part]:
        rendered = (
            render_telegram(post) if isinstance(post, Digest) else render_telegram_rollup(post)
        )
        messages = [Part(key=message_key(i), text=m) for i, m in enumerate(rendered)]
        return messages + [Part(key=chart_key(c), chart=c) for c in charts]

    async def send_part(
        self,
        run_id: int | None,
        part: Part,
        thread: str | None,
        mark: str | None,
        deadline: Deadline,
    ) -> PartSent:
        await self._pace.wait()
        await self._bot_pace.wait()
        if part.chart is not None:
            chart = part.chart
            caption = f"{mark}\n{chart.title}" if mark else chart.title
            return await guarded(part.key, lambda: self._send_photo(chart, caption, deadline))
        text = f"<i>{html.escape(mark)}</i>\n{part.text}" if mark else part.text
        return await guarded(part.key, lambda: self._send_text(text, deadline))

    async def find_part(self, run_id: int, key: str, deadline: Deadline) -> Found:
        return Found(lookup="cannot_confirm", reason="a Telegram bot cannot read its chat")

    async def verify(self) -> str:
        me = await self._call("getMe")
        return f"bot @{me.get('username', '?')}"

    async def verify_destination(self) -> str:
        """Whether the bot can reach the chat (`getChat`)."""
        chat = await self._call("getChat", json={"chat_id": self.chat_id})
        name = chat.get("title") or chat.get("username") or chat.get("first_name")
        return f"chat {self.chat_id}" + (f" ({name})" if name else "") + " found"

    async def aclose(self) -> None:
        return None

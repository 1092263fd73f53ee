"""Telegram Bot API over httpx: HTML messages, photos, and a token kept out of every log.

The token sits in the URL path, so nothing here logs a URL or an httpx exception's text.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from pydantic import SecretStr

from ..config import TelegramConfig
from ..domain.models import ChannelName, Digest
from ..errors import ChannelError, TelegramError
from ..logs import redact
from ..net import retry_after_header, send
from ..render.telegram import as_plain, render_telegram
from .base import Chart, PostOutcome

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024


def _hint(code: str, description: str) -> str | None:
    if code == "401":
        return "check TELEGRAM_BOT_TOKEN"
    if "chat not found" in description:
        return "check telegram.chat_id, and that the bot was added to the chat"
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

    def __init__(self, config: TelegramConfig, token: SecretStr, client: httpx.AsyncClient):
        self.chat_id = str(config.chat_id)
        self._token = token
        self._base = config.api_base.rstrip("/")
        self._client = client

    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self._base}/bot{self._token.get_secret_value()}/{method}"
        try:
            response = await send(self._client, "POST", url, retry_hint=_retry_hint, **kwargs)
        except httpx.TransportError as exc:
            raise ChannelError(
                f"cannot reach Telegram ({type(exc).__name__})", "check the network"
            ) from None
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            raise TelegramError(str(response.status_code), "not a JSON answer", None) from None
        if not body.get("ok"):
            description = redact(
                str(body.get("description", "unknown error")), [self._token.get_secret_value()]
            )
            code = str(body.get("error_code", response.status_code))
            raise TelegramError(code, description, _hint(code, description))
        result: dict[str, Any] = body.get("result") or {}
        return result

    async def _send_text(self, message: str) -> str:
        payload = {
            "chat_id": self.chat_id,
            "text": message,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        try:
            result = await self._call("sendMessage", json=payload)
        except TelegramError as exc:
            if "can't parse entities" not in exc.description:
                raise
            log.warning("Telegram rejected the HTML (%s); resending as plain text", exc.description)
            del payload["parse_mode"]
            payload["text"] = as_plain(message)
            result = await self._call("sendMessage", json=payload)
        return str(result.get("message_id", ""))

    async def post(self, digest: Digest, charts: list[Chart]) -> PostOutcome:
        outcome = PostOutcome(channel="telegram", ok=True)
        try:
            for message in render_telegram(digest):
                outcome.message_ids.append(await self._send_text(message))
            for chart in charts:
                await self._call(
                    "sendPhoto",
                    data={"chat_id": self.chat_id, "caption": chart.title[:CAPTION_LIMIT]},
                    files={"photo": (chart.filename, chart.png, "image/png")},
                )
                outcome.charts_posted += 1
        except TelegramError as exc:
            outcome.ok, outcome.error, outcome.note = False, exc.code, str(exc)
        except ChannelError as exc:
            outcome.ok, outcome.error, outcome.note = False, "unreachable", str(exc)
        return outcome

    async def verify(self) -> str:
        me = await self._call("getMe")
        return f"bot @{me.get('username', '?')}"

    async def aclose(self) -> None:
        return None

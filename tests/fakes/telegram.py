"""A Telegram Bot API emulator: sendMessage with the documented HTML rules and 4,096-unit limit,
sendPhoto (multipart), getMe, getChat, error codes, flood control that punishes early retries,
and the limits of about one message per second per chat and thirty per second per bot (a short
burst passes). `latency` delays every answer (benchmarks)."""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "span",
}
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
LIMIT, CAPTION_LIMIT = 4096, 1024


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = self.error or f'Unexpected end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))


def parse_html(text: str) -> tuple[str | None, str]:
    """(error, visible text). A bare `&` or a `<`/`>` outside a tag is an error, as documented."""
    stripped = ENTITY.sub("", text)
    if "&" in stripped:
        return "Character '&' is reserved and must be escaped", ""
    if ">" in re.sub(r"<[^<>]*>", "", text):
        return "Character '>' is reserved and must be escaped", ""
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.error is None and (re.search(r"<(?![a-zA-Z/])", text) or checker.rawdata):
        checker.error = "Unsupported start tag"
    if checker.error is None and checker.stack:
        checker.error = f'Can\'t find end tag corresponding to start tag "{checker.stack[-1]}"'
    return checker.error, "".join(checker.text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class TelegramFake:
    token: str = "987654321:AAcanary-telegram-secret-0000000000"
    url: str = ""
    chats: set[str] = field(default_factory=lambda: {"-100123"})
    messages: list[dict[str, Any]] = field(default_factory=list)
    photos: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    flood_seconds: int = 0
    # A stricter parser than ours: reject the next N HTML messages as unparsable.
    reject_html: int = 0
    blocked_until: float = 0.0
    early_retries: int = 0
    latency: float = 0.0
    # Sending: more than `burst` to one chat, or `bot_limit` in all, within `window` s is a 429.
    burst: int = 4
    bot_limit: int = 30
    window: float = 1.0
    rate_limited: int = 0
    _recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def in_chat(self, chat_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if str(m.get("chat_id")) == chat_id]

    def _too_fast(self, chat_id: str) -> bool:
        """Flood control per chat and for the whole bot, as sliding windows."""
        now = time.monotonic()
        for recent in (self._recent[chat_id], self._recent[""]):
            while recent and now - recent[0] > self.window:
                recent.popleft()
        if len(self._recent[chat_id]) >= self.burst or len(self._recent[""]) >= self.bot_limit:
            self.rate_limited += 1
            return True
        self._recent[chat_id].append(now)
        self._recent[""].append(now)
        return False

    def flood(self, seconds: int = 1) -> None:
        """The next request starts flood control for `seconds`."""
        self.flood_seconds = seconds

    def count(self, method: str) -> int:
        return self.requests.count(method)

    def _error(self, code: int, description: str) -> JSONResponse:
        return JSONResponse({"ok": False, "error_code": code, "description": description}, code)

    async def api(self, request: Request) -> Response:
        method = request.path_params["method"].lower()
        self.requests.append(method)
        if self.latency:
            await asyncio.sleep(self.latency)
        if request.path_params["token"] != self.token:
            return self._error(401, "Unauthorized")
        now = time.monotonic()
        if self.flood_seconds or now < self.blocked_until:
            if now < self.blocked_until:
                self.early_retries += 1
            wait = self.flood_seconds or max(1, int(self.blocked_until - now + 0.999))
            self.blocked_until = max(self.blocked_until, now + wait)
            self.flood_seconds = 0
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {wait}",
                    "parameters": {"retry_after": wait},
                },
                429,
                headers={"Retry-After": str(wait)},
            )
        params: dict[str, Any] = dict(request.query_params)
        kind = request.headers.get("content-type", "")
        if "json" in kind:
            params.update(await request.json())
        elif "form" in kind:
            form = await request.form()
            for key, value in form.multi_items():
                params[key] = value
        if method == "getme":
            return JSONResponse(
                {"ok": True, "result": {"id": 1, "is_bot": True, "username": "spend_monitor_bot"}}
            )
        if str(params.get("chat_id")) not in self.chats:
            return self._error(400, "Bad Request: chat not found")
        if method == "getchat":
            chat = {"id": params["chat_id"], "type": "private", "first_name": "CSM"}
            return JSONResponse({"ok": True, "result": chat})
        if method in ("sendmessage", "sendphoto") and self._too_fast(str(params["chat_id"])):
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                429,
                headers={"Retry-After": "1"},
            )
        if method == "sendmessage":
            return self.send_message(params)
        if method == "sendphoto":
            return await self.send_photo(params)
        return self._error(404, "Not Found")

    def send_message(self, params: dict[str, Any]) -> Response:
        text = str(params.get("text", ""))
        visible = text
        if params.get("parse_mode") == "HTML":
            error, visible = parse_html(text)
            if self.reject_html:
                self.reject_html -= 1
                error = error or 'Unsupported start tag "br" at byte offset 17'
            if error:
                return self._error(400, f"Bad Request: can't parse entities: {error}")
        if not visible.strip():
            return self._error(400, "Bad Request: message text is empty")
        if utf16_len(visible) > LIMIT:
            return self._error(400, "Bad Request: message is too long")
        message_id = next(self._ids)
        self.messages.append({**params, "message_id": message_id, "visible": visible})
        return JSONResponse(
            {
                "ok": True,
                "result": {
                    "message_id": message_id,
                    "text": visible,
                    "chat": {"id": params["chat_id"]},
                },
            }
        )

    async def send_photo(self, params: dict[str, Any]) -> Response:
        photo = params.get("photo")
        if photo is None or not hasattr(photo, "read"):
            return self._error(400, "Bad Request: there is no photo in the request")
        data = await photo.read()
        if not data.startswith(b"\x89PNG"):
            return self._error(400, "Bad Request: IMAGE_PROCESS_FAILED")
        if len(str(params.get("caption", ""))) > CAPTION_LIMIT:
            return self._error(400, "Bad Request: message caption is too long")
        message_id = next(self._ids)
        self.photos.append({"caption": params.get("caption"), "bytes": len(data)})
        return JSONResponse({"ok": True, "result": {"message_id": message_id}})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self.api, methods=["POST", "GET"])])

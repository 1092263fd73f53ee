"""A Slack Web API emulator: chat.postMessage with Block Kit limits and message metadata, the
three-step file upload, conversations.history (metadata only with `include_all_metadata`, and a
token that may lack the history scope), conversations.open (a user's DM) and .info, auth.test,
`ok: false` codes, 429 rate limits — injected, and chat.postMessage's own of about one message
per second per channel (a short burst passes) — as shared/facts/slack-telegram.md describes.
`latency` delays every answer (benchmarks)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MAX_BLOCKS, SECTION_LIMIT, HEADER_LIMIT, TOTAL_BLOCK_TEXT = 50, 3000, 150, 12_000


@dataclass
class SlackFake:
    token: str = "xoxb-0000000000-canary-slack-token"
    channels: set[str] = field(default_factory=lambda: {"D0123"})
    messages: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    completed: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    # method -> responses to give before behaving normally: (status, retry_after)
    faults: dict[str, list[tuple[int, int | None]]] = field(default_factory=dict)
    url: str = ""
    # False: the token lacks channels:history / im:history (conversations.history → missing_scope)
    history_scope: bool = True
    # Members a DM can be opened with (conversations.open); their DM is "D" + the user ID.
    users: set[str] = field(default_factory=set)
    latency: float = 0.0
    # chat.postMessage per channel: more than `burst` in any `window` seconds is a 429.
    burst: int = 4
    window: float = 1.0
    rate_limited: int = 0
    _recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, method: str, times: int = 1, status: int = 429, retry_after: int = 1):
        self.faults.setdefault(method, []).extend([(status, retry_after)] * times)

    def count(self, method: str) -> int:
        return self.requests.count(method)

    def in_channel(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("channel") == channel]

    def _too_fast(self, channel: str) -> bool:
        """Slack's per-channel posting limit, as a sliding window."""
        now = time.monotonic()
        recent = self._recent[channel]
        while recent and now - recent[0] > self.window:
            recent.popleft()
        if len(recent) >= self.burst:
            self.rate_limited += 1
            return True
        recent.append(now)
        return False

    def texts(self) -> list[str]:
        """Every piece of text the users would see: fallback and all block texts."""
        out = []
        for message in self.messages:
            out.append(message.get("text") or "")
            for block in message.get("blocks") or []:
                out.append((block.get("text") or {}).get("text", ""))
        return out

    # -- the API ------------------------------------------------------------------------------

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        kind = request.headers.get("content-type", "")
        if "json" in kind:
            params.update(await request.json())
        elif "form" in kind:
            params.update(dict(await request.form()))
        return params

    async def api(self, request: Request) -> Response:
        method = request.path_params["method"]
        self.requests.append(method)
        if self.latency:
            await asyncio.sleep(self.latency)
        pending = self.faults.get(method)
        if pending:
            status, retry_after = pending.pop(0)
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return JSONResponse({"ok": False, "error": "ratelimited"}, status, headers=headers)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        params = await self._params(request)
        if method == "chat.postMessage" and self._too_fast(str(params.get("channel"))):
            body = {"ok": False, "error": "ratelimited"}
            return JSONResponse(body, 429, headers={"Retry-After": "1"})
        handler = {
            "chat.postMessage": self.post_message,
            "auth.test": self.auth_test,
            "conversations.history": self.history,
            "conversations.open": self.open_dm,
            "conversations.info": self.info,
            "files.getUploadURLExternal": self.upload_url,
            "files.completeUploadExternal": self.complete_upload,
        }.get(method)
        if handler is None:
            return JSONResponse({"ok": False, "error": "unknown_method"})
        return JSONResponse(handler(params))

    def auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "user": "spend-monitor", "team": "Example Team", "user_id": "U1"}

    def post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel") not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if not params.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        if blocks:
            errors = self._block_errors(blocks)
            if errors:
                return {"ok": False, "error": "invalid_blocks", "errors": errors}
            total = sum(len((b.get("text") or {}).get("text", "")) for b in blocks)
            if total > TOTAL_BLOCK_TEXT:
                return {"ok": False, "error": "msg_blocks_too_long"}
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata is not None and not (
            isinstance(metadata, dict)
            and isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload"), dict)
        ):
            return {"ok": False, "error": "invalid_metadata_format"}
        ts = f"1700000000.{next(self._ids):06d}"
        self.messages.append({**params, "blocks": blocks, "metadata": metadata, "ts": ts})
        return {"ok": True, "channel": params["channel"], "ts": ts}

    def open_dm(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params.get("users", ""))
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        channel = f"D{user}"
        self.channels.add(channel)
        return {"ok": True, "channel": {"id": channel}}

    def info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": {"id": channel, "name": channel.lower()}}

    def history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Newest first; metadata is included only when asked for, as Slack does."""
        if not self.history_scope:
            return {"ok": False, "error": "missing_scope", "needed": "im:history"}
        if params.get("channel") not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        limit = int(params.get("limit") or 100)
        out = []
        for message in reversed(self.messages[-limit:]):
            shown = {"type": "message", "ts": message["ts"], "text": message.get("text", "")}
            if with_metadata and message.get("metadata"):
                shown["metadata"] = message["metadata"]
            out.append(shown)
        return {"ok": True, "messages": out, "has_more": len(self.messages) > limit}

    def _block_errors(self, blocks: list[dict[str, Any]]) -> list[str]:
        errors = []
        if len(blocks) > MAX_BLOCKS:
            errors.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
        for i, block in enumerate(blocks):
            text = (block.get("text") or {}).get("text", "")
            limit = HEADER_LIMIT if block.get("type") == "header" else SECTION_LIMIT
            if len(text) > limit:
                errors.append(
                    f"must be less than {limit + 1} characters [json-pointer:/blocks/{i}/text]"
                )
            if block.get("type") not in ("header", "section", "context", "divider"):
                errors.append(f"unsupported type [json-pointer:/blocks/{i}/type]")
            if block.get("type") == "context" and not block.get("elements"):
                errors.append(f"missing required field: elements [json-pointer:/blocks/{i}]")
        return errors

    def upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):05d}"
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    async def receive_upload(self, request: Request) -> Response:
        self.uploads[request.path_params["file_id"]] = await request.body()
        return Response("OK - uploaded")

    def complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = json.loads(params["files"])
        if any(f["id"] not in self.uploads for f in files):
            return {"ok": False, "error": "file_not_found"}
        self.completed.append(params)
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/{method}", self.api, methods=["POST", "GET"]),
                Route("/upload/{file_id}", self.receive_upload, methods=["POST"]),
            ]
        )

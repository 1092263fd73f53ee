"""Slack over slack_sdk's async client: Block Kit messages and charts in the digest's thread.

slack_sdk's own retry handlers are off: every call goes through the project's policy
(`net.with_retries`), so 5xx is retried, no `Retry-After` is slept past the cap or the run's
deadline, and a plain-text or garbage body becomes a SlackError, never an escaping exception.
Each message carries metadata (event type, run id, part) so a part whose fate is unknown can be
found again in the channel's history.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import SecretStr

from ..config import SlackConfig
from ..deadline import Deadline
from ..domain.models import ChannelName, Digest
from ..domain.ownership import Rollup
from ..errors import ChannelError, PostUnconfirmed, SlackError
from ..net import GaveUp, Transient, current, with_retries
from ..render.slack import MAX_BLOCKS, render_slack, render_slack_rollup
from .base import (
    Chart,
    Found,
    Part,
    PartSent,
    chart_key,
    guarded,
    message_key,
)
from .limits import destination_pace

log = logging.getLogger(__name__)
# Codes that mean the destination's address is wrong: the hint names its config key.
WRONG_ADDRESS = ("channel_not_found", "user_not_found", "cannot_dm_bot", "user_disabled")
EVENT_TYPE = "spend_monitor_digest_part"
HISTORY_LIMIT = 200
HINTS = {
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "not_authed": "set SLACK_BOT_TOKEN",
    "not_in_channel": "invite the bot to the channel",
    "missing_scope": "give the app the chat:write and files:write scopes",
}


def _status(response: Any) -> tuple[int | None, dict[str, Any], Any]:
    """(HTTP status, headers, parsed body) of whatever slack_sdk attached to its error."""
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = dict(getattr(response, "headers", None) or {})
    return status, headers, getattr(response, "data", None)


def _retry_after(headers: dict[str, Any]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def classify(error: BaseException) -> Transient | None:
    """The shared policy's notion of transient, for slack_sdk's and aiohttp's errors."""
    import aiohttp
    from slack_sdk.errors import SlackApiError

    if isinstance(error, SlackApiError):
        status, headers, data = _status(error.response)
        if status is not None and (status == 429 or status >= 500):
            return Transient(f"HTTP {status}", _retry_after(headers))
        if not (isinstance(data, dict) and data.get("error")):
            # A 2xx we cannot read may still have posted the message.
            ok_status = status is not None and 200 <= status < 300
            return Transient(f"HTTP {status} with a body that is not JSON", None, ok_status)
        return None
    if isinstance(error, ValueError):  # aiohttp could not decode the body (bytes or JSON)
        return Transient("a body that cannot be decoded", maybe_delivered=True)
    if isinstance(error, aiohttp.ClientConnectorError):
        return Transient(f"cannot reach Slack ({type(error).__name__})")
    if isinstance(error, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return Transient(f"the connection failed ({type(error).__name__})", maybe_delivered=True)
    return None


def _code(error: Any) -> str:
    _, _, data = _status(getattr(error, "response", None))
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return "unexpected_answer"


def is_user_id(address: str) -> bool:
    """A member ID (`U…`, `W…`): the bot opens a DM with that person to post to them."""
    return address[:1] in ("U", "W")


class SlackChannel:
    name: ChannelName = "slack"

    def __init__(
        self,
        config: SlackConfig,
        token: SecretStr,
        address: str | None = None,
        key: str = "slack",
        where: str = "slack.dm_channel",
        client: Any = None,
    ) -> None:
        """The default destination (`slack.dm_channel`), or `address` (a user or channel ID)
        whose posts the ledger keeps under `key`; `where` names its config key in hints."""
        from slack_sdk.web.async_client import AsyncWebClient

        self._config, self._token = config, token
        self.address = address or config.dm_channel
        # An owner's user ID gets a DM opened; `slack.dm_channel` is posted to as it always was.
        self._opens_dm = address is not None and is_user_id(address)
        self.key = key
        self.where = where
        self._opened: str | None = None
        self._pace = destination_pace()
        self._client = client or AsyncWebClient(
            token=token.get_secret_value(),
            base_url=config.api_base,
            timeout=int(current().request_timeout),
            retry_handlers=[],
        )
        self._owns_client = client is None

    def to(self, address: str, key: str, where: str) -> SlackChannel:
        """Another destination over the same client and token."""
        return SlackChannel(self._config, self._token, address, key, where, self._client)

    async def _channel(self, deadline: Deadline | None = None) -> str:
        """The channel to post in: an owner's user ID has its DM opened once
        (`conversations.open`)."""
        if not self._opens_dm:
            return self.address
        if self._opened is None:
            opened = await self._call("conversations_open", deadline, users=self.address)
            self._opened = str((opened.get("channel") or {}).get("id") or "")
            if not self._opened:
                raise SlackError("no_channel", f"check {self.where}")
        return self._opened

    async def _call(
        self, method: str, deadline: Deadline | None = None, idempotent: bool = True, **kwargs: Any
    ) -> dict[str, Any]:
        """One API call under the shared policy; every failure becomes a SlackError (or
        PostUnconfirmed when a post may have arrived without an answer)."""
        from slack_sdk.errors import SlackApiError

        async def attempt() -> Any:
            return await getattr(self._client, method)(**kwargs)

        try:
            response = await with_retries(attempt, classify, deadline, idempotent=idempotent)
        except GaveUp as exc:
            if exc.maybe_delivered and not idempotent:
                raise PostUnconfirmed(
                    f"Slack: {exc.reason}", "the next run will look for it"
                ) from None
            raise SlackError(exc.reason, "check the network and Slack's status") from None
        except SlackApiError as exc:
            code = _code(exc)
            hint = f"check {self.where}" if code in WRONG_ADDRESS else HINTS.get(code)
            raise SlackError(code, hint) from None
        data = getattr(response, "data", None)
        return dict(data) if isinstance(data, dict) else {}

    def parts(self, post: Digest | Rollup, charts: list[Chart]) -> list[Part]:
        rendered = render_slack(post) if isinstance(post, Digest) else render_slack_rollup(post)
        messages = [
            Part(key=message_key(i), text=m.text, blocks=tuple(m.blocks))
            for i, m in enumerate(rendered)
        ]
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
        if part.chart is not None:
            chart = part.chart
            return await guarded(part.key, lambda: self._upload(chart, thread, mark, deadline))
        return await guarded(part.key, lambda: self._message(run_id, part, mark, deadline))

    async def _message(
        self, run_id: int | None, part: Part, mark: str | None, deadline: Deadline
    ) -> str:
        blocks = list(part.blocks)
        if mark and len(blocks) < MAX_BLOCKS:
            context = {"type": "context", "elements": [{"type": "mrkdwn", "text": mark}]}
            at = 1 if blocks and blocks[0].get("type") == "header" else 0
            blocks.insert(at, context)
        extra: dict[str, Any] = {}
        if run_id is not None:
            payload = {"run_id": run_id, "part": part.key}
            extra["metadata"] = {"event_type": EVENT_TYPE, "event_payload": payload}
        sent = await self._call(
            "chat_postMessage",
            deadline,
            idempotent=False,
            channel=await self._channel(deadline),
            text=f"{mark}\n{part.text}" if mark else part.text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
            **extra,
        )
        return str(sent.get("ts", ""))

    async def _upload(
        self, chart: Chart, thread: str | None, mark: str | None, deadline: Deadline
    ) -> str:
        sent = await self._call(
            "files_upload_v2",
            deadline,
            idempotent=False,
            channel=await self._channel(deadline),
            content=chart.png,
            filename=chart.filename,
            title=chart.title,
            alt_txt=chart.alt_text,
            initial_comment=mark,
            thread_ts=thread,
        )
        files = sent.get("files") or [sent.get("file") or {}]
        return str((files[0] or {}).get("id", "")) if files else ""

    async def find_part(self, run_id: int, key: str, deadline: Deadline) -> Found:
        """Look for the part in the channel's recent history by the metadata it carried.
        Charts carry none, and a token without a history scope cannot look: cannot confirm."""
        if not key.startswith("message-"):
            return Found(lookup="cannot_confirm", reason="a chart carries no metadata to find")
        try:
            history = await self._call(
                "conversations_history",
                deadline,
                channel=await self._channel(deadline),
                include_all_metadata=True,
                limit=HISTORY_LIMIT,
            )
        except ChannelError as exc:
            return Found(lookup="cannot_confirm", reason=str(exc))
        for message in history.get("messages") or []:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == EVENT_TYPE and payload == {"run_id": run_id, "part": key}:
                return Found(lookup="found", message_id=str(message.get("ts", "")))
        return Found(lookup="missing")

    async def verify(self) -> str:
        who = await self._call("auth_test")
        return f"{who.get('user', '?')} in {who.get('team', '?')}"

    async def verify_destination(self) -> str:
        """Whether the bot can post here: a user's DM opens, a channel is found."""
        if self._opens_dm:
            return f"DM with {self.address} opens ({await self._channel()})"
        info = await self._call("conversations_info", channel=self.address)
        name = (info.get("channel") or {}).get("name")
        return f"channel {self.address}" + (f" (#{name})" if name else "") + " found"

    async def aclose(self) -> None:
        if not self._owns_client:
            return
        session = getattr(self._client, "session", None)
        if session is not None:
            await session.close()

"""Slack over slack_sdk's async client: Block Kit messages and charts in the digest's thread."""

from __future__ import annotations

import logging

from pydantic import SecretStr

from ..config import SlackConfig
from ..domain.models import ChannelName, Digest
from ..errors import ChannelError
from ..render.slack import render_slack
from .base import Chart, PostOutcome

log = logging.getLogger(__name__)
HINTS = {
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "not_authed": "set SLACK_BOT_TOKEN",
    "channel_not_found": "check slack.dm_channel",
    "not_in_channel": "invite the bot to the channel",
    "missing_scope": "give the app the chat:write and files:write scopes",
}


class SlackChannel:
    name: ChannelName = "slack"

    def __init__(self, config: SlackConfig, token: SecretStr) -> None:
        from slack_sdk.http_retry.builtin_async_handlers import (
            AsyncConnectionErrorRetryHandler,
            AsyncRateLimitErrorRetryHandler,
        )
        from slack_sdk.web.async_client import AsyncWebClient

        self.channel = config.dm_channel
        self._client = AsyncWebClient(
            token=token.get_secret_value(),
            base_url=config.api_base,
            timeout=30,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(max_retry_count=2),
                AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            ],
        )

    async def _call(self, method: str, **kwargs: object) -> dict[str, object]:
        """One API call; Slack's `ok: false` codes and network failures become ChannelError."""
        from slack_sdk.errors import SlackApiError, SlackClientError

        try:
            response = await getattr(self._client, method)(**kwargs)
        except SlackApiError as exc:
            code = str(exc.response.get("error", "unknown_error"))
            raise ChannelError(f"Slack: {code}", HINTS.get(code)) from None
        except (SlackClientError, OSError, TimeoutError) as exc:
            raise ChannelError(f"cannot reach Slack ({type(exc).__name__})") from None
        data: dict[str, object] = dict(response.data) if isinstance(response.data, dict) else {}
        return data

    async def post(self, digest: Digest, charts: list[Chart]) -> PostOutcome:
        outcome = PostOutcome(channel="slack", ok=True)
        try:
            for message in render_slack(digest):
                sent = await self._call(
                    "chat_postMessage",
                    channel=self.channel,
                    text=message.text,
                    blocks=message.blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                )
                outcome.message_ids.append(str(sent.get("ts", "")))
            thread = outcome.message_ids[0] if outcome.message_ids else None
            for chart in charts:
                await self._call(
                    "files_upload_v2",
                    channel=self.channel,
                    content=chart.png,
                    filename=chart.filename,
                    title=chart.title,
                    alt_txt=chart.alt_text,
                    thread_ts=thread,
                )
                outcome.charts_posted += 1
        except ChannelError as exc:
            outcome.ok, outcome.note = False, str(exc)
            outcome.error = exc.message.removeprefix("Slack: ")
        return outcome

    async def verify(self) -> str:
        who = await self._call("auth_test")
        return f"{who.get('user', '?')} in {who.get('team', '?')}"

    async def aclose(self) -> None:
        session = getattr(self._client, "session", None)
        if session is not None:
            await session.close()

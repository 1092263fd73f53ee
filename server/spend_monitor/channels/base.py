"""What every channel offers the monitor."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from ..domain.models import ChannelName, Digest


class Chart(BaseModel):
    """A rendered PNG with the words a screen reader (and a notification) needs."""

    filename: str
    title: str
    alt_text: str
    png: bytes = Field(repr=False)


class PostOutcome(BaseModel):
    channel: ChannelName
    ok: bool
    message_ids: list[str] = Field(default_factory=list)
    charts_posted: int = 0
    error: str | None = Field(None, description="the API's error code or a short reason")
    note: str | None = None
    skipped: bool = Field(False, description="true when this content was already posted today")


class Channel(Protocol):
    name: ChannelName

    async def post(self, digest: Digest, charts: list[Chart]) -> PostOutcome: ...

    async def verify(self) -> str:
        """A one-line account of who the token belongs to; raises ChannelError if invalid."""
        ...

    async def aclose(self) -> None: ...

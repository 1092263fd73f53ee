"""What every channel offers: a digest cut into parts the posting ledger tracks one by one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from ..deadline import Deadline
from ..domain.models import ChannelName, Digest
from ..domain.ownership import Rollup
from ..errors import ChannelError, PostUnconfirmed

# The line a re-sent part carries when the earlier post could not be confirmed.
RESENT_MARK = "(re-sent: the earlier post could not be confirmed)"
# The line the first part carries when the state database cannot keep posts to once.
ONCE_ONLY_OFF = "(once-only posting is off today: the state database is unavailable)"


class Chart(BaseModel):
    """A rendered PNG with the words a screen reader (and a notification) needs."""

    filename: str
    title: str
    alt_text: str
    png: bytes = Field(repr=False)


@dataclass(frozen=True)
class Part:
    """One piece of a post: a split message (`message-1`, …) or a chart (`chart-<file>`).
    `text` and `blocks` are what the channel renders; `chart` is set for a chart."""

    key: str
    text: str = ""
    blocks: tuple[dict[str, Any], ...] = ()
    chart: Chart | None = None


def message_key(index: int) -> str:
    return f"message-{index + 1}"


def chart_key(chart: Chart) -> str:
    return f"chart-{chart.filename}"


class PartSent(BaseModel):
    """What the platform answered for one part. `unknown` when the request may have reached
    it but no answer came (a timeout or a reset after sending)."""

    key: str
    status: Literal["sent", "failed", "unknown"]
    message_id: str | None = None
    reason: str | None = None
    code: str | None = Field(None, description="the platform's error code, when it gave one")


Lookup = Literal["found", "missing", "cannot_confirm"]


class Found(BaseModel):
    """The answer of a history lookup for a part whose fate is unknown."""

    lookup: Lookup
    message_id: str | None = None
    reason: str | None = None


class PostOutcome(BaseModel):
    channel: ChannelName = Field(description="slack or telegram.")
    ok: bool = Field(description="The channel holds the digest.")
    message_ids: list[str] = Field(
        default_factory=list, description="Ids of the messages posted by this run."
    )
    charts_posted: int = Field(0, description="Charts posted by this run.")
    error: str | None = Field(None, description="the API's error code or a short reason")
    note: str | None = Field(None, description="What happened, for a person.")
    skipped: bool = Field(False, description="true when this content was already posted today")


class Channel(Protocol):
    name: ChannelName
    # Which destination the posting ledger keeps these posts under: the platform's name for
    # the default destination (`slack`), `slack:U0123` for an owner's.
    key: str
    # The config key of the destination, for hints ("check owners.alice.slack").
    where: str

    def parts(self, post: Digest | Rollup, charts: list[Chart]) -> list[Part]:
        """The digest (or the team's roll-up) as this channel posts it: messages first,
        then charts."""
        ...

    async def send_part(
        self,
        run_id: int | None,
        part: Part,
        thread: str | None,
        mark: str | None,
        deadline: Deadline,
    ) -> PartSent:
        """Post one part (with `mark` as a visible first line, when given). Never raises:
        any failure, a bug included, is the part's `failed` (or `unknown`) outcome."""
        ...

    async def find_part(self, run_id: int, key: str, deadline: Deadline) -> Found:
        """Look for a part posted earlier under `run_id` (Slack: by message metadata)."""
        ...

    async def verify(self) -> str:
        """A one-line account of who the token belongs to; raises ChannelError if invalid."""
        ...

    async def verify_destination(self) -> str:
        """A one-line account of the destination; raises ChannelError if it cannot be posted
        to (Slack: the user's DM opens or the channel is found; Telegram: getChat)."""
        ...

    def to(self, address: str, key: str, where: str) -> Channel:
        """The same platform, token and client, posting to another destination."""
        ...

    async def aclose(self) -> None: ...


async def guarded(key: str, send: Callable[[], Awaitable[str]]) -> PartSent:
    """Run one part's send; what the platform or the network does — an error, no answer, a
    body that cannot be read — is that part's outcome (each adapter turns it into a
    ChannelError where it occurs), never an exception out of the channel. A bug is not an
    outcome: it stops the run, and the posting ledger settles the parts it left open."""
    try:
        message_id = await send()
    except PostUnconfirmed as exc:
        return PartSent(key=key, status="unknown", reason=str(exc))
    except ChannelError as exc:
        return PartSent(key=key, status="failed", reason=str(exc), code=getattr(exc, "code", None))
    return PartSent(key=key, status="sent", message_id=message_id)

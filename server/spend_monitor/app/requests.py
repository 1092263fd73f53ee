"""One model per operation, holding every default and bound once.

The CLI builds these from its flags and the MCP server from a tool's arguments, so both accept
and reject exactly the same values with the same one-line message (`describe`). Unknown
arguments are refused, not ignored: `{"name": "Globex"}` must not answer for the whole book.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..domain.models import ChannelName, Flag, MethodChoice, SnoozeKind
from ..errors import UsageError
from ..render import DigestFormat

# A page of 20 customers is about 8 KB of JSON: small for a model's context.
PAGE_SIZE = 20
MAX_PAGE_SIZE = 500
HISTORY_DAYS = 60
MAX_HISTORY_DAYS = 400
RUNS_SHOWN = 20
SNOOZE_DAYS = 7
MAX_SNOOZE_DAYS = 90
CHECKPOINT_DAYS = (7, 14, 21)

AsOf = Annotated[
    date | None,
    Field(description="Digest date YYYY-MM-DD; default today in the configured time zone."),
]
CustomerName = Annotated[
    str,
    Field(min_length=1, description="Customer name, display name or alias (case-insensitive)."),
]
OneCustomer = Annotated[
    str | None,
    Field(min_length=1, description="One customer (name, display name or alias); omit for all."),
]
OwnerKey = Annotated[
    str | None,
    Field(
        min_length=1,
        description="Only this owner's customers: an owner key from config, or the owner's "
        "Slack user ID (e.g. the person asking in a Slack DM). Omit for the whole book.",
    ),
]
Limit = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="Page size.")]
Offset = Annotated[int, Field(ge=0, description="Start of the page (next_offset).")]
HistoryDays = Annotated[
    int, Field(ge=1, le=MAX_HISTORY_DAYS, description="Days back from data_through.")
]
SnoozeDays = Annotated[int, Field(ge=1, le=MAX_SNOOZE_DAYS, description="How long to snooze.")]
Refresh = Annotated[bool, Field(description="Re-fetch instead of the cached data.")]


class Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PaceRequest(Request):
    customer: OneCustomer = None
    flag: Annotated[
        Flag | None, Field(description="Only customers with this flag, e.g. declining.")
    ] = None
    as_of: AsOf = None
    limit: Limit = PAGE_SIZE
    offset: Offset = 0
    refresh: Refresh = False
    owner: OwnerKey = None


class BreakdownRequest(Request):
    customer: CustomerName
    as_of: AsOf = None


class WatchRequest(Request):
    as_of: AsOf = None
    owner: OwnerKey = None


class OwnersRequest(Request):
    as_of: AsOf = None


class HistoryRequest(Request):
    customer: CustomerName
    days: HistoryDays = HISTORY_DAYS
    as_of: AsOf = None


class RunsRequest(Request):
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="Runs to show.")] = RUNS_SHOWN


class CustomersRequest(Request):
    as_of: AsOf = None


class PreviewRequest(Request):
    as_of: AsOf = None
    format: Annotated[DigestFormat, Field(description="Output format.")] = "markdown"
    owner: OwnerKey = None


class PostRequest(Request):
    as_of: AsOf = None
    channels: Annotated[
        list[ChannelName] | None,
        Field(description="Channels to post to; default every configured channel."),
    ] = None
    dry_run: Annotated[bool, Field(description="Build it but post nothing.")] = False
    force: Annotated[bool, Field(description="Post even if already posted today.")] = False
    customer: OneCustomer = None
    method: MethodChoice | None = None
    charts_dir: Path | None = None
    deadline: Annotated[
        float | None,
        Field(gt=0, le=86_400, description="Seconds the whole run may take (default 300)."),
    ] = None
    owner: OwnerKey = None
    team: Annotated[
        bool, Field(description="Only the team roll-up, to the `team` destinations.")
    ] = False

    @model_validator(mode="after")
    def _owner_or_team(self) -> PostRequest:
        if self.owner is not None and self.team:
            raise ValueError("give an owner or the team roll-up, not both")
        return self


class RepostRequest(Request):
    run: Annotated[int | None, Field(ge=1, description="Run id (see history).")] = None
    day: Annotated[
        date | None, Field(description="The latest run of that day with a failed post.")
    ] = None

    @model_validator(mode="after")
    def _one_way(self) -> RepostRequest:
        if self.run is not None and self.day is not None:
            raise ValueError("give a run id or a date, not both")
        return self


class AckRequest(Request):
    customer: CustomerName
    kind: Annotated[
        SnoozeKind | None,
        Field(description="Only this kind of alert; omit for all of the customer's."),
    ] = None
    days: SnoozeDays = SNOOZE_DAYS
    note: Annotated[str | None, Field(max_length=500, description="Why, for the record.")] = None
    as_of: AsOf = None


class BacktestRequest(Request):
    start: date
    end: date
    days: tuple[Annotated[int, Field(ge=1, le=31)], ...] = CHECKPOINT_DAYS

    @model_validator(mode="after")
    def _in_order(self) -> BacktestRequest:
        if self.end < self.start:
            raise ValueError("--to is before --from: give the months in order")
        return self


class CheckRequest(Request):
    as_of: AsOf = None


R = TypeVar("R", bound=Request)


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "arguments"


def describe(error: ValidationError, model: type[Request]) -> str:
    """A validation failure as one line: each bad field, what is wrong, and what was given."""
    parts = []
    for problem in error.errors():
        where = _where(problem["loc"])
        if problem["type"] == "extra_forbidden":
            valid = ", ".join(model.model_fields)
            parts.append(f"{where}: unknown argument (valid: {valid})")
            continue
        message = str(problem["msg"]).removeprefix("Value error, ")
        given = problem.get("input")
        shown = "" if isinstance(given, dict) or given is None else f" (got {given!r})"
        parts.append(f"{where}: {message}{shown}")
    return "; ".join(parts)


def parse(model: type[R], values: dict[str, Any]) -> R:
    """`values` as the request `model`, or a UsageError naming what is wrong."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise UsageError(describe(exc, model)) from None

"""The team: who owns which customer (config and the CRM's owners file), each owner's share of
the book, and where each digest goes. The rules are domain/ownership.py's; this wires config
and files to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from ..channels import Channel
from ..domain.models import ChannelName, Customer, Digest
from ..domain.ownership import Owner, Ownership, assign, counts, share, unowned
from ..errors import ConfigError, UsageError
from ..trackers import read_owners_file
from .answers import DigestRun
from .requests import OwnersRequest
from .services import Services

TEAM = "team"


def owners(services: Services) -> dict[str, Owner]:
    return {
        key: Owner(
            key=key,
            name=o.name,
            slack=o.slack,
            telegram=None if o.telegram is None else str(o.telegram),
        )
        for key, o in services.config.owners.items()
    }


def ownership(services: Services, customers: Sequence[Customer]) -> Ownership:
    """Every customer's owner: the config's, else the owners file's row."""
    config = services.config
    rows = read_owners_file(config.owners_file) if config.owners_file is not None else []
    configured = {c.name: c.owner for c in config.customers if c.owner is not None}
    return assign(customers, owners(services), configured, rows)


def find_owner(found: Ownership, text: str) -> Owner:
    """An owner by key or Slack user ID, or a UsageError listing the keys."""
    owner = found.find(text)
    if owner is None:
        known = ", ".join(sorted(found.owners)) or "none are configured"
        raise UsageError(
            f"no owner {text!r}", f"give an owner key or their Slack user ID ({known})"
        )
    return owner


def owner_share(digest: Digest, found: Ownership, text: str) -> Digest:
    """One owner's share of `digest` (by key or Slack user ID), their name in the title."""
    owner = find_owner(found, text)
    return share(digest, found.customers_of(owner.key), owner.name)


def owned_by(services: Services, run: DigestRun, owner: str | None) -> Digest:
    """The run's digest, or only `owner`'s customers in it (owner key or Slack user ID)."""
    if owner is None:
        return run.digest
    found = ownership(services, services.book.customers_in(run.snapshot))
    return owner_share(run.digest, found, owner)


async def list_owners(services: Services, request: OwnersRequest) -> OwnersReport:
    """Who owns what (with counts), and the customers in the data nobody owns."""
    run = await services.book.run(services.day(request.as_of))
    found = ownership(services, services.book.customers_in(run.snapshot))
    return owners_report(run.digest, found)


@dataclass(frozen=True)
class Destination:
    """One place a digest goes: an owner's, the team's, or the default one (owner None)."""

    channel: Channel
    owner: Owner | None = None
    team: bool = False

    @property
    def label(self) -> str:
        if self.team:
            return f"team roll-up on {self.channel.key}"
        if self.owner is not None:
            return f"owner {self.owner.key} ({self.owner.name}) on {self.channel.key}"
        return self.channel.name


def _to(services: Services, platform: ChannelName, address: str, key: str, where: str) -> Channel:
    return services.channel(platform).to(address, key, where)


def owner_destinations(
    services: Services, owner: Owner, platforms: Sequence[ChannelName]
) -> list[Destination]:
    addresses = {"slack": owner.slack, "telegram": owner.telegram}
    return [
        Destination(_to(services, p, a, f"{p}:{a}", f"owners.{owner.key}.{p}"), owner=owner)
        for p in platforms
        if (a := addresses[p]) is not None
    ]


def team_destinations(services: Services, platforms: Sequence[ChannelName]) -> list[Destination]:
    team = services.config.team
    if team is None:
        return []
    addresses = {"slack": team.slack, "telegram": team.telegram}
    return [
        Destination(_to(services, p, str(a), f"{p}:{a}:{TEAM}", f"team.{p}"), team=True)
        for p in platforms
        if (a := addresses[p]) is not None
    ]


def require_platforms(services: Services) -> None:
    """An owner's or the team's destination on a platform without its token is a config
    error: their digest would silently go nowhere."""
    ready = set(services.ready_channels())
    config = services.config
    for key, owner in config.owners.items():
        for platform in ("slack", "telegram"):
            if getattr(owner, platform) is not None and platform not in ready:
                raise ConfigError(
                    f"owners.{key}.{platform} is set but {platform} is not set up "
                    f"({platform}: section and {platform.upper()}_BOT_TOKEN)",
                    f"add the `{platform}` section and set {platform.upper()}_BOT_TOKEN, or "
                    f"remove owners.{key}.{platform}",
                )


class OwnerBook(BaseModel):
    key: str = Field(description="The owner key (pass as `owner`).")
    name: str = Field(description="The owner's name.")
    slack: str | None = Field(description="Slack user or channel ID their digest goes to.")
    telegram: str | None = Field(description="Telegram chat ID their digest goes to.")
    customers: list[str] = Field(description="Display names of the customers they own.")
    flagged: int = Field(
        description="Their customers flagged growing, declining or stopped (not snoozed)."
    )
    watch: int = Field(description="Their items on the watch list (not snoozed).")


class OwnersReport(BaseModel):
    owners: list[OwnerBook] = Field(description="Every configured owner and their book.")
    unowned: list[str] = Field(description="Customers in the data that nobody owns.")
    warnings: list[str] = Field(description="Owners-file rows that could not be used.")


def owners_report(digest: Digest, found: Ownership) -> OwnersReport:
    books = []
    for key, owner in found.owners.items():
        mine = share(digest, found.customers_of(key))
        load = counts(key, owner.name, mine)
        books.append(
            OwnerBook(
                key=key,
                name=owner.name,
                slack=owner.slack,
                telegram=owner.telegram,
                customers=[p.display_name for p in mine.customers],
                flagged=load.flags,
                watch=load.watch,
            )
        )
    rest = unowned(digest, found)
    return OwnersReport(
        owners=books,
        unowned=[p.display_name for p in rest.customers],
        warnings=list(found.warnings),
    )

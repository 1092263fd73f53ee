"""Who owns which customer, each owner's share of the digest, and the team's roll-up.

Ownership comes from two places: `customers[].owner` in config and rows of a CRM export
(`customer,owner`). The config wins where both name an owner; a row naming a customer nobody
knows is a warning with suggestions, never a failed run. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from pydantic import Field

from .alerts import ALERT_FLAGS
from .customers import CustomerIndex
from .models import Customer, Digest, Frozen, Pace, Rounded

TOP_MOVERS = 5


class Owner(Frozen):
    """A customer-success manager and where their digest goes."""

    key: str
    name: str
    slack: str | None = None
    telegram: str | None = None


class OwnerRow(Frozen):
    """One row of an owners file: the customer as the CRM spells it, and the owner key."""

    customer: str
    owner: str
    where: str = Field(description="file and line, for warnings")


class Ownership(Frozen):
    """Customer name (as the data keys it) → owner key, with what could not be matched."""

    owners: dict[str, Owner]
    by_customer: dict[str, str]
    warnings: tuple[str, ...] = ()

    def customers_of(self, key: str) -> frozenset[str]:
        return frozenset(c for c, o in self.by_customer.items() if o == key)

    def owner_of(self, customer: str) -> Owner | None:
        key = self.by_customer.get(customer)
        return self.owners.get(key) if key is not None else None

    def find(self, text: str) -> Owner | None:
        """An owner by key, or by their Slack user ID (how a Slack DM names the asker)."""
        if text in self.owners:
            return self.owners[text]
        folded = text.strip().casefold()
        return next((o for o in self.owners.values() if (o.slack or "").casefold() == folded), None)


def assign(
    customers: Sequence[Customer],
    owners: Mapping[str, Owner],
    configured: Mapping[str, str],
    rows: Iterable[OwnerRow] = (),
) -> Ownership:
    """`configured`: customer name → owner key from config; `rows`: the owners file's."""
    index = CustomerIndex(customers)
    by_customer: dict[str, str] = {}
    warnings: list[str] = []
    for row in rows:
        found = index.find(row.customer)
        if found is None:
            close = index.suggestions(row.customer)
            hint = f" (did you mean {', '.join(repr(s) for s in close)}?)" if close else ""
            warnings.append(f"{row.where}: no customer {row.customer!r}{hint}; row skipped")
        elif row.owner not in owners:
            known = ", ".join(sorted(owners)) or "none"
            warnings.append(
                f"{row.where}: owner {row.owner!r} is not a key of `owners` (defined: {known});"
                " row skipped"
            )
        else:
            by_customer[found.name] = row.owner
    known_names = {c.name for c in customers}
    by_customer.update({c: o for c, o in configured.items() if c in known_names})
    return Ownership(owners=dict(owners), by_customer=by_customer, warnings=tuple(warnings))


def share(digest: Digest, customers: frozenset[str], owner: str | None = None) -> Digest:
    """The part of `digest` about `customers`, with `owner` (a name) in its title."""
    paces = tuple(p for p in digest.customers if p.name in customers)
    items = tuple(w for w in digest.watch_list if w.customer in customers)
    labels = {p.display_name for p in paces}
    hidden = sum(p.snoozed for p in paces) + sum(w.snoozed for w in items)
    return digest.model_copy(
        update={
            "customers": paces,
            "watch_list": items,
            "recovered": tuple(r for r in digest.recovered if r in labels),
            "snoozed": hidden,
            "owner": owner,
        }
    )


def unowned(digest: Digest, ownership: Ownership) -> Digest:
    """The customers nobody owns, for the default destination."""
    names = frozenset(p.name for p in digest.customers) - ownership.by_customer.keys()
    return share(digest, names)


class Mover(Frozen):
    customer: str = Field(description="The customer, as people read it.")
    owner: str | None = Field(description="Its owner's name; null when nobody owns it.")
    change_pct: Rounded | None = Field(description="Change against its baseline, in percent.")
    delta: Rounded = Field(description="current − baseline, in dollars.")


class OwnerCounts(Frozen):
    key: str = Field(description="The owner key in config (`unowned` for the rest).")
    name: str = Field(description="The owner's name.")
    customers: int = Field(description="Customers in this owner's book.")
    flags: int = Field(description="customers flagged growing, declining or stopped, not snoozed")
    watch: int = Field(description="items on the watch list, not snoozed")
    snoozed: int = Field(description="alerts and watch items an acknowledgement hides")
    current: Rounded = Field(description="This book's revenue this month so far, in dollars.")
    baseline: Rounded = Field(description="What it would be at last month's pace, in dollars.")


class Rollup(Frozen):
    """The manager's view: the whole book against its baseline, where the month is heading,
    the biggest moves with their owners, and each owner's load."""

    as_of: date = Field(description="The digest date (YYYY-MM-DD).")
    data_through: date = Field(description="The last day with data (YYYY-MM-DD).")
    current: Rounded = Field(description="The whole book this month so far, in dollars.")
    baseline: Rounded = Field(description="The whole book at last month's pace, in dollars.")
    projected: Rounded = Field(description="Where the whole book's month is heading, $.")
    change_pct: Rounded | None = Field(description="current against baseline, in percent.")
    movers: tuple[Mover, ...] = Field(description="The biggest moves across the team.")
    owners: tuple[OwnerCounts, ...] = Field(description="Each owner's book and load.")
    unowned: OwnerCounts | None = Field(None, description="The customers nobody owns.")
    failed: tuple[str, ...] = Field((), description="owners whose digest did not arrive")
    updated: bool = Field(False, description="Posted again today because the content changed.")


def counts(key: str, name: str, digest: Digest) -> OwnerCounts:
    """One book's load: open alerts and watch items (snoozed ones counted apart), and its
    revenue against the baseline."""
    paces = digest.customers
    return OwnerCounts(
        key=key,
        name=name,
        customers=len(paces),
        flags=sum(p.flag in ALERT_FLAGS and not p.snoozed for p in paces),
        watch=sum(not w.snoozed for w in digest.watch_list),
        snoozed=digest.snoozed,
        current=sum(p.current or 0.0 for p in paces),
        baseline=sum(p.baseline or 0.0 for p in paces),
    )


def _projected(pace: Pace) -> float:
    """Where the customer's month is heading; without a projection, its prior month's
    total scaled by how it paces (or what it has spent, when nothing compares)."""
    if pace.projected_total is not None:
        return pace.projected_total
    if pace.baseline and pace.prior_total is not None and pace.current is not None:
        return pace.prior_total * pace.current / pace.baseline
    return pace.current or 0.0


def rollup(
    digest: Digest, ownership: Ownership, failed: Iterable[str] = (), top: int = TOP_MOVERS
) -> Rollup:
    """`digest` is the whole book (memory applied, so snoozes by any owner count here)."""
    known = [p for p in digest.customers if p.current is not None]
    current = sum(p.current or 0.0 for p in known)
    baseline = sum(p.baseline or 0.0 for p in known)
    moving = sorted(
        (p for p in known if p.flag in ALERT_FLAGS and not p.snoozed),
        key=lambda p: (-abs(p.delta), p.display_name.casefold()),
    )
    movers = tuple(
        Mover(
            customer=p.display_name,
            owner=o.name if (o := ownership.owner_of(p.name)) else None,
            change_pct=p.change_pct,
            delta=p.delta,
        )
        for p in moving[:top]
    )
    books = tuple(
        counts(key, owner.name, share(digest, ownership.customers_of(key)))
        for key, owner in ownership.owners.items()
    )
    rest = unowned(digest, ownership)
    return Rollup(
        as_of=digest.as_of,
        data_through=digest.data_through,
        current=current,
        baseline=baseline,
        projected=sum(_projected(p) for p in known),
        change_pct=(current - baseline) / baseline * 100 if baseline else None,
        movers=movers,
        owners=books,
        unowned=counts("", "Unowned", rest) if rest.customers else None,
        failed=tuple(failed),
    )

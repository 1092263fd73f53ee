"""Who owns what, each owner's share and the team roll-up: pure rules, no servers."""

import pytest

from spend_monitor.domain.models import Customer, WatchItem
from spend_monitor.domain.ownership import Owner, OwnerRow, assign, rollup, share, unowned
from spend_monitor.render import render_text
from test_shown import digest, pace

CUSTOMERS = [
    Customer(name="acme", display_name="Acme Voice", aliases=("ACME-01",)),
    Customer(name="globex"),
    Customer(name="initech"),
    Customer(name="umbrella"),
]
OWNERS = {
    "alice": Owner(key="alice", name="Alice Chen", slack="U0A"),
    "bob": Owner(key="bob", name="Bob Diaz", telegram="42"),
}


def row(customer: str, owner: str, line: int = 2) -> OwnerRow:
    return OwnerRow(customer=customer, owner=owner, where=f"owners.csv line {line}")


@pytest.mark.parametrize(
    ("rows", "configured", "owned", "warning"),
    [
        ([row("Acme Voice", "bob")], {}, {"acme": "bob"}, None),
        ([row("acme-01", "bob")], {}, {"acme": "bob"}, None),
        ([row("acme", "bob")], {"acme": "alice"}, {"acme": "alice"}, None),
        (
            [row("Globx", "bob")],
            {},
            {},
            "owners.csv line 2: no customer 'Globx' (did you mean 'globex'?); row skipped",
        ),
        (
            [row("globex", "carol")],
            {},
            {},
            "owners.csv line 2: owner 'carol' is not a key of `owners` (defined: alice, bob);"
            " row skipped",
        ),
    ],
    ids=["display-name", "alias-any-case", "config-wins", "unknown-customer", "unknown-owner"],
)
def test_owners_come_from_config_and_the_crm_file(rows, configured, owned, warning):
    found = assign(CUSTOMERS, OWNERS, configured, rows)
    assert found.by_customer == owned
    assert list(found.warnings) == ([warning] if warning else [])


def test_an_owner_is_found_by_key_or_slack_user_id():
    found = assign(CUSTOMERS, OWNERS, {})
    assert found.find("alice") == found.find("u0a") == OWNERS["alice"]
    assert found.find("U0B") is None


def the_book():
    return digest(
        [
            pace("acme", "declining", -30.0, snoozed=True),
            pace("globex", "growing", 40.0),
            pace("initech"),
            pace("umbrella", "declining", -20.0),
        ],
        [
            WatchItem(customer="acme", display_name="acme", kind="pace_drop", detail="x"),
            WatchItem(customer="umbrella", display_name="umbrella", kind="pace_drop", detail="y"),
        ],
    )


def test_an_owners_share_holds_only_their_customers_and_their_name():
    book = the_book()
    found = assign(CUSTOMERS, OWNERS, {"acme": "alice", "globex": "alice", "initech": "bob"})
    mine = share(book, found.customers_of("alice"), "Alice Chen")
    assert [p.name for p in mine.customers] == ["acme", "globex"]
    assert [w.customer for w in mine.watch_list] == ["acme"]
    assert mine.snoozed == 1
    assert render_text(mine).startswith("📊 Customer Spend Monitor — Alice Chen — Feb 15")
    assert [p.name for p in unowned(book, found).customers] == ["umbrella"]
    assert render_text(unowned(book, found)).startswith("📊 Customer Spend Monitor — Feb 15")


def test_the_rollup_adds_up_shows_snoozes_and_names_failed_owners():
    book = the_book()
    found = assign(CUSTOMERS, OWNERS, {"acme": "alice", "globex": "alice", "initech": "bob"})
    summary = rollup(book, found, failed=["Bob Diaz"])
    books = [*summary.owners, summary.unowned]
    assert summary.current == pytest.approx(sum(b.current for b in books if b))
    assert summary.baseline == pytest.approx(sum(b.baseline for b in books if b))
    alice = summary.owners[0]
    assert (alice.customers, alice.flags, alice.watch, alice.snoozed) == (2, 1, 1, 1)
    # A snoozed alert is counted for its owner but is not a top mover.
    assert [m.customer for m in summary.movers] == ["globex", "umbrella"]
    assert [m.owner for m in summary.movers] == ["Alice Chen", None]
    assert summary.failed == ("Bob Diaz",)

import json
from datetime import date
from pathlib import Path

import pytest

from spend_monitor.domain.customers import CustomerIndex
from spend_monitor.domain.models import Customer, Escalation, Thresholds, Ticket
from spend_monitor.domain.watch import escalation_alerts, is_open, stale_tickets
from spend_monitor.trackers import read_trackers

AS_OF = date(2026, 11, 24)  # a Tuesday
INDEX = CustomerIndex(
    [
        Customer(name="umbrella", display_name="Umbrella Telecom", aliases=("Umbrella",)),
        Customer(name="initech", display_name="Initech"),
    ]
)


def esc(customer: str, day: int, summary: str = "x") -> Escalation:
    return Escalation(customer=customer, date=date(2026, 11, day), summary=summary)


def test_three_escalations_in_seven_days_matched_by_any_name():
    items = escalation_alerts(
        [
            esc("Umbrella", 23, "503s"),
            esc("UMBRELLA TELECOM", 20, "Thailand rollout"),
            esc("umbrella", 18, "billing"),
        ],
        AS_OF,
        Thresholds(),
        INDEX,
    )
    assert len(items) == 1
    item = items[0]
    assert (item.customer, item.display_name, item.kind) == (
        "umbrella",
        "Umbrella Telecom",
        "escalations",
    )
    assert item.detail == "3 escalations this week (503s, Thailand rollout, billing)"


def test_escalations_outside_the_window_or_under_the_count_do_not_alert():
    old = esc("Umbrella", 17)  # exactly 7 days before: outside
    future = esc("Umbrella", 25)
    assert (
        escalation_alerts(
            [esc("Umbrella", 23), esc("Umbrella", 22), old, future], AS_OF, Thresholds(), INDEX
        )
        == []
    )


def test_at_most_three_summaries_each_clipped():
    many = [esc("Initech", 20 + i, "s" * 200 + str(i)) for i in range(4)]
    (item,) = escalation_alerts(many, AS_OF, Thresholds(), INDEX)
    assert item.evidence["count"] == 4
    summaries = item.evidence["summaries"]
    assert isinstance(summaries, list)
    assert len(summaries) == 3
    assert all(len(s) <= 60 for s in summaries)


def ticket(status: str, updated: date | None, created: date = date(2026, 10, 1)) -> Ticket:
    return Ticket(
        ticket_id="ENGDESK-1",
        customer="initech",
        created_date=created,
        status=status,
        updated_date=updated,
    )


def test_open_ticket_idle_for_five_business_days_is_stale():
    # Updated Tue Nov 17; Wed..Tue is 5 business days.
    (item,) = stale_tickets([ticket("open", date(2026, 11, 17))], AS_OF, Thresholds(), [], INDEX)
    assert item.detail == "ENGDESK-1 stale (5 business days)"
    assert stale_tickets([ticket("open", date(2026, 11, 18))], AS_OF, Thresholds(), [], INDEX) == []


def test_a_holiday_does_not_count_as_a_business_day():
    holiday = [date(2026, 11, 20)]
    assert (
        stale_tickets([ticket("open", date(2026, 11, 17))], AS_OF, Thresholds(), holiday, INDEX)
        == []
    )


def test_closed_tickets_are_not_open_and_created_date_counts_when_never_updated():
    for status in ("resolved", "Closed", "DONE"):
        assert stale_tickets([ticket(status, None)], AS_OF, Thresholds(), [], INDEX) == []
    (item,) = stale_tickets([ticket("in progress", None)], AS_OF, Thresholds(), [], INDEX)
    assert item.evidence["last_update"] == "2026-10-01"


def test_unknown_tracker_customer_is_kept_as_written():
    (item,) = escalation_alerts(
        [esc("Soylent", 23), esc("Soylent", 22), esc("Soylent", 21)], AS_OF, Thresholds(), INDEX
    )
    assert item.display_name == "Soylent"


def test_customer_index_suggests_close_names():
    assert INDEX.suggestions("Umbrela") == ["Umbrella Telecom"]
    assert INDEX.find("  umbrella   telecom ") is not None


def write_json(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def ticket_entry(ticket_id: str, status: str, **extra: object) -> dict[str, object]:
    return {
        "ticket_id": ticket_id,
        "customer": "Initech",
        "created_date": "2026-11-02",
        "status": status,
        **extra,
    }


@pytest.mark.parametrize(
    "status",
    [
        "Resolved",
        "CLOSED",
        "done",
        "Won't Fix",
        "won’t-fix",
        "WONT_FIX",
        "Cancelled",
        "canceled",
        "Duplicate",
    ],
)
def test_closed_statuses_by_default_in_any_spelling_are_not_open(tmp_path, status):
    write_json(tmp_path / "ENGDESK-1.json", ticket_entry("ENGDESK-1", status))
    data = read_trackers(None, str(tmp_path / "ENGDESK-*.json"))
    assert (len(data.tickets), data.warnings) == (1, [])
    assert not is_open(data.tickets[0])
    assert stale_tickets(data.tickets, AS_OF, Thresholds(), (), INDEX) == []


def test_closed_statuses_are_configurable(tmp_path):
    write_json(
        tmp_path / "ENGDESK-1.json", [ticket_entry("1", "Parked"), ticket_entry("2", "resolved")]
    )
    data = read_trackers(None, str(tmp_path / "ENGDESK-*.json"))
    stale = stale_tickets(data.tickets, AS_OF, Thresholds(), (), INDEX, closed_statuses=["parked"])
    assert [item.evidence["ticket_id"] for item in stale] == ["2"]


@pytest.mark.parametrize(
    ("entry", "warning"),
    [
        (
            ticket_entry("ENGDESK-7", "open", updated_date="2026-10-01"),
            "[1] (ENGDESK-7): updated_date 2026-10-01 is before created_date 2026-11-02",
        ),
        (
            {**ticket_entry("ENGDESK-8", "open"), "customer": 5},
            "[1] (ENGDESK-8): customer: expected text",
        ),
        (
            {**ticket_entry("ENGDESK-9", "open"), "created_date": "soon"},
            "[1] (ENGDESK-9): created_date",
        ),
        ("ENGDESK-10", "[1]: expected an object, got str"),
    ],
)
def test_a_malformed_ticket_is_skipped_with_a_warning_naming_file_and_ticket(
    tmp_path, entry, warning
):
    path = write_json(tmp_path / "ENGDESK-a.json", [ticket_entry("ENGDESK-1", "open"), entry])
    data = read_trackers(None, str(tmp_path / "ENGDESK-*.json"))
    assert [t.ticket_id for t in data.tickets] == ["ENGDESK-1"]
    (only,) = data.warnings
    assert only.startswith(f"{path}{warning}"), only
    assert only.endswith("entry skipped")


@pytest.mark.parametrize(
    ("content", "warning"),
    [
        ("{not json", "not valid JSON (line 1)"),
        (b'[{"customer": "Caf\xe9"}]', "not UTF-8 text"),
        ({"customer": "x"}, "expected a JSON array"),
    ],
)
def test_a_malformed_escalation_file_is_skipped_and_named(tmp_path, content, warning):
    path = tmp_path / "escalations.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        write_json(path, content)
    data = read_trackers(path, None)
    assert data.escalations == []
    assert data.warnings == [f"{path}: {warning}" + data.warnings[0].split(warning, 1)[1]]

"""Write the local example's data relative to today, beside this script.

    python3 examples/local/make_data.py [--today YYYY-MM-DD]

Revenue from the first of the month before last through yesterday (today in Chicago, the
config's time zone), so the digest always has this month and last month to compare. The same
day gives the same files: run it as often as you like (`make demo` and `make example` do).
Standard library only, so it runs before any set-up.
"""

from __future__ import annotations

import argparse
import csv
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
WEEK = (1.0, 1.05, 1.05, 1.0, 0.95, 0.6, 0.55)  # Monday..Sunday: an office customer's week

# customer key, service, dollars a weekday, this month's level vs last month's
LINES = [
    ("acme-voice", "Voice Outbound", 4_000, 1.35),
    ("acme-voice", "SMS", 900, 1.2),
    ("globex", "user", 1_500, 0.0),  # stopped at the start of this month: a vanished line
    ("globex", "SMS", 120, 1.0),
    ("initech", "SIP Trunking", 1_700, 1.0),
    ("initech", "Toll-Free Numbers", 600, 1.02),
    ("umbrella", "SMS", 800, 0.97),
    ("umbrella", "Voice Outbound", 300, 1.0),
]


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month_start(day: date) -> date:
    return month_start(month_start(day) - timedelta(days=1))


def revenue_rows(today: date) -> list[list[str]]:
    through = today - timedelta(days=1)
    current = month_start(through)
    day = previous_month_start(previous_month_start(current))
    rows = []
    while day <= through:
        for i, (customer, service, daily, level) in enumerate(LINES):
            factor = WEEK[day.weekday()] * (level if day >= current else 1.0)
            wobble = 1 + 0.03 * (((day.toordinal() + i) * 7) % 5 - 2) / 2  # steady, not flat
            if factor > 0:
                rows.append([day.isoformat(), customer, service, f"{daily * factor * wobble:.2f}"])
        day += timedelta(days=1)
    return rows


def escalations(today: date) -> list[dict[str, str]]:
    """The escalation tracker: a JSON array of {customer, date (YYYY-MM-DD), summary}.
    Customers match by name, display name or alias, in any case."""

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    return [
        {"customer": "Umbrella", "date": ago(1), "summary": "SMS delivery delays to Thailand"},
        {"customer": "umbrella", "date": ago(3), "summary": "Webhook retries doubled"},
        {"customer": "Umbrella Telecom", "date": ago(5), "summary": "503s on the SMS API"},
        {"customer": "Acme Voice", "date": ago(20), "summary": "Old: onboarding call"},
    ]


def tickets(today: date) -> list[dict[str, str]]:
    """ENGDESK tickets, one JSON file each: {ticket_id, customer, created_date, status,
    updated_date?}. `resolved`, `closed` and `done` (any case) close a ticket."""

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    return [
        {
            "ticket_id": "ENGDESK-1001",
            "customer": "Initech",
            "created_date": ago(30),
            "updated_date": ago(14),
            "status": "open",
        },
        {
            "ticket_id": "ENGDESK-1002",
            "customer": "globex",
            "created_date": ago(4),
            "updated_date": ago(1),
            "status": "in progress",
        },
        {
            "ticket_id": "ENGDESK-1003",
            "customer": "Acme",
            "created_date": ago(60),
            "status": "Resolved",
        },
    ]


def write(directory: Path, today: date) -> None:
    with (directory / "revenue.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["Date", "Account", "Service", "Revenue"])
        writer.writerows(revenue_rows(today))
    (directory / "escalations.json").write_text(
        json.dumps(escalations(today), indent=2) + "\n", encoding="utf-8"
    )
    engdesk = directory / "engdesk"
    engdesk.mkdir(exist_ok=True)
    for ticket in tickets(today):
        (engdesk / f"{ticket['ticket_id']}.json").write_text(
            json.dumps(ticket, indent=2) + "\n", encoding="utf-8"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--today", type=date.fromisoformat, help="default: today in Chicago")
    args = parser.parse_args()
    today = args.today or datetime.now(ZoneInfo("America/Chicago")).date()
    write(HERE, today)
    print(f"wrote {HERE}/revenue.csv, escalations.json and engdesk/ for {today}")


if __name__ == "__main__":
    main()

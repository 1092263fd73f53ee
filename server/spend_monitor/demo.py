"""The embedded demo: a seeded, made-up book of customers, written as ordinary input files.

Everything is relative to the as-of date, so every scenario lands on any day it is run, and the
demo goes through the real local-file source and trackers — no special code path.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from .config import Config, parse_config
from .domain.periods import period_for, previous_month_start

# Share of a weekday's revenue by weekday (Mon..Sun) for business customers.
OFFICE_WEEK = (1.0, 1.05, 1.05, 1.0, 0.95, 0.8, 0.75)
WEEKEND_HEAVY = (0.5, 0.5, 0.55, 0.6, 1.2, 3.0, 2.8)

Shape = Callable[[date, "DemoContext"], float]


@dataclass(frozen=True)
class DemoContext:
    current_start: date
    days_elapsed: int


def steady(_: date, __: DemoContext) -> float:
    return 1.0


def step(factor: float) -> Shape:
    """A level change from the first of the current month."""
    return lambda day, ctx: factor if day >= ctx.current_start else 1.0


def starts_this_month(day: date, ctx: DemoContext) -> float:
    return 1.0 if day >= ctx.current_start else 0.0


def stops_at_month_start(day: date, ctx: DemoContext) -> float:
    return 0.0 if day >= ctx.current_start else 1.0


def stops_mid_month(day: date, ctx: DemoContext) -> float:
    last_day = ctx.current_start + timedelta(days=ctx.days_elapsed // 2 - 1)
    return 0.0 if day > last_day and day >= ctx.current_start else 1.0


@dataclass(frozen=True)
class Line:
    service: str
    daily: float
    shape: Shape = steady


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    display_name: str
    lines: tuple[Line, ...]
    week: tuple[float, ...] = OFFICE_WEEK
    noise: float = 0.04
    aliases: tuple[str, ...] = ()


@dataclass
class DemoFiles:
    directory: Path
    revenue: Path
    escalations: Path
    engdesk_glob: str
    customers: list[DemoCustomer] = field(default_factory=list)


def _book() -> list[DemoCustomer]:
    steady_book = [
        ("northwind", "Northwind Traders", 9_000),
        ("contoso", "Contoso Health", 4_200),
        ("fabrikam", "Fabrikam Retail", 2_600),
        ("tailspin", "Tailspin Toys", 700),
        ("wingtip", "Wingtip Travel", 1_500),
        ("litware", "Litware Labs", 3_300),
        ("adatum", "Adatum Insurance", 12_500),
        ("proseware", "Proseware", 950),
        ("lucerne", "Lucerne Publishing", 1_800),
        ("fourth-coffee", "Fourth Coffee", 420),
        ("alpine", "Alpine Ski House", 2_100),
        ("coho", "Coho Winery", 610),
        ("datum", "Datum Freight", 5_400),
        ("wide-world", "Wide World Importers", 7_700),
        ("cyberdyne", "Cyberdyne Dispatch", 3_900),
        ("tyrell", "Tyrell Robotics", 2_900),
    ]
    book = [
        DemoCustomer(
            "acme-voice",
            "Acme Voice",
            (
                Line("Voice Outbound", 9_000, step(1.22)),
                Line("Voice Inbound", 4_400, step(1.15)),
                Line("Local Numbers", 400),
            ),
            aliases=("Acme", "ACME Corp"),
        ),
        DemoCustomer(
            "globex",
            "Globex",
            (Line("user", 1_800, stops_at_month_start), Line("SMS", 150)),
        ),
        DemoCustomer(
            "initech",
            "Initech",
            (Line("SIP Trunking", 1_700), Line("Toll-Free Numbers", 600), Line("SMS", 85)),
        ),
        DemoCustomer(
            "umbrella",
            "Umbrella Telecom",
            (
                Line("SMS", 800),
                Line("Thailand Numbers", 700, starts_this_month),
                Line("Voice Outbound", 300),
            ),
            aliases=("Umbrella",),
        ),
        DemoCustomer(
            "hooli",
            "Hooli",
            (Line("WhatsApp Messaging", 2_800, step(0.82)), Line("SMS", 900, step(0.86))),
        ),
        DemoCustomer(
            "pied-piper",
            "Pied Piper",
            (Line("Voice Inbound", 600, starts_this_month), Line("SMS", 90, starts_this_month)),
        ),
        DemoCustomer(
            "vandelay",
            "Vandelay Industries",
            (Line("Voice Outbound", 2_300, stops_mid_month), Line("MMS", 250, stops_mid_month)),
        ),
        DemoCustomer(
            "wonka",
            "Wonka Ticketing",
            (Line("SMS", 1_300), Line("Voice Inbound", 400)),
            week=WEEKEND_HEAVY,
        ),
        DemoCustomer("bluth", "Bluth Company", (Line("SMS", 9),), noise=0.9),
        DemoCustomer(
            "soylent",
            "Soylent Health",
            (Line("Voice Inbound", 3_100), Line("Fax", 90, stops_at_month_start)),
        ),
    ]
    book += [
        DemoCustomer(name, label, (Line("Voice Outbound", daily * 0.7), Line("SMS", daily * 0.3)))
        for name, label, daily in steady_book
    ]
    return book


def _revenue_rows(
    book: list[DemoCustomer], as_of: date, history_months: int
) -> list[tuple[str, str, str, str]]:
    period = period_for(as_of)
    ctx = DemoContext(period.current_start, period.days_elapsed)
    start = period.prior_start
    for _ in range(history_months - 1):
        start = previous_month_start(start)
    rows = []
    for customer in book:
        rng = random.Random(f"spend-monitor-demo:{customer.name}")
        day = start
        while day <= as_of:  # as_of itself is a partial day the monitor must ignore
            partial = 0.4 if day == as_of else 1.0
            for line in customer.lines:
                level = line.shape(day, ctx) * customer.week[day.weekday()] * partial
                amount = line.daily * level * max(0.0, 1 + rng.gauss(0, customer.noise))
                if level <= 0:
                    continue
                # Usage arrives in several billing records a day; the source must sum them.
                parts = 2 if line.daily > 1_000 else 1
                for _ in range(parts):
                    rows.append(
                        (day.isoformat(), customer.name, line.service, f"{amount / parts:.2f}")
                    )
            day += timedelta(days=1)
    return rows


def _escalations(as_of: date) -> list[dict[str, str]]:
    def ago(days: int) -> str:
        return (as_of - timedelta(days=days)).isoformat()

    return [
        {"customer": "Umbrella", "date": ago(1), "summary": "503s on the SMS API during peak"},
        {"customer": "umbrella", "date": ago(2), "summary": "Thailand rollout: porting delays"},
        {"customer": "Umbrella Telecom", "date": ago(4), "summary": "Webhook retries doubled"},
        {"customer": "Umbrella Telecom", "date": ago(5), "summary": "Invoice question on numbers"},
        {"customer": "Umbrella Telecom", "date": ago(21), "summary": "Old: onboarding call"},
        {"customer": "Hooli", "date": ago(3), "summary": "Asked about WhatsApp pricing"},
    ]


def _tickets(as_of: date) -> list[dict[str, str]]:
    def ago(days: int) -> str:
        return (as_of - timedelta(days=days)).isoformat()

    return [
        {
            "ticket_id": "ENGDESK-49374",
            "customer": "Initech",
            "created_date": ago(30),
            "updated_date": ago(12),
            "status": "open",
        },
        {
            "ticket_id": "ENGDESK-49510",
            "customer": "Cyberdyne Dispatch",
            "created_date": ago(6),
            "updated_date": ago(1),
            "status": "in progress",
        },
        {
            "ticket_id": "ENGDESK-48800",
            "customer": "tyrell",
            "created_date": ago(60),
            "updated_date": ago(40),
            "status": "Closed",
        },
    ]


def write_demo(directory: Path, as_of: date, history_months: int = 2) -> DemoFiles:
    """Write the demo's revenue file and trackers for `as_of` into `directory`, with
    `history_months` full months before the current one."""
    book = _book()
    files = DemoFiles(
        directory=directory,
        revenue=directory / "revenue.csv",
        escalations=directory / "escalations.json",
        engdesk_glob=str(directory / "engdesk" / "ENGDESK-*.json"),
        customers=book,
    )
    with files.revenue.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["date", "customer", "service", "amount"])
        writer.writerows(_revenue_rows(book, as_of, history_months))
    files.escalations.write_text(json.dumps(_escalations(as_of), indent=2), encoding="utf-8")
    (directory / "engdesk").mkdir(exist_ok=True)
    for ticket in _tickets(as_of):
        path = directory / "engdesk" / f"{ticket['ticket_id']}.json"
        path.write_text(json.dumps(ticket, indent=2), encoding="utf-8")
    return files


def demo_config(files: DemoFiles) -> Config:
    """The config a user would write for the demo files."""
    return parse_config(
        {
            "customers": [
                {"name": c.name, "display_name": c.display_name, "aliases": list(c.aliases)}
                for c in files.customers
            ],
            "local": {"path": str(files.revenue)},
            "thresholds": {"min_baseline": 500},
            "escalation_tracker_path": str(files.escalations),
            "engdesk_tracker_glob": files.engdesk_glob,
            "state_path": str(files.directory / "state.db"),
        },
        "demo config",
    )

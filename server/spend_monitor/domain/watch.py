"""Customers to watch: pace drops, vanished line items, escalations and stale tickets."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from .customers import CustomerIndex
from .formatting import clip, format_amount, format_pct, month_abbr, vanished_text
from .models import Customer, Escalation, Pace, Thresholds, Ticket, WatchItem
from .periods import Period, business_days_between

SUMMARY_LIMIT = 60
ESCALATION_WINDOW_DAYS = 7
MAX_SUMMARIES = 3
# Ticket statuses that are not open (config `closed_ticket_statuses` replaces the list).
DEFAULT_CLOSED_STATUSES = ("resolved", "closed", "done", "won't fix", "cancelled", "duplicate")


def fold_status(status: str) -> str:
    """One spelling per status: case, curly apostrophes, `_`/`-` and spacing do not matter."""
    text = status.casefold().replace("\u2019", "'").replace("_", " ").replace("-", " ")
    text = re.sub(r"\s+", " ", text).strip()
    return text.replace("wont ", "won't ").replace("canceled", "cancelled")


def is_open(ticket: Ticket, closed_statuses: Iterable[str] = DEFAULT_CLOSED_STATUSES) -> bool:
    return fold_status(ticket.status) not in {fold_status(s) for s in closed_statuses}


def _who(index: CustomerIndex, name: str) -> Customer:
    """Tracker names resolve to a monitored customer; an unknown one is kept as written."""
    return index.find(name) or Customer(name=clip(name, SUMMARY_LIMIT) or "?")


def pace_drops(paces: Iterable[Pace], period: Period, thresholds: Thresholds) -> list[WatchItem]:
    return [
        WatchItem(
            customer=p.name,
            display_name=p.display_name,
            kind="pace_drop",
            detail=(
                f"pace {format_pct(p.change_pct)} vs {month_abbr(period.prior_start)} "
                f"({format_amount(p.current or 0)} vs {format_amount(p.baseline or 0)} expected)"
            ),
            evidence={"change_pct": round(p.change_pct, 2)},
        )
        for p in paces
        if p.flag == "declining"
        and p.change_pct is not None
        and p.change_pct <= thresholds.watch_drop_pct
    ]


def stops(paces: Iterable[Pace]) -> list[WatchItem]:
    """Customers whose revenue stopped: a stop or a data gap, worth a look either way."""
    return [
        WatchItem(
            customer=p.name,
            display_name=p.display_name,
            kind="stopped",
            detail=p.status,
            evidence={"last_revenue_day": str(p.coverage.last_revenue_day if p.coverage else None)},
        )
        for p in paces
        if p.flag == "stopped"
    ]


def vanished_lines(paces: Iterable[Pace], period: Period) -> list[WatchItem]:
    return [
        WatchItem(
            customer=p.name,
            display_name=p.display_name,
            kind="vanished_line_item",
            detail=vanished_text(
                d.service, d.prior_total, period.prior_start, period.current_start
            ),
            evidence={"service": d.service, "prior_total": round(d.prior_total, 2)},
        )
        for p in paces
        if p.drivers.any_vanished
        for d in p.drivers
        if d.kind == "vanished"
    ]


def escalation_alerts(
    escalations: Iterable[Escalation],
    as_of: date,
    thresholds: Thresholds,
    index: CustomerIndex,
) -> list[WatchItem]:
    since = as_of - timedelta(days=ESCALATION_WINDOW_DAYS)
    recent: dict[Customer, list[Escalation]] = defaultdict(list)
    for escalation in escalations:
        if since < escalation.date <= as_of:
            recent[_who(index, escalation.customer)].append(escalation)
    items = []
    for customer, found in recent.items():
        if len(found) < thresholds.escalation_count:
            continue
        newest = sorted(found, key=lambda e: e.date, reverse=True)
        summaries = [clip(e.summary, SUMMARY_LIMIT) for e in newest if e.summary.strip()]
        summaries = summaries[:MAX_SUMMARIES]
        detail = f"{len(found)} escalations this week"
        if summaries:
            detail += f" ({', '.join(summaries)})"
        items.append(
            WatchItem(
                customer=customer.name,
                display_name=customer.label,
                kind="escalations",
                detail=detail,
                evidence={"count": len(found), "summaries": summaries},
            )
        )
    return items


def stale_tickets(
    tickets: Iterable[Ticket],
    as_of: date,
    thresholds: Thresholds,
    holidays: Iterable[date],
    index: CustomerIndex,
    closed_statuses: Iterable[str] = DEFAULT_CLOSED_STATUSES,
) -> list[WatchItem]:
    closed_days = set(holidays)
    closed = tuple(closed_statuses)
    items = []
    for ticket in sorted(tickets, key=lambda t: t.ticket_id):
        if not is_open(ticket, closed):
            continue
        last_touch = ticket.updated_date or ticket.created_date
        idle = business_days_between(last_touch, as_of, closed_days)
        if idle < thresholds.stale_ticket_business_days:
            continue
        customer = _who(index, ticket.customer)
        ticket_id = clip(ticket.ticket_id, SUMMARY_LIMIT)
        items.append(
            WatchItem(
                customer=customer.name,
                display_name=customer.label,
                kind="stale_ticket",
                detail=f"{ticket_id} stale ({idle} business days)",
                evidence={
                    "ticket_id": ticket_id,
                    "business_days": idle,
                    "last_update": last_touch.isoformat(),
                },
            )
        )
    return items


def watch_list(
    paces: Sequence[Pace],
    period: Period,
    thresholds: Thresholds,
    escalations: Iterable[Escalation],
    tickets: Iterable[Ticket],
    holidays: Iterable[date],
    index: CustomerIndex,
    closed_statuses: Iterable[str] = DEFAULT_CLOSED_STATUSES,
) -> tuple[WatchItem, ...]:
    return (
        *pace_drops(paces, period, thresholds),
        *stops(paces),
        *vanished_lines(paces, period),
        *escalation_alerts(escalations, period.as_of, thresholds, index),
        *stale_tickets(tickets, period.as_of, thresholds, holidays, index, closed_statuses),
    )

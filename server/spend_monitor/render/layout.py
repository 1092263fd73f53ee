"""The digest's familiar layout, written once for every destination.

A `Style` says how a destination escapes untrusted text (customer names, service names, tracker
text) and marks emphasis; `layout` never puts raw data into a line without `style.escape`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from ..domain.formatting import (
    format_amount,
    format_delta,
    format_pct,
    month_abbr,
    month_name,
    short_date,
    vanished_text,
)
from ..domain.models import Digest, Driver, Pace, WatchItem
from ..domain.ownership import Mover, OwnerCounts, Rollup
from ..domain.periods import days_in_month
from ..domain.shown import Shown, shown
from ..domain.sparkline import sparkline

FOOTER = "Want to dig deeper into any of these? Just ask."
SOURCE_NOTES = {"a2a": "via billing agent"}
SPARK_FLAGS = ("growing", "declining", "new", "returning")


class Style(Protocol):
    def escape(self, text: str) -> str: ...

    def bold(self, text: str) -> str: ...


@dataclass
class Section:
    heading: str | None
    lines: list[str] = field(default_factory=list)


def emoji(pace: Pace) -> str:
    if pace.flag == "growing":
        return "🚀" if pace.big_mover else "✅"
    if pace.flag == "declining":
        return "🚨" if pace.big_mover else "🔻"
    return {
        "normal": "➖",
        "new": "✨",
        "returning": "↩️",
        "stopped": "⛔",
        "inactive": "💤",
        "unavailable": "❓",
    }[pace.flag]


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def novelty(novelty: str | None, streak: int) -> str:
    """What is new since the last posted digest, in a few characters."""
    if novelty == "new":
        return " 🆕"
    if novelty == "ongoing":
        return f" ({ordinal(streak)} digest in a row)"
    if novelty == "reopened":
        return " (re-opened)"
    return ""


def customer_line(pace: Pace, style: Style) -> str:
    name = style.escape(pace.display_name)
    if pace.flag == "unavailable":
        return f"{emoji(pace)} {name}: data unavailable — {style.escape(pace.error or 'unknown')}"
    if pace.flag == "stopped":
        return f"{emoji(pace)} {name}: {pace.status}{novelty(pace.novelty, pace.streak)}"
    amount = format_amount(pace.current or 0)
    figures = amount if pace.change_pct is None else f"{amount} ({format_pct(pace.change_pct)})"
    line = f"{emoji(pace)} {name}: {figures} — {pace.status}"
    if pace.source in SOURCE_NOTES:
        line += f" ({SOURCE_NOTES[pace.source]})"
    if pace.big_mover and pace.projected_total is not None:
        line += f" → on track for {format_amount(pace.projected_total)}"
    line += novelty(pace.novelty, pace.streak)
    if pace.flag in SPARK_FLAGS and pace.recent:
        line += f" {sparkline(pace.recent)}"
    return line


def _subtitle(digest: Digest) -> str:
    through = short_date(digest.data_through)
    prior = month_name(digest.prior_start)
    if digest.days_elapsed == days_in_month(digest.data_through):
        return f"Data through {through} · full {month_name(digest.data_through)} vs {prior}"
    return f"Data through {through} · pace vs {prior}"


def _pace_lines(digest: Digest, view: Shown, style: Style) -> list[str]:
    lines = [customer_line(p, style) for p in (*view.alerts, *view.normal)]
    if view.collapsed:
        t = digest.thresholds
        usual = " or within their usual range" if view.collapsed_held_back else ""
        lines.append(
            f"➖ {view.collapsed} others tracking normally{usual} "
            f"(between {format_pct(t.decline_pct)} and {format_pct(t.growth_pct)})"
        )
    if view.inactive:
        names = ", ".join(style.escape(p.display_name) for p in view.inactive)
        lines.append(f"💤 No spend either month: {names}")
    if digest.recovered:
        names = ", ".join(style.escape(name) for name in digest.recovered)
        lines.append(f"🟢 Recovered since the last digest: {names}")
    return lines


def _driver_line(pace: Pace, driver: Driver, digest: Digest, style: Style) -> str:
    service = style.escape(driver.service)
    if driver.kind == "vanished":
        text = vanished_text(service, driver.prior_total, digest.prior_start, digest.data_through)
    elif driver.kind == "new":
        text = f"{service} {format_amount(driver.current)} so far (new)"
    else:
        pace_of = f"{month_abbr(digest.prior_start)}'s pace"
        text = f"{service} {format_delta(driver.delta)} vs {pace_of} ({driver.kind})"
    return f"• {style.escape(pace.display_name)}: {text}"


def _driver_section(digest: Digest, view: Shown, style: Style) -> Section:
    big = format_pct(digest.thresholds.big_mover_pct).lstrip("+")
    section = Section("📈 WHAT'S DRIVING THE CHANGES")
    if view.growth_drivers:
        section.lines += [
            style.bold(f"High Growth (>{big}):"),
            *(_driver_line(p, d, digest, style) for p, d in view.growth_drivers),
        ]
    if view.watch_drivers:
        section.lines += [
            style.bold("Watch List:"),
            *(_driver_line(p, d, digest, style) for p, d in view.watch_drivers),
        ]
    return section


def _watch_line(item: WatchItem, style: Style) -> str:
    text = f"• {style.escape(item.display_name)}: {style.escape(item.detail)}"
    return text + novelty(item.novelty, item.streak)


def title(day: date, updated: bool, who: str | None = None) -> str:
    """The first line: whose digest (an owner's, the team's; none for the one-person book)."""
    whose = f"{' '.join(who.split())} — " if who else ""
    return f"📊 Customer Spend Monitor — {whose}{short_date(day)}{' (updated)' if updated else ''}"


def layout(digest: Digest, style: Style) -> list[Section]:
    """The digest as sections; the first holds the title lines, empty sections are dropped."""
    view = shown(digest)
    owner = style.escape(digest.owner) if digest.owner else None
    title_section = Section(
        None,
        [
            style.bold(title(digest.as_of, digest.updated, owner)),
            _subtitle(digest),
            *digest.notices,
        ],
    )
    footer = [FOOTER]
    if digest.snoozed:
        footer.insert(
            0, f"🔕 {digest.snoozed} snoozed alert{'s' if digest.snoozed > 1 else ''} not shown"
        )
    sections = [
        title_section,
        Section(None, _pace_lines(digest, view, style)),
        _driver_section(digest, view, style),
        Section("⚠️ CUSTOMERS TO WATCH", [_watch_line(i, style) for i in view.watch_items]),
        Section("❗ DATA PROBLEMS", [f"• {style.escape(e)}" for e in digest.errors]),
        Section(None, footer),
    ]
    return [s for s in sections if s.lines]


def _owner_line(counts: OwnerCounts, style: Style) -> str:
    snoozed = f", {counts.snoozed} snoozed" if counts.snoozed else ""
    return (
        f"• {style.escape(counts.name)}: {counts.customers} customers, "
        f"{counts.flags} flagged, {counts.watch} to watch{snoozed} — "
        f"{format_amount(counts.current)} vs {format_amount(counts.baseline)}"
    )


def _mover_line(mover: Mover, style: Style) -> str:
    pct = "" if mover.change_pct is None else f" ({format_pct(mover.change_pct)})"
    owner = style.escape(mover.owner) if mover.owner else "unowned"
    return f"• {style.escape(mover.customer)}: {format_delta(mover.delta)}{pct} — {owner}"


def rollup_layout(rollup: Rollup, style: Style) -> list[Section]:
    """The manager's roll-up: the book, its biggest moves with their owners, each owner's
    load, and whose digest did not arrive."""
    pct = "" if rollup.change_pct is None else f" ({format_pct(rollup.change_pct)})"
    book = (
        f"Whole book: {format_amount(rollup.current)} vs {format_amount(rollup.baseline)} "
        f"baseline{pct} · on track for {format_amount(rollup.projected)} this month"
    )
    counts = [*rollup.owners, *([rollup.unowned] if rollup.unowned else [])]
    failed = [f"• {style.escape(name)}" for name in rollup.failed]
    sections = [
        Section(
            None,
            [
                style.bold(title(rollup.as_of, rollup.updated, "Team")),
                f"Data through {short_date(rollup.data_through)}",
            ],
        ),
        Section(None, [book]),
        Section("📈 TOP MOVERS", [_mover_line(m, style) for m in rollup.movers]),
        Section("👥 BY OWNER", [_owner_line(c, style) for c in counts]),
        Section("❗ DIGESTS NOT DELIVERED", failed),
    ]
    return [s for s in sections if s.lines]

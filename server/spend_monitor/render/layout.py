"""The digest's familiar layout, written once for every destination.

A `Style` says how a destination escapes untrusted text (customer names, service names, tracker
text) and marks emphasis; `layout` never puts raw data into a line without `style.escape`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..domain.formatting import (
    format_amount,
    format_delta,
    format_pct,
    month_name,
    short_date,
    vanished_text,
)
from ..domain.models import Digest, Driver, Pace, WatchItem
from ..domain.periods import days_in_month
from ..domain.sparkline import sparkline

MAX_NORMAL_LINES = 12
DRIVERS_PER_CUSTOMER = 2
FOOTER = "Want to dig deeper into any of these? Just ask."
SOURCE_NOTES = {"a2a": "via billing agent"}
SPARK_FLAGS = ("growing", "declining", "new")


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
    return {"normal": "➖", "new": "✨", "inactive": "💤", "unavailable": "❓"}[pace.flag]


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
    lag = (digest.as_of - digest.data_through).days - 1
    if lag > 0:
        through += f" ({lag} day{'s' if lag > 1 else ''} behind)"
    prior = month_name(digest.prior_start)
    if digest.days_elapsed == days_in_month(digest.data_through):
        return f"Data through {through} · full {month_name(digest.data_through)} vs {prior}"
    return f"Data through {through} · pace vs {prior}"


def _pace_lines(digest: Digest, style: Style) -> list[str]:
    listed = [p for p in digest.customers if p.flag not in ("normal", "inactive") and not p.snoozed]
    normal = [p for p in digest.customers if p.flag == "normal"]
    inactive = [p for p in digest.customers if p.flag == "inactive"]
    lines = [customer_line(p, style) for p in listed]
    if len(normal) <= MAX_NORMAL_LINES:
        lines += [customer_line(p, style) for p in normal]
    else:
        t = digest.thresholds
        lines.append(
            f"➖ {len(normal)} others tracking normally "
            f"(between {format_pct(t.decline_pct)} and {format_pct(t.growth_pct)})"
        )
    if inactive:
        names = ", ".join(style.escape(p.display_name) for p in inactive)
        lines.append(f"💤 No spend either month: {names}")
    if digest.recovered:
        names = ", ".join(style.escape(name) for name in digest.recovered)
        lines.append(f"🟢 Recovered since the last digest: {names}")
    return lines


def _driver_text(driver: Driver, digest: Digest, style: Style) -> str:
    service = style.escape(driver.service)
    if driver.kind == "vanished":
        return vanished_text(service, driver.prior_total, digest.prior_start, digest.data_through)
    return f"{service} {format_delta(driver.delta)} ({driver.kind})"


def _driver_section(digest: Digest, style: Style) -> Section:
    growth: list[str] = []
    watch: list[str] = []
    hidden = {(w.customer, w.kind) for w in digest.watch_list if w.snoozed}
    for pace in digest.customers:
        rising = pace.big_mover and pace.flag == "growing" and not pace.snoozed
        falling = pace.big_mover and pace.flag == "declining" and not pace.snoozed
        for driver in pace.drivers:
            top = pace.drivers.index(driver) < DRIVERS_PER_CUSTOMER
            line = f"• {style.escape(pace.display_name)}: {_driver_text(driver, digest, style)}"
            moved = driver.kind != "steady"
            vanished = driver.kind == "vanished" and (pace.name, "vanished_line_item") not in hidden
            if rising and top and moved and driver.delta > 0:
                growth.append(line)
            elif vanished or (falling and top and moved and driver.delta < 0):
                watch.append(line)
    big = format_pct(digest.thresholds.big_mover_pct).lstrip("+")
    section = Section("📈 WHAT'S DRIVING THE CHANGES")
    if growth:
        section.lines += [style.bold(f"High Growth (>{big}):"), *growth]
    if watch:
        section.lines += [style.bold("Watch List:"), *watch]
    return section


def _watch_line(item: WatchItem, style: Style) -> str:
    text = f"• {style.escape(item.display_name)}: {style.escape(item.detail)}"
    return text + novelty(item.novelty, item.streak)


def _watch_section(digest: Digest, style: Style) -> Section:
    """Items the lines above do not already tell: big movers and vanished lines are shown."""
    big_movers = {p.name for p in digest.customers if p.big_mover}
    items = [
        item
        for item in digest.watch_list
        if (not item.snoozed and item.kind in ("escalations", "stale_ticket"))
        or (item.kind == "pace_drop" and item.customer not in big_movers)
    ]
    return Section("⚠️ CUSTOMERS TO WATCH", [_watch_line(i, style) for i in items])


def layout(digest: Digest, style: Style) -> list[Section]:
    """The digest as sections; the first holds the title lines, empty sections are dropped."""
    updated = " (updated)" if digest.updated else ""
    title = Section(
        None,
        [
            style.bold(f"📊 Customer Spend Monitor — {short_date(digest.as_of)}{updated}"),
            _subtitle(digest),
        ],
    )
    footer = [FOOTER]
    if digest.snoozed:
        footer.insert(
            0, f"🔕 {digest.snoozed} snoozed alert{'s' if digest.snoozed > 1 else ''} not shown"
        )
    sections = [
        title,
        Section(None, _pace_lines(digest, style)),
        _driver_section(digest, style),
        _watch_section(digest, style),
        Section("❗ DATA PROBLEMS", [f"• {style.escape(e)}" for e in digest.errors]),
        Section(None, footer),
    ]
    return [s for s in sections if s.lines]

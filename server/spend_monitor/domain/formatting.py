"""How numbers look to a person reading the digest on a phone."""

from __future__ import annotations

import functools
from datetime import date


def format_amount(amount: float) -> str:
    """$850, $3.7K, $425K, $1.2M — rounding never produces "$1000K" or "$10.0K"."""
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if round(value) < 1_000:
        return f"{sign}${round(value):,}"
    if round(value / 1_000, 1) < 10:
        return f"{sign}${value / 1_000:.1f}K"
    if round(value / 1_000) < 1_000:
        return f"{sign}${round(value / 1_000)}K"
    return f"{sign}${value / 1_000_000:,.1f}M"


def format_delta(amount: float) -> str:
    """A dollar change with its sign always shown: +$12K, -$3.7K."""
    text = format_amount(amount)
    return text if text.startswith("-") else f"+{text}"


def format_pct(pct: float) -> str:
    """Whole percent with the sign always shown; a change that rounds to zero is ±0%."""
    whole = round(pct)
    if whole == 0:
        return "±0%"
    return f"{whole:+d}%"


def short_date(day: date) -> str:
    """Feb 15 — no leading zero, no year (the digest is about this month)."""
    return f"{day:%b} {day.day}"


def month_name(day: date) -> str:
    return f"{day:%B}"


@functools.cache
def month_abbr(day: date) -> str:
    return f"{day:%b}"


def clip(text: str, limit: int) -> str:
    """One line of untrusted text, whitespace folded, cut at `limit` characters with an ellipsis."""
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def vanished_text(service: str, prior_total: float, prior_month: date, this_month: date) -> str:
    """How a vanished service line reads, in the watch list and under the drivers alike."""
    months = f"{month_abbr(prior_month)}→{month_abbr(this_month)}"
    return f'"{service}" line item vanished {months} ({format_amount(prior_total)}/mo)'

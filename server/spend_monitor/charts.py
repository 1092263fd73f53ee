"""PNG charts for the digest: one per big mover, and one glance at the whole book.

Readable at phone size (large type, few lines), dollar-formatted axes, and the two months told
apart by line style and marker as well as colour. matplotlib is imported only when a chart is
drawn, so nothing else pays for it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .channels.base import Chart
from .domain.formatting import format_amount, format_pct
from .domain.models import Digest, Pace
from .domain.periods import Period
from .errors import ChartError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SUMMARY_MAX_BARS = 25
THIS_MONTH = {"color": "#1f4e99", "linestyle": "-", "marker": "o", "linewidth": 2.2}
LAST_MONTH = {"color": "#8c8c8c", "linestyle": "--", "marker": "s", "linewidth": 1.6}


def _figure(width: float, height: float) -> Figure:
    import matplotlib

    # Type sized for a phone screen.
    matplotlib.rcParams["font.size"] = 11
    matplotlib.rcParams["axes.titlesize"] = 12
    matplotlib.rcParams["legend.fontsize"] = 9
    matplotlib.rcParams["text.parse_math"] = False  # "$3.2K vs $43K" is money, not TeX
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=150, layout="constrained")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _dollars(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_amount(value)))
    axis.grid(axis="y", alpha=0.3)


def _month(daily: Mapping[date, float], start: date, days: int) -> list[float]:
    return [daily.get(start + timedelta(days=i), 0.0) for i in range(days)]


def _cumulative(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


def mover_chart(pace: Pace, daily: Mapping[date, float], period: Period) -> Chart:
    d = period.days_elapsed
    this = _month(daily, period.current_start, d)
    last = _month(daily, period.prior_start, period.days_in_prior)
    this_label = f"{period.current_start:%b %Y} (this month)"
    last_label = f"{period.prior_start:%b %Y}"
    figure = _figure(6.4, 6.6)
    top, bottom = figure.subplots(2, 1, sharex=True)
    top.plot(range(1, d + 1), this, label=this_label, markersize=4, **THIS_MONTH)
    top.plot(range(1, len(last) + 1), last, label=last_label, markersize=3, **LAST_MONTH)
    top.set_title(f"{pace.display_name}: {pace.status}")
    top.set_ylabel("Revenue per day")
    top.legend(loc="best")
    _dollars(top)

    # The baseline path: last month's own days for same_days, an even pace otherwise, scaled
    # so it ends exactly at the pace's baseline (the rule itself lives in domain/pacing.py).
    shape = _cumulative(last)[:d] if pace.method == "same_days" and d <= len(last) else []
    if not shape or shape[-1] <= 0:
        shape = [float(day) for day in range(1, d + 1)]
    expected = [(pace.baseline or 0) * step / shape[-1] for step in shape]
    bottom.plot(
        range(1, d + 1),
        _cumulative(this),
        label=f"{this_label}, to date",
        markersize=4,
        **THIS_MONTH,
    )
    bottom.plot(
        range(1, d + 1),
        expected,
        label=f"baseline from {last_label} ({pace.method})",
        markersize=3,
        **LAST_MONTH,
    )
    bottom.set_title(
        f"To date: {format_amount(pace.current or 0)} vs {format_amount(pace.baseline or 0)} "
        f"expected ({format_pct(pace.change_pct or 0)})"
    )
    bottom.set_xlabel("Day of month")
    bottom.set_ylabel("Revenue to date")
    bottom.legend(loc="lower right")
    _dollars(bottom)
    return Chart(
        filename=f"pace-{_slug(pace.name)}.png",
        title=f"{pace.display_name}: daily revenue, {this_label} vs {last_label}",
        alt_text=(
            f"{pace.display_name} has {format_amount(pace.current or 0)} this month through day "
            f"{d}, against {format_amount(pace.baseline or 0)} expected from {last_label} "
            f"({format_pct(pace.change_pct or 0)})."
        ),
        png=_png(figure),
    )


def summary_chart(digest: Digest) -> Chart | None:
    """Change % by customer, largest moves, flagged ones coloured and hatched."""
    ranked = [p for p in digest.customers if p.change_pct is not None]
    if not ranked:
        return None
    ranked.sort(key=lambda p: abs(p.change_pct or 0), reverse=True)
    shown = sorted(ranked[:SUMMARY_MAX_BARS], key=lambda p: p.change_pct or 0)
    figure = _figure(6.4, max(3.0, 0.32 * len(shown) + 1.4))
    axis = figure.subplots()
    colours = {"growing": "#2e7d32", "declining": "#c62828"}
    hatches = {"growing": "//", "declining": "xx"}
    bars = axis.barh(
        [p.display_name for p in shown],
        [p.change_pct or 0 for p in shown],
        color=[colours.get(p.flag, "#b0b0b0") for p in shown],
        hatch=[hatches.get(p.flag, "") for p in shown],
        edgecolor="black",
        linewidth=0.5,
    )
    axis.bar_label(bars, labels=[format_pct(p.change_pct or 0) for p in shown], padding=3)
    t = digest.thresholds
    for line in (t.growth_pct, t.decline_pct):
        axis.axvline(line, color="black", linestyle=":", linewidth=1)
    axis.axvline(0, color="black", linewidth=0.8)
    axis.set_xlabel("Change vs baseline (%)")
    left = f" ({len(shown)} largest of {len(ranked)})" if len(ranked) > len(shown) else ""
    axis.set_title(f"Pace vs {digest.prior_start:%B}{left}")
    axis.margins(x=0.18)
    flagged = sum(1 for p in ranked if p.flag in colours)
    return Chart(
        filename="pace-summary.png",
        title=f"Book at a glance: {flagged} flagged of {len(ranked)}",
        alt_text=f"Bar chart of change vs baseline for {len(shown)} customers; "
        f"growing bars hatched //, declining bars hatched xx.",
        png=_png(figure),
    )


# What matplotlib raises when it cannot draw or save (not installed, a cache or font it
# cannot use, a value it cannot place, no memory for the canvas).
_DRAWING_FAILURES = (ImportError, OSError, RuntimeError, ValueError, OverflowError, MemoryError)


def digest_charts(
    digest: Digest, daily: Mapping[str, Mapping[date, float]], period: Period
) -> list[Chart]:
    try:
        charts = [
            mover_chart(p, daily[p.name], period)
            for p in digest.customers
            if p.big_mover and daily.get(p.name)
        ]
        summary = summary_chart(digest)
    except _DRAWING_FAILURES as exc:
        raise ChartError(f"the charts could not be drawn ({type(exc).__name__}: {exc})") from exc
    return ([summary] if summary else []) + charts


def _slug(name: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    return slug or "customer"

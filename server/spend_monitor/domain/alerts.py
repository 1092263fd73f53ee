"""Alerts that know what is new: markers against earlier posted digests, and snoozes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from .models import Digest, Flag, Pace, PastDigest, Snooze, WatchItem

ALERT_FLAGS: tuple[Flag, ...] = ("growing", "declining", "stopped")


def _streak(history: Sequence[PastDigest], present: Callable[[PastDigest], bool]) -> int:
    """1 + the number of consecutive earlier digests (newest first) that had the alert."""
    count = 1
    for past in history:
        if not present(past):
            break
        count += 1
    return count


def mark_news(digest: Digest, history: Sequence[PastDigest]) -> Digest:
    """Mark each alert new or ongoing against earlier posted digests; list recoveries once.
    With no posted digest yet, nothing is marked (everything would be "new")."""
    if not history:
        return digest

    def pace_mark(pace: Pace) -> Pace:
        if pace.flag not in ALERT_FLAGS:
            return pace
        streak = _streak(history, lambda past: past.flags.get(pace.name) == pace.flag)
        return pace.model_copy(
            update={"novelty": "new" if streak == 1 else "ongoing", "streak": streak}
        )

    def watch_mark(item: WatchItem) -> WatchItem:
        key = (item.customer, item.kind)
        streak = _streak(history, lambda past: key in past.watch)
        return item.model_copy(
            update={"novelty": "new" if streak == 1 else "ongoing", "streak": streak}
        )

    last = history[0]
    recovered = tuple(
        p.display_name
        for p in digest.customers
        if p.flag == "normal" and last.flags.get(p.name) in ALERT_FLAGS
    )
    return digest.model_copy(
        update={
            "customers": tuple(pace_mark(p) for p in digest.customers),
            "watch_list": tuple(watch_mark(w) for w in digest.watch_list),
            "recovered": recovered,
        }
    )


Marked = TypeVar("Marked", Pace, WatchItem)


def _marked(alert: Marked, hide: bool, reopened: bool) -> Marked:
    """The alert hidden or re-opened; itself when a snooze does neither (a book has thousands
    of alerts, and most days no snooze touches them: no copy)."""
    if not (hide or reopened):
        return alert
    return alert.model_copy(
        update={"snoozed": hide, **({"novelty": "reopened"} if reopened else {})}
    )


def apply_snoozes(digest: Digest, snoozes: Sequence[Snooze]) -> Digest:
    """Hide acknowledged alerts until they expire (the store only passes live ones) or get
    worse by `reopen_pct` more points, when they come back marked re-opened."""
    reopen = digest.thresholds.reopen_pct
    change = {p.name: p.change_pct for p in digest.customers}
    hidden = 0

    def covers(snooze: Snooze, customer: str, kind: str) -> bool:
        return snooze.customer == customer and snooze.kind in (None, kind)

    def worse(snooze: Snooze, customer: str) -> bool:
        now, then = change.get(customer), snooze.change_pct
        return now is not None and then is not None and now <= then - reopen

    def decide(customer: str, kind: str) -> tuple[bool, bool]:
        """(hide, reopened) for one alert."""
        relevant = [s for s in snoozes if covers(s, customer, kind)]
        if not relevant:
            return False, False
        if any(worse(s, customer) for s in relevant):
            return False, True
        return True, False

    paces = []
    for pace in digest.customers:
        if pace.flag not in ALERT_FLAGS:
            paces.append(pace)
            continue
        hide, reopened = decide(pace.name, "pace")
        hidden += hide
        paces.append(_marked(pace, hide, reopened))
    items = []
    for item in digest.watch_list:
        hide, reopened = decide(item.customer, item.kind)
        hidden += hide
        items.append(_marked(item, hide, reopened))
    return digest.model_copy(
        update={"customers": tuple(paces), "watch_list": tuple(items), "snoozed": hidden}
    )

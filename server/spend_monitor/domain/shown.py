"""What a digest shows: which customers get a line, which are collapsed, which service lines
and watch items appear. Decided once here, so every renderer shows the same things and only
formats them; a snoozed alert is hidden everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Digest, Driver, Pace, WatchItem

# More normal customers than this collapse into one "N others tracking normally" line.
MAX_NORMAL_LINES = 12
DRIVERS_PER_CUSTOMER = 2
QUIET_FLAGS = ("normal", "inactive")


@dataclass(frozen=True)
class Shown:
    """The digest's content, in the order it is shown."""

    alerts: tuple[Pace, ...]
    normal: tuple[Pace, ...]
    collapsed: int
    # Some collapsed customers are outside the thresholds but held back (noise, min_baseline).
    collapsed_held_back: bool
    inactive: tuple[Pace, ...]
    growth_drivers: tuple[tuple[Pace, Driver], ...]
    watch_drivers: tuple[tuple[Pace, Driver], ...]
    watch_items: tuple[WatchItem, ...]


def _drivers(digest: Digest) -> tuple[list[tuple[Pace, Driver]], list[tuple[Pace, Driver]]]:
    """Big movers' top service lines in their direction, and every vanished line not snoozed."""
    growth: list[tuple[Pace, Driver]] = []
    watch: list[tuple[Pace, Driver]] = []
    hidden = {(w.customer, w.kind) for w in digest.watch_list if w.snoozed}
    for pace in digest.customers:
        rising = pace.big_mover and pace.flag == "growing" and not pace.snoozed
        falling = pace.big_mover and pace.flag == "declining" and not pace.snoozed
        if not (rising or falling or pace.drivers.any_vanished):
            continue
        for rank, driver in enumerate(pace.drivers):
            top = rank < DRIVERS_PER_CUSTOMER
            moved = driver.kind != "steady"
            vanished = driver.kind == "vanished" and (pace.name, "vanished_line_item") not in hidden
            if rising and top and moved and driver.delta > 0:
                growth.append((pace, driver))
            elif vanished or (falling and top and moved and driver.delta < 0):
                watch.append((pace, driver))
    return growth, watch


def _watch_items(digest: Digest) -> tuple[WatchItem, ...]:
    """Items the lines above do not already tell: a big mover's pace drop and its vanished
    lines are shown there already."""
    big_movers = {p.name for p in digest.customers if p.big_mover}
    return tuple(
        item
        for item in digest.watch_list
        if not item.snoozed
        and (
            # A stop is told by its own line above.
            item.kind in ("escalations", "stale_ticket")
            or (item.kind == "pace_drop" and item.customer not in big_movers)
        )
    )


def shown(digest: Digest) -> Shown:
    alerts = tuple(p for p in digest.customers if p.flag not in QUIET_FLAGS and not p.snoozed)
    normal = tuple(p for p in digest.customers if p.flag == "normal")
    collapse = len(normal) > MAX_NORMAL_LINES
    growth, watch = _drivers(digest)
    return Shown(
        alerts=alerts,
        normal=() if collapse else normal,
        collapsed=len(normal) if collapse else 0,
        collapsed_held_back=collapse and any(p.held_back for p in normal),
        inactive=tuple(p for p in digest.customers if p.flag == "inactive"),
        growth_drivers=tuple(growth),
        watch_drivers=tuple(watch),
        watch_items=_watch_items(digest),
    )

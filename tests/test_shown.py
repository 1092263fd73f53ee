"""What a digest shows is decided in the domain: every renderer hides the same snoozed alerts."""

from datetime import date

from spend_monitor.domain.models import Digest, Pace, Thresholds, WatchItem
from spend_monitor.domain.shown import MAX_NORMAL_LINES, shown
from spend_monitor.render import render_markdown, render_text


def pace(name: str, flag: str = "normal", pct: float = 0.0, **extra: object) -> Pace:
    return Pace.model_validate(
        {
            "name": name,
            "display_name": name,
            "flag": flag,
            "status": "x",
            "current": 100.0,
            "prior_total": 200.0,
            "baseline": 100.0 / (1 + pct / 100),
            "change_pct": pct,
            "method": "prorated",
            "source": "local",
            "days_elapsed": 14,
            **extra,
        }
    )


def digest(customers: list[Pace], watch: list[WatchItem]) -> Digest:
    return Digest(
        as_of=date(2026, 2, 15),
        data_through=date(2026, 2, 14),
        prior_start=date(2026, 1, 1),
        days_elapsed=14,
        current_month="2026-02",
        prior_month="2026-01",
        method="prorated",
        thresholds=Thresholds(),
        customers=tuple(customers),
        watch_list=tuple(watch),
    )


def test_a_snoozed_pace_drop_is_hidden_from_the_watch_section():
    drop = WatchItem(
        customer="Sliding", display_name="Sliding", kind="pace_drop", detail="pace -31%"
    )
    book = digest(
        [pace("Sliding", "declining", -31, snoozed=True)],
        [drop.model_copy(update={"snoozed": True})],
    )
    assert shown(book).watch_items == ()
    assert shown(book).alerts == ()
    for text in (render_text(book), render_markdown(book)):
        assert "Sliding" not in text
    unsnoozed = digest([pace("Sliding", "declining", -31)], [drop])
    assert shown(unsnoozed).watch_items == (drop,)


def test_normals_collapse_past_the_limit_and_inactive_are_listed_apart():
    many = [pace(f"n{i:02}") for i in range(MAX_NORMAL_LINES + 1)]
    view = shown(digest([*many, pace("idle", "inactive")], []))
    assert (view.normal, view.collapsed) == ((), MAX_NORMAL_LINES + 1)
    assert [p.name for p in view.inactive] == ["idle"]
    few = shown(digest(many[:MAX_NORMAL_LINES], []))
    assert (len(few.normal), few.collapsed) == (MAX_NORMAL_LINES, 0)

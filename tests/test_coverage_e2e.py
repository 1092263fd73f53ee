"""Ordinary data problems, end to end through the CLI: through a local CSV and through the
Tableau emulator cutting its answers. No customer whose data has a gap is ever flagged
declining, growing or new, or given a percentage cliff."""

import json
from datetime import date, timedelta

import pytest

from cli_helpers import invoke
from fakes.tableau import revenue_views
from spend_monitor.net import ATTEMPTS

AS_OF = "2026-11-29"  # data through Nov 28, compared with October
GAP_FLAGS = {"declining", "growing", "new"}
HEALTHY = {"Acme": 5_000.0, "Globex": 3_000.0, "Hooli": 2_000.0, "Initech": 4_000.0}


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def steady(name: str, level: float, start: date, end: date) -> list[tuple[date, str, str, float]]:
    """Revenue every day, busier on weekdays."""
    return [(d, name, "SMS", level * (1.2 if d.weekday() < 5 else 0.5)) for d in days(start, end)]


def healthy_book(start: date = date(2026, 7, 1), end: date = date(2026, 11, 28)):
    return [row for name, level in HEALTHY.items() for row in steady(name, level, start, end)]


def local_digest(capsys, tmp_path, rows, fmt="json"):
    path = tmp_path / "revenue.csv"
    lines = ["date,customer,service,amount"]
    lines += [f"{d.isoformat()},{c},{s},{a:.2f}" for d, c, s, a in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"local": {"path": str(path)}}))
    args = ("digest", "--dry-run", "--config", str(config), "--as-of", AS_OF, "--format", fmt)
    return invoke(capsys, *args)


def by_name(result):
    return {p["name"]: p for p in json.loads(result.out)["customers"]}


def no_move_shown_for(pace) -> None:
    assert pace["flag"] not in GAP_FLAGS, pace
    assert pace["change_pct"] is None or pace["flag"] in ("normal", "returning"), pace


def test_rows_that_stop_on_the_14th_are_a_stop_not_a_cliff(capsys, tmp_path):
    rows = healthy_book() + steady("Kestrel Voice", 3_100.0, date(2026, 7, 1), date(2026, 11, 14))
    result = local_digest(capsys, tmp_path, rows)
    assert result.code == 0, result.err
    kestrel = by_name(result)["Kestrel Voice"]
    no_move_shown_for(kestrel)
    assert kestrel["flag"] == "stopped"
    assert kestrel["coverage"]["last_revenue_day"] == "2026-11-14"
    assert ["Kestrel Voice", "stopped"] in [
        [w["customer"], w["kind"]] for w in json.loads(result.out)["watch_list"]
    ]
    text = local_digest(capsys, tmp_path, rows, fmt="text").out
    line = next(line for line in text.splitlines() if "Kestrel" in line)
    assert line.startswith("⛔ Kestrel Voice: no revenue since Nov 14 (was $")
    assert line.endswith("/day) — a stop or a data gap: check the source")


def test_prior_month_rows_missing_is_returning_not_new(capsys, tmp_path):
    rows = healthy_book()
    rows += steady("Wayne", 1_000.0, date(2026, 7, 1), date(2026, 9, 30))
    rows += steady("Wayne", 1_000.0, date(2026, 11, 1), date(2026, 11, 28))
    rows += steady("Fresh", 1_000.0, date(2026, 11, 1), date(2026, 11, 28))
    result = local_digest(capsys, tmp_path, rows)
    paces = by_name(result)
    assert paces["Wayne"]["flag"] == "returning"
    assert paces["Fresh"]["flag"] == "new"  # nothing in the 90 days before November
    text = local_digest(capsys, tmp_path, rows, fmt="text").out
    assert "Wayne: $" in text
    assert "back after no revenue in Oct" in text


def test_rows_missing_for_the_second_half_of_the_prior_month_are_no_surge(capsys, tmp_path):
    rows = healthy_book()
    rows += steady("Soylent", 2_000.0, date(2026, 9, 1), date(2026, 10, 14))
    rows += steady("Soylent", 2_000.0, date(2026, 11, 1), date(2026, 11, 28))
    paces = by_name(local_digest(capsys, tmp_path, rows))
    soylent = paces["Soylent"]
    no_move_shown_for(soylent)
    assert soylent["flag"] == "normal"
    assert abs(soylent["change_pct"]) < 10
    assert soylent["coverage"]["prior_through"] == "2026-10-14"
    assert "compared over the 14 days covered" in soylent["note"]
    assert soylent["coverage"]["excluded"] == [
        "Oct 15–Oct 31: no rows after revenue on most days: Oct has rows only through Oct 14: "
        "compared over the 14 days covered"
    ]


def test_a_source_that_begins_this_month_fails_the_run_in_one_line(capsys, tmp_path):
    rows = healthy_book(start=date(2026, 11, 1))
    result = local_digest(capsys, tmp_path, rows)
    assert result.code == 4
    assert result.out == ""  # no digest of "new" customers
    assert result.err == (
        "error: the source has no data before Nov 1: nothing to compare with — point the "
        "source at data that includes the prior month, or pass --as-of\n"
    )


def test_a_csv_cut_inside_its_last_day_paces_through_the_day_before(capsys, tmp_path):
    rows = [r for r in healthy_book() if r[0] < date(2026, 11, 28)]
    rows += [r for r in healthy_book(date(2026, 11, 28)) if r[1] == "Acme"][:1]
    rows = [(d, c, s, a * (0.3 if d == date(2026, 11, 28) else 1)) for d, c, s, a in rows]
    result = local_digest(capsys, tmp_path, rows)
    # Paced through the last whole day and said so under the title: nothing shown is missing.
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["data_through"] == "2026-11-27"
    assert data["errors"] == []
    (notice,) = data["notices"]
    assert notice.startswith("Nov 28 looks incomplete (book total ")
    assert notice.endswith(": pacing through Nov 27")
    text = local_digest(capsys, tmp_path, rows, fmt="text").out
    assert text.splitlines()[2] == notice
    for pace in data["customers"]:
        assert pace["flag"] == "normal", pace
        assert pace["coverage"]["excluded"] == ["Nov 28: the book's total for it looks incomplete"]


def test_data_late_as_a_whole_says_so_in_the_header(capsys, tmp_path):
    rows = healthy_book(end=date(2026, 11, 25))
    text = local_digest(capsys, tmp_path, rows, fmt="text").out
    assert text.splitlines()[2] == "⚠️ data through Nov 25 — 3 days late"
    assert "🔻" not in text
    assert "🚨" not in text


# -- through the Tableau emulator ------------------------------------------------------------


def tableau_digest(capsys, tmp_path, monkeypatch, tableau, customers, fmt="json", batch_size=2):
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "customers": [{"name": c} for c in customers],
                "tableau": {
                    "server": tableau.url,
                    "site": "finance",
                    "pat_name": "spend-monitor",
                    "views": {"daily_revenue": "view-daily"},
                    "batch_size": batch_size,
                    "max_concurrency": 1,
                },
            }
        )
    )
    monkeypatch.setenv("TABLEAU_PAT_SECRET", "pat-secret")
    args = ("digest", "--dry-run", "--config", str(config), "--as-of", AS_OF, "--format", fmt)
    return invoke(capsys, *args)


NAMES = sorted(HEALTHY)


@pytest.mark.parametrize("how", ["line", "short", "bytes"])
def test_a_cut_answer_is_asked_for_once_more(capsys, tmp_path, monkeypatch, tableau, how):
    revenue_views(tableau, healthy_book(start=date(2026, 9, 1)))
    tableau.cut_next(1, how)
    result = tableau_digest(capsys, tmp_path, monkeypatch, tableau, NAMES)
    assert result.code == 0, result.err
    assert {p["flag"] for p in by_name(result).values()} == {"normal"}
    assert tableau.data_requests == 3  # two batches, one asked twice


@pytest.mark.parametrize("how", ["line", "short", "bytes"])
def test_a_batch_cut_twice_is_unavailable_never_a_cliff(
    capsys, tmp_path, monkeypatch, tableau, how
):
    revenue_views(tableau, healthy_book(start=date(2026, 9, 1)))
    # A body short of its Content-Length breaks the connection: the shared network policy
    # retries that too before the source asks once more.
    tableau.cut_next(2 * ATTEMPTS if how == "short" else 2, how)
    result = tableau_digest(capsys, tmp_path, monkeypatch, tableau, NAMES)
    assert result.code == 3
    flags = {name: p["flag"] for name, p in by_name(result).items()}
    assert sorted(flags.values()) == ["normal", "normal", "unavailable", "unavailable"]
    for pace in by_name(result).values():
        if pace["flag"] == "unavailable":
            assert pace["error"].startswith("view daily_revenue: Tableau's answer was cut off")
    assert "Tableau's answer was cut off" in result.err


def test_an_answer_cut_at_a_row_boundary_is_a_stop_not_a_cliff(
    capsys, tmp_path, monkeypatch, tableau
):
    # One customer per request, Kestrel's first: the cut drops the second half of its days,
    # invisibly (the answer looks whole). The book goes on through Nov 28 with Acme.
    rows = steady("Kestrel", 3_000.0, date(2026, 9, 1), date(2026, 11, 28))
    revenue_views(tableau, rows + steady("Acme", 5_000.0, date(2026, 9, 1), date(2026, 11, 28)))
    tableau.cut_next(1, "rows")
    result = tableau_digest(
        capsys, tmp_path, monkeypatch, tableau, ["Kestrel", "Acme"], batch_size=1
    )
    kestrel = by_name(result)["Kestrel"]
    no_move_shown_for(kestrel)
    assert kestrel["flag"] == "stopped"
    assert kestrel["coverage"]["current_days"] == 0


def test_a_view_with_no_rows_at_all_is_a_source_error(capsys, tmp_path, monkeypatch, tableau):
    revenue_views(tableau, [])
    result = tableau_digest(capsys, tmp_path, monkeypatch, tableau, NAMES)
    assert result.code != 0
    assert "answered with no rows at all" in result.err


def test_check_prints_the_sources_coverage_and_who_ends_early(capsys, tmp_path):
    rows = healthy_book() + steady("Kestrel", 3_000.0, date(2026, 9, 1), date(2026, 11, 14))
    rows = [r for r in rows if r[0] != date(2026, 11, 3)]  # a day with no rows at all
    local_digest(capsys, tmp_path, rows)  # writes the file and config
    config = tmp_path / "config.json"
    result = invoke(capsys, "check", "--config", str(config), "--as-of", AS_OF)
    assert result.code == 0, result.err
    lines = [line for line in result.out.splitlines() if line.startswith("coverage: ")]
    assert lines == [
        "coverage: data from 2026-07-01 to 2026-11-28",
        "coverage: 1 day(s) without any row: Nov 3",
        "coverage: Kestrel: rows end early, on Nov 14",
    ]


def test_the_configured_partial_day_threshold_reaches_the_source(capsys, tmp_path):
    # The last day at 30% of a usual one is kept at the default 25% and left out at a
    # configured 40%: the config's number, not the default, decides.
    rows = [r for r in healthy_book() if r[0] < date(2026, 11, 28)]
    rows += [(d, c, s, a * 0.3) for d, c, s, a in healthy_book(date(2026, 11, 28))]
    kept = json.loads(local_digest(capsys, tmp_path, rows).out)
    assert kept["data_through"] == "2026-11-28"
    config = tmp_path / "config.json"
    settings = json.loads(config.read_text())
    config.write_text(json.dumps({**settings, "thresholds": {"partial_day_pct": 40}}))
    args = ("digest", "--dry-run", "--config", str(config), "--as-of", AS_OF, "--format", "json")
    left_out = json.loads(invoke(capsys, *args).out)
    assert left_out["data_through"] == "2026-11-27"
    assert left_out["notices"][0].startswith("Nov 28 looks incomplete")

"""The Tableau source reads view answers as they stream in (issue 19): a cut answer never
becomes a partial sum, batching and arrival order never change a cent, and the fast
column-by-column reading agrees with a row-by-row reference on any text."""

import csv
import io
import json
import math
import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_helpers import invoke
from fakes.tableau import daily_view, revenue_views, services_view
from spend_monitor.config import TableauColumns
from spend_monitor.errors import SourceError
from spend_monitor.net import ATTEMPTS
from spend_monitor.render import digest_json
from spend_monitor.sources.display_values import parse_amount, parse_day
from spend_monitor.sources.tableau_csv import (
    CsvStream,
    Incomplete,
    ViewRows,
    plain_amounts,
    plain_columns,
)
from test_tableau import digest, monitor_for, rows_for

pytestmark = pytest.mark.anyio

NAMES = ["Acme", "Globex, Inc.", 'Kestrel "K"', "Zoë & Co", "Initech"]


def book(names=NAMES):
    """Daily rows for January and February so far, varied per customer and day."""
    rng = random.Random(19)
    return [
        (date(2026, month, day), name, service, round(rng.uniform(50, 3_000), 2))
        for name in names
        for month, days in ((1, 31), (2, 14))
        for day in range(1, days + 1)
        for service in ("SMS", "Voice")
    ]


async def test_a_whole_view_cut_twice_fails_the_fetch(tableau):
    revenue_views(tableau, book())
    # No customers configured: the view is one unfiltered answer, cut on both asks.
    tableau.cut_next(2, "line")
    with pytest.raises(SourceError, match=r"^view daily_revenue: Tableau's answer was cut off"):
        await digest(monitor_for(tableau.url, views={"daily_revenue": "view-daily"}))


def test_a_whole_view_broken_off_mid_body_is_one_line_from_the_cli(
    capsys, tmp_path, monkeypatch, tableau
):
    revenue_views(tableau, book())
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "tableau": {
                    "server": tableau.url,
                    "site": "finance",
                    "pat_name": "spend-monitor",
                    "views": {"daily_revenue": "view-daily"},
                }
            }
        )
    )
    monkeypatch.setenv("TABLEAU_PAT_SECRET", "pat-secret")
    tableau.cut_next(2 * ATTEMPTS, "short")
    result = invoke(capsys, "digest", "--dry-run", "--config", str(config), "--as-of", "2026-02-15")
    assert result.code != 0
    # The emulator's own log of the connection it broke shares stderr; ours is one line.
    (line,) = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert line.startswith("error: view daily_revenue: Tableau's answer was cut off (")


async def test_an_answer_cut_once_counts_only_its_whole_second_answer(tableau):
    """The first answer's rows arrive before its cut is seen: none of them may be added."""
    revenue_views(tableau, book())
    whole = digest_json(await digest(monitor_for(tableau.url)))
    tableau.cut_next(1, "line")
    again = digest_json(await digest(monitor_for(tableau.url)))
    assert again == whole
    assert tableau.data_requests == 2 + 3  # the clean run's two views, then one asked twice


async def test_many_customers_in_one_request_give_the_same_totals_as_one_each(tableau):
    revenue_views(tableau, book())
    one_each = await digest(monitor_for(tableau.url, NAMES, extra={"batch_size": 1}))
    assert tableau.data_requests == 2 * len(NAMES)
    together = await digest(monitor_for(tableau.url, NAMES, extra={"batch_size": 250}))
    assert tableau.data_requests == 2 * len(NAMES) + 2
    assert digest_json(together) == digest_json(one_each)
    assert "unavailable" not in {p.flag for p in together.customers}


async def test_the_same_rows_in_any_order_give_the_same_digest(tableau):
    """Rows split into parts whose float sum depends on order (0.1 + 0.2 + 0.3), shuffled."""
    names = [f"Customer {i}" for i in range(6)]
    rows = []
    for day, name, service, amount in rows_for(names) + book(names):
        parts = [0.1, 0.2, 0.3, amount] if service == "SMS" else [amount]
        rows += [(name, day, service, part) for part in parts]
    texts = set()
    for seed in range(3):
        random.Random(seed).shuffle(rows)
        daily_view(tableau, [(n, d, a) for n, d, _, a in rows])
        services_view(tableau, [(n, s, d, a) for n, d, s, a in rows])
        views = {"daily_revenue": "view-daily", "service_breakdown": "view-services"}
        result = await digest(monitor_for(tableau.url, names, views=views, extra={"batch_size": 4}))
        texts.add(json.dumps(digest_json(result), sort_keys=True))
    assert len(texts) == 1


# -- the reading itself, against a row-by-row reference ------------------------------------

COLUMNS = TableauColumns()
HEADER = ["Account Name", "Date", "Revenue"]


def reference(rows, as_of):
    """What a view's rows mean, one row at a time with the display-value parsers."""
    amounts, problems, seen = {}, {}, set()
    for n, row in enumerate(rows, start=1):
        who = row[0].strip()
        if not who:
            continue
        seen.add(who)
        day, value = parse_day(row[1]), parse_amount(row[2])
        if day is None or value is None:
            problems.setdefault(who, n)
            continue
        if day < as_of:
            amounts.setdefault((who, day), []).append(value)
    sums = {key: math.fsum(values) for key, values in amounts.items()}
    return sums, problems, seen


def read(body: bytes, cuts: list[int], as_of):
    rows = ViewRows("daily_revenue", COLUMNS, as_of, lambda *_: None)
    stream = CsvStream(rows)
    start = 0
    for end in [*sorted(cuts), len(body)]:
        stream.feed(body[start:end])
        start = end
    stream.close()
    got = rows.got
    sums = {
        (who, day): value
        for who, series in got.daily.items()
        for day, value in series.amounts().items()
    }
    problems = {
        who: int(why.split(" row ")[1].split(":")[0])
        for who, why in got.problems.get("daily_revenue", {}).items()
    }
    return sums, problems, got.seen


CELL = st.text(alphabet='ab ,"\n$-.0123456789ë%()', max_size=9)
NAME = st.sampled_from(["Acme", "Globex, Inc.", " Acme ", 'K "K"', "Zoë", "", "a\nb"])
DAY = st.sampled_from(["2/1/2026", "2026-02-14", "2/15/2026", "2026-03-01", "soon", ""])
AMOUNT = st.one_of(
    st.sampled_from(["$1,234.56", "-$7.00", "0.1", "0.2", "$0.30", "(5.00)", "n/a", "1e3", "$.5"]),
    st.decimals(min_value=-10_000, max_value=10_000, places=2).map(lambda d: f"${d:,}"),
    CELL,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(NAME, DAY, AMOUNT), max_size=40),
    st.lists(st.integers(min_value=0, max_value=2_000), max_size=6),
)
def test_streamed_rows_mean_what_the_reference_says(rows, cuts):
    agrees_with_reference(rows, cuts)


def agrees_with_reference(rows, cuts):
    """The rows as a view's CSV, fed in pieces cut at `cuts` bytes, mean what `reference`
    says they mean."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    body = ("\ufeff" + out.getvalue()).encode()
    as_of = date(2026, 2, 15)
    expected = reference([list(r) for r in rows], as_of)
    assert read(body, [c for c in cuts if c <= len(body)], as_of) == expected


PLAIN_AMOUNT = st.decimals(min_value=-10_000, max_value=10_000, places=2).map(
    lambda d: f"-${-d:,}" if d < 0 else f"${d:,}"
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Acme", "Globex, Inc.", " Zoë "]),
            st.sampled_from(["2/1/2026", "2026-02-14", "2/15/2026", "2026-03-01"]),
            PLAIN_AMOUNT,
        ),
        max_size=40,
    ),
    st.lists(st.integers(min_value=0, max_value=2_000), max_size=6),
)
def test_plain_rows_read_column_by_column_mean_the_same(rows, cuts):
    """Rows the fast path takes (plain amounts, any order, repeated days, some late)."""
    agrees_with_reference(rows, cuts)


def test_a_damaged_line_is_an_incomplete_answer_not_a_crash():
    stream = CsvStream(ViewRows("daily_revenue", COLUMNS, date(2026, 2, 15), lambda *_: None))
    with pytest.raises(Incomplete, match="a line the CSV reader rejects"):
        stream.feed(b"Account Name,Date,Revenue\nAcme,2/1/2026,\r0\n")


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(CELL | st.just("a\rb"), min_size=3, max_size=3), min_size=1, max_size=12))
def test_plain_columns_agree_with_the_csv_module(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    text = out.getvalue()
    columns = plain_columns(text, 3)
    if columns is not None:
        assert [list(c) for c in zip(*csv.reader(io.StringIO(text)), strict=True)] == columns


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(AMOUNT, st.text(max_size=6)), min_size=1, max_size=8))
def test_plain_amounts_agree_with_parse_amount(cells):
    read = plain_amounts(cells)
    if read is not None:
        values = list(read)
        assert values == [parse_amount(c) for c in cells]
        assert all(
            math.copysign(1, v) == math.copysign(1, parse_amount(c))
            for v, c in zip(values, cells, strict=True)
        )


def test_plain_amounts_take_the_usual_display_formats():
    found = plain_amounts(["$1,234.56", "-$7.00", "12", "0.10"])
    assert found is not None
    assert list(found) == [1234.56, -7.0, 12.0, 0.1]
    for odd in (
        "(5.00)",
        "14.4%",
        "$ 5",
        "1.",
        ".5",
        "5-",
        "$-5",
        "1e3",
        "",
        "9" * 400,
        "-1" + "0" * 14,
    ):
        assert plain_amounts(["$1.00", odd]) is None, odd

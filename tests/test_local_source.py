import gzip
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from spend_monitor.config import Columns, LocalConfig
from spend_monitor.domain.coverage import lookback_start
from spend_monitor.domain.drivers import drivers_for
from spend_monitor.domain.models import Thresholds
from spend_monitor.domain.periods import period_for
from spend_monitor.errors import DataFileError, SourceError
from spend_monitor.sources import aggregate_sql as q
from spend_monitor.sources import files
from spend_monitor.sources.files import LocalFileSource

pytestmark = pytest.mark.anyio
AS_OF = date(2026, 2, 15)
ROWS = [
    ("2026-01-03", "Acme", "SMS", 100.0),
    ("2026-01-03", "Acme", "SMS", 50.0),  # several rows a day are summed
    ("2026-01-20", "Acme", "Voice", 300.0),
    ("2026-02-02", "Acme", "SMS", 120.0),
    ("2026-02-14", "Acme", "Voice", 80.0),
    ("2026-02-15", "Acme", "Voice", 999.0),  # today: a partial day, ignored
    ("2026-03-01", "Acme", "Voice", 999.0),  # the future: ignored
    ("2026-02-05", "Globex", "SMS", 10.0),
    ("2025-12-05", "Ghost", "SMS", 10.0),  # outside the window
]


async def fetch(path, customers=None, columns=None, as_of=AS_OF):
    source = LocalFileSource(LocalConfig(path=path, columns=columns or Columns()))
    return await source.fetch(as_of, customers)


async def test_sums_rows_and_splits_the_two_months(write_csv):
    snapshot = await fetch(write_csv(ROWS))
    acme = snapshot.customers["Acme"]
    assert snapshot.period.data_through == date(2026, 2, 14)
    assert (acme.current, acme.prior_total) == (200, 450)
    assert acme.prior_same_days == 150  # January 1..14
    assert acme.daily[date(2026, 1, 3)] == 150
    services = {s.service: (s.current, s.prior_total, s.prior_same_days) for s in acme.services}
    assert services == {"SMS": (120, 150, 150), "Voice": (80, 300, 0)}
    assert acme.source == "local"


async def test_without_configured_customers_everyone_in_the_window_is_monitored(write_csv):
    snapshot = await fetch(write_csv(ROWS))
    assert sorted(snapshot.customers) == ["Acme", "Globex"]


async def test_a_customer_without_rows_is_unavailable_with_a_hint(write_csv):
    snapshot = await fetch(write_csv(ROWS), customers=["Acme", "acme "])
    missing = snapshot.customers["acme "]
    assert missing.error is not None
    assert "no rows for 'acme '" in missing.error
    assert "'Acme'" in missing.error


async def test_late_data_moves_data_through(write_csv):
    snapshot = await fetch(write_csv(ROWS[:4]))
    assert snapshot.period.data_through == date(2026, 2, 2)


async def test_gzipped_csv_and_parquet_read_the_same(write_csv, tmp_path):
    csv_path = write_csv(ROWS)
    gz_path = tmp_path / "revenue.csv.gz"
    with csv_path.open("rb") as src, gzip.open(gz_path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    parquet = tmp_path / "revenue.parquet"
    duckdb.sql(
        f"COPY (SELECT CAST(date AS DATE) AS date, customer, service, CAST(amount AS DOUBLE) "
        f"AS amount FROM read_csv('{csv_path}')) TO '{parquet}' (FORMAT parquet)"
    )
    plain = await fetch(csv_path)
    assert await fetch(gz_path) == plain
    assert await fetch(parquet) == plain


@pytest.mark.parametrize(
    ("customer", "service"),
    [
        (" Acme", "SMS"),
        ("Acme\u00a0", "SMS"),  # DuckDB's trim takes a no-break space too
        ("Acme", ""),
        ("Acme", None),
        ("Acme", " SMS "),
    ],
)
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
async def test_names_needing_a_trim_read_as_the_trimmed_ones(
    tmp_path, write_csv, customer, service, fmt
):
    """Names are read as they are only when none needs trimming; one untidy name anywhere
    in the file (here in Acme's first row) turns trimming back on for every row. A CSV's
    names are copied as they are and checked the same way."""

    def written(name: str, rows: list[tuple[str, str | None, str | None, float]]) -> Path:
        if fmt == "csv":
            return write_csv(rows, name=f"{name}.csv")
        return write_parquet(tmp_path / f"{name}.parquet", [_typed(r) for r in rows])

    untidy = [(ROWS[0][0], customer, service, ROWS[0][3]), *ROWS[1:]]
    want = await fetch(written("tidy", ROWS))
    got = await fetch(written("untidy", untidy))
    if service in ("", None):
        assert got.customers["Acme"].services[0].service == "(unspecified)"
        assert got.customers["Globex"] == want.customers["Globex"]
        assert got.customers["Acme"].current == want.customers["Acme"].current
    else:
        assert got == want


def _sql(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _typed(row: tuple[str, str | None, str | None, float]) -> tuple[str, str, str, str]:
    day, customer, service, amount = row
    return f"DATE '{day}'", _sql(customer), _sql(service), repr(amount)


def write_parquet(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A Parquet file of rows given as SQL expressions: date, customer, service, amount (a
    DOUBLE)."""
    values = ", ".join(f"({d}, {c}, {s}, CAST({a} AS DOUBLE))" for d, c, s, a in rows)
    duckdb.sql(
        f"COPY (SELECT * FROM (VALUES {values}) AS t(date, customer, service, amount)) "
        f"TO '{path}' (FORMAT parquet)"
    )
    return path


async def test_column_names_come_from_config(write_csv):
    path = write_csv(
        [("2026-02-01", "Acme", "SMS", "$1,234.50")], header=["day", "account", "product", "usd"]
    )
    columns = Columns(date="day", customer="account", service="product", amount="usd")
    snapshot = await fetch(path, columns=columns)
    assert snapshot.customers["Acme"].current == 1234.5


async def test_missing_column_names_file_column_and_fix(write_csv):
    path = write_csv([("2026-02-01", "Acme", "SMS", 1)], header=["date", "client", "service", "x"])
    with pytest.raises(DataFileError) as caught:
        await fetch(path)
    message = str(caught.value)
    assert "revenue.csv has no column for customer ('customer'), amount ('amount')" in message
    assert "it has 'date', 'client', 'service', 'x'" in message
    assert "local.columns" in message
    assert "local.columns" in message


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        (("2026-02-03", "Acme", "SMS", "12,x"), "row 2 (line 3): amount is '12,x'"),
        (("2026-02-03", "Acme", "SMS", ""), "row 2 (line 3): amount is empty"),
        (("Feb 3rd", "Acme", "SMS", "1"), "row 2 (line 3): date is 'Feb 3rd'"),
        (("2026-02-03", "", "SMS", "1"), "row 2 (line 3): customer is empty"),
    ],
)
async def test_a_bad_row_is_named_never_dropped_or_zeroed(write_csv, bad_row, expected):
    path = write_csv([("2026-02-02", "Acme", "SMS", 1), bad_row, ("2026-02-04", "A", "S", 1)])
    with pytest.raises(DataFileError) as caught:
        await fetch(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


async def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(DataFileError, match="not found"):
        await fetch(tmp_path / "absent.csv")
    odd = tmp_path / "revenue.xlsx"
    odd.write_text("x")
    with pytest.raises(DataFileError, match="unknown file type"):
        await fetch(odd)


async def test_no_rows_before_as_of(write_csv):
    with pytest.raises(SourceError, match=r"revenue\.csv has no rows dated before 2026-02-15"):
        await fetch(write_csv([("2026-03-01", "Acme", "SMS", 1)]))


async def test_names_that_look_like_sql_are_just_names(write_csv):
    name = "x'); DROP TABLE revenue;--"
    path = write_csv([("2026-02-02", name, "SMS", 5), ("2026-01-02", name, "SMS", 5)])
    snapshot = await fetch(path, customers=[name])
    assert snapshot.customers[name].current == 5
    assert (await fetch(path, customers=[name])).customers[name].prior_total == 5


@pytest.mark.parametrize(
    ("rows", "kind", "current"),
    [
        # Still billing, with a credit larger than this month's charges: netted, shrank.
        (
            [("2026-02-03", "Acme", "Voice", 80.0), ("2026-02-04", "Acme", "Voice", -200.0)],
            "shrank",
            -120,
        ),
        # Billed and credited in full: still billing, not vanished.
        (
            [("2026-02-03", "Acme", "Voice", 80.0), ("2026-02-04", "Acme", "Voice", -80.0)],
            "shrank",
            0,
        ),
        # Only a credit this month: the line stopped billing.
        ([("2026-02-04", "Acme", "Voice", -50.0)], "vanished", -50),
    ],
)
async def test_credits_are_netted_within_their_line_never_a_vanished_line(
    write_csv, rows, kind, current
):
    history = [("2026-01-05", "Acme", "Voice", 3000.0), ("2026-02-02", "Acme", "SMS", 5.0)]
    snapshot = await fetch(write_csv(history + rows))
    drivers = drivers_for(snapshot.customers["Acme"], snapshot.period, "prorated", Thresholds())
    voice = next(d for d in drivers if d.service == "Voice")
    assert (voice.kind, voice.current) == (kind, current)


@pytest.mark.parametrize(
    ("content", "options", "totals"),
    [
        (
            "date,customer,service,amount\r\n2026-01-03,Acme,SMS,100\n2026-02-02,Acme,SMS,1\r\n",
            {},
            (1, 100),
        ),
        (
            "date,customer,service,amount\n2026-01-03,Acme,SMS,100\r\n2026-02-02,Acme,SMS,1\n",
            {},
            (1, 100),
        ),
        (
            "\ufeffdate,customer,service,amount\n2026-01-03,Acme,SMS,100\n2026-02-02,Acme,SMS,1\n",
            {},
            (1, 100),
        ),
        (
            'date;customer;service;amount\n2026-01-03;Acme;SMS;"1.234,50"\n2026-02-02;Acme;SMS;1\n',
            {"delimiter": ";", "decimal": ","},
            (1, 1234.5),
        ),
        ("2026-01-03,Acme,SMS,100\n2026-02-02,Acme,SMS,1\n", {"header": False}, (1, 100)),
        (
            "date\tcustomer\tservice\tamount\n2026-01-03\tAcme\tSMS\t1,000.5\n2026-02-02\tAcme\tSMS\t1\n",
            {"delimiter": "\t"},
            (1, 1000.5),
        ),
    ],
)
async def test_explicit_parsing_reads_line_endings_bom_delimiter_decimal_and_header(
    tmp_path, content, options, totals
):
    path = tmp_path / "revenue.csv"
    path.write_bytes(content.encode("utf-8"))
    source = LocalFileSource(LocalConfig(path=path, **options))
    acme = (await source.fetch(AS_OF, None)).customers["Acme"]
    assert (acme.current, acme.prior_total) == totals


async def test_a_decimal_comma_is_never_read_as_a_decimal_point(write_csv):
    path = write_csv([("2026-02-03", "Acme", "SMS", "1.234,50")])
    with pytest.raises(DataFileError) as caught:
        await fetch(path)
    assert "'1.234,50'" in str(caught.value)
    assert 'set local.decimal to ","' in str(caught.value)


@pytest.mark.parametrize("amount", ["NaN", "inf", "-Infinity", "1e309"])
async def test_non_finite_amounts_are_rejected_with_the_row(write_csv, amount):
    path = write_csv([("2026-02-02", "Acme", "SMS", 1), ("2026-02-03", "Acme", "SMS", amount)])
    with pytest.raises(DataFileError) as caught:
        await fetch(path)
    assert f"row 2 (line 3): amount is '{amount}'" in str(caught.value)
    assert "finite" in str(caught.value)


@pytest.mark.parametrize(
    ("amount", "shown", "fix"),
    [
        ("'NaN'", "nan", "amounts must be finite numbers"),
        ("-2e14", "-200000000000000.0", "amounts must be under 100,000,000,000,000"),
    ],
)
async def test_a_parquet_amount_that_cannot_be_summed_is_named_with_the_row(
    tmp_path, amount, shown, fix
):
    parquet = write_parquet(
        tmp_path / "revenue.parquet", [("DATE '2026-02-03'", "'Acme'", "'SMS'", amount)]
    )
    with pytest.raises(DataFileError, match=rf"row 1: amount is '{shown}'") as raised:
        await fetch(parquet)
    assert fix in str(raised.value.hint)


async def test_parquet_bad_rows_are_counted_once_each(tmp_path):
    """Blank and NULL customers, NULL dates and non-finite amounts, one row with two faults:
    the first is named and every bad row counted once."""
    parquet = tmp_path / "revenue.parquet"
    rows = [
        ("DATE '2026-02-03'", "'Acme'", "1.0"),
        ("DATE '2026-02-03'", "'   '", "2.0"),  # blank customer
        ("NULL", "'Acme'", "3.0"),  # no date
        ("NULL", "NULL", "4.0"),  # no date and no customer: one bad row
        ("DATE '2026-02-04'", "'Globex'", "'inf'"),
        ("DATE '2026-02-04'", "'Globex'", "5.0"),
    ]
    write_parquet(parquet, [(d, c, "'SMS'", a) for d, c, a in rows])
    with pytest.raises(DataFileError, match=r"row 2: customer is empty; 3 more bad row\(s\)"):
        await fetch(parquet)


@pytest.mark.parametrize(
    ("date", "amount", "shown"),
    [
        ("day", "'NaN'", "amount is 'nan'"),
        ("day", "'-inf'", "amount is '-inf'"),
        ("day", "NULL", "amount is empty"),
        ("day", "1e14", "amount is '100000000000000.0'"),
        ("NULL", "1", "date is empty"),
    ],
)
async def test_one_bad_row_among_many_row_groups_is_found(tmp_path, date, amount, shown):
    """With tidy names the rows' check is answered from the Parquet file's statistics where
    they prove every row readable: the one bad row, deep in a file of many row groups, is
    still named."""
    parquet = tmp_path / "revenue.parquet"
    bad_row = 25_000
    duckdb.sql(
        f"""COPY (SELECT CASE WHEN i = {bad_row - 1} THEN {date} ELSE day END AS date,
                         'Customer ' || (i % 50) AS customer, 'SMS' AS service,
                         CASE WHEN i = {bad_row - 1} THEN CAST({amount} AS DOUBLE)
                              ELSE CAST(i % 97 AS DOUBLE) END AS amount
                  FROM (SELECT i, DATE '2026-01-01' + CAST(i % 45 AS INTEGER) AS day
                        FROM range(60000) AS t(i)) ORDER BY i)
            TO '{parquet}' (FORMAT parquet, ROW_GROUP_SIZE 4096)"""
    )
    with pytest.raises(DataFileError, match=rf"row {bad_row}: {shown}") as raised:
        await fetch(parquet)
    assert "more bad row" not in str(raised.value)


async def test_a_nan_left_out_of_another_writers_ranges_is_still_found():
    """pyarrow (like most Parquet writers) leaves NaN out of a row group's min and max, and
    DuckDB trusts those ranges when a filter could be answered from them (duckdb/duckdb#25521):
    a check written as a range would pass this file's NaN (row 301 of 400, written by pyarrow
    26 in two row groups of 200 rows, ranges 100.0 to 106.0)."""
    parquet = Path(__file__).parent / "data" / "nan-left-out-of-ranges.parquet"
    with pytest.raises(DataFileError, match="row 301: amount is 'nan'") as raised:
        await fetch(parquet)
    assert "more bad row" not in str(raised.value)


HEAD = "date,customer,service,amount\n"
QUOTED_BREAK = '2026-01-04,Acme,"SMS\nbulk",1\n'  # one row over two lines


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        # A quoted line break before the bad row: lines are the file's, rows are rows.
        (
            "revenue.csv",
            HEAD + QUOTED_BREAK + "2026-02-03,Acme,SMS,NaN\n",
            "row 2 (line 4): amount is 'NaN'",
        ),
        (
            "revenue.csv",
            HEAD + QUOTED_BREAK + "2026-02-03,Acme,SMS\n",
            "line 4 has 3 field(s), the header has 4",
        ),
        # CR LF, a byte-order mark and blank lines shift neither rows nor lines.
        (
            "revenue.csv",
            (HEAD + "2026-01-04,Acme,SMS,1\n\n2026-02-03,,SMS,1\n").replace("\n", "\r\n"),
            "row 2 (line 4): customer is empty",
        ),
        (
            "revenue.csv",
            "\ufeff" + HEAD + "2026-01-04,Acme,SMS,1\n2026-02-30,Acme,SMS,1\n",
            "row 2 (line 3): date is '2026-02-30'",
        ),
        (
            "revenue.tsv",
            (HEAD + "2026-01-04,Acme,SMS,1\n2026-02-03,Acme,SMS,1,5\n").replace(",", "\t"),
            "line 3 has 5 field(s), the header has 4",
        ),
        # Binary data in a row DuckDB reads without complaint is still named.
        (
            "revenue.csv",
            HEAD + "2026-01-04,Acme,SMS,1\n2026-02-03,Ac\x00me,SMS,1\n",
            "line 3 holds binary data",
        ),
        (
            "revenue.csv",
            HEAD + "2026-01-04,Acme,SMS,1\n2026-02-03\x00,Acme,SMS,1\n",
            "line 3 holds binary data",
        ),
        ("revenue.csv", HEAD + '2026-01-04,Acme,SMS,1\n2026-02-03,"Acme"x,SMS,1\n', "line 3: "),
    ],
)
async def test_errors_name_the_users_line_whatever_the_line_endings(
    tmp_path, name, content, expected
):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8"))
    with pytest.raises(DataFileError) as caught:
        await fetch(path)
    assert f"{path} {expected}" in str(caught.value)


WELL_FORMED = (
    HEAD + "2026-01-03,Acme,SMS,100\n" + QUOTED_BREAK + "\n , , , \n2026-02-02,Acme,SMS,1\n"
)


@pytest.mark.parametrize(
    ("name", "content", "options"),
    [
        ("revenue.csv", WELL_FORMED, {}),
        ("revenue.csv", WELL_FORMED.replace("\n", "\r\n"), {}),
        ("revenue.csv", "\ufeff" + WELL_FORMED, {}),
        ("revenue.tsv", WELL_FORMED.replace(",", "\t"), {}),
        ("revenue.txt", WELL_FORMED.replace(",", ";"), {"delimiter": ";"}),
        ("revenue.csv", WELL_FORMED.removeprefix(HEAD), {"header": False}),
        ("revenue.csv.gz", WELL_FORMED, {}),
    ],
    ids=["lf", "crlf", "bom", "tsv", "semicolons", "no-header", "gzip"],
)
async def test_a_well_formed_file_is_read_by_duckdb_alone(
    tmp_path, monkeypatch, name, content, options
):
    """The strict line-by-line pass (slow on millions of rows) runs only when something is
    wrong; a well-formed file of any supported shape never needs it."""

    def strict_pass(*args: object) -> list[str]:
        raise AssertionError("the strict pass ran on a well-formed file")

    monkeypatch.setattr(files, "normalize_csv", strict_pass)
    path = tmp_path / name
    data = content.encode("utf-8")
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    source = LocalFileSource(LocalConfig(path=path, **options))
    acme = (await source.fetch(AS_OF, None)).customers["Acme"]
    assert (acme.current, acme.prior_total) == (1, 101)
    assert len(acme.services) == 2  # "SMS" and the one with a line break


@pytest.mark.parametrize(
    "content",
    [
        HEAD.replace("\n", "\r\n") + "2026-01-03,Acme,SMS,100\n2026-02-02,Acme,SMS,1\r\n",
        "\n\n" + HEAD + "2026-01-03,Acme,SMS,100\n2026-02-02,Acme,SMS,1\n",
        HEAD + "2026-01-03,Acme,SMS,100\n\t,\t,,\n2026-02-02,Acme,SMS,1\n",
    ],
    ids=["mixed-line-endings", "blank-lines-before-header", "a-row-of-tabs"],
)
async def test_what_duckdb_will_not_read_the_strict_pass_reads(tmp_path, content):
    path = tmp_path / "revenue.csv"
    path.write_bytes(content.encode("utf-8"))
    acme = (await fetch(path)).customers["Acme"]
    assert (acme.current, acme.prior_total) == (1, 100)


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["read-by-duckdb", "strict-pass"])
async def test_a_space_before_a_quoted_name_reads_alike_on_both_paths(tmp_path, ending):
    """`, "Acme Corp"` is the name Acme Corp whichever path reads the file (a mixed-ending
    file goes through the strict pass), never `"Acme Corp"` with its quotes."""
    rows = ['2026-01-03, "Acme Corp",SMS,100', '2026-02-02, "Acme Corp",SMS,1']
    path = tmp_path / "revenue.csv"
    path.write_bytes((HEAD + rows[0] + ending + rows[1] + "\n").encode("utf-8"))
    customers = (await fetch(path)).customers
    assert list(customers) == ["Acme Corp"]
    assert customers["Acme Corp"].current == 1


def _book_rows(last: date, last_day_amount: float) -> list[tuple[str, str, str, float]]:
    """Three customers over 70 days to `last`: gaps, a credit that zeroes a day, a customer
    whose rows stop early, amounts to 1/10,000, and `last_day_amount` on the last day."""
    rows = []
    for back in range(70, 0, -1):
        day = last - timedelta(days=back)
        if back % 17 == 0:
            continue  # a day without any row
        rows.append((day.isoformat(), "Acme", "SMS", 100.1234 + back))
        rows.append((day.isoformat(), "Globex", "Voice", 40.5))
        if back == 9:
            rows.append((day.isoformat(), "Globex", "Voice", -40.5))  # the day sums to zero
        if back > 30:
            rows.append((day.isoformat(), "Initech", "SMS", 12.3456))
    rows.append((last.isoformat(), "Acme", "SMS", last_day_amount))
    rows.append((last.isoformat(), "Hooli", "SMS", 0.5))  # rows on the last day alone
    return rows


@pytest.mark.parametrize(
    ("last", "last_day_amount", "lookback_days"),
    [
        (date(2026, 2, 14), 120.0, 90),  # an ordinary last day
        (date(2026, 2, 14), 1.0, 90),  # a partial last day, left out
        (date(2026, 3, 1), 1.0, 90),  # a partial 1st: the period moves a month back
        (date(2026, 3, 1), 1.0, 20),  # ... past a short look-back: the days are read again
    ],
)
async def test_the_whole_book_reads_as_its_customers_listed(
    write_csv, last, last_day_amount, lookback_days
):
    """Unlisted, the book's own days are the daily aggregate's sums (one pass fewer); listed,
    they come from their own query. Both give the same period, coverage and notices, and a
    customer whose only rows are on a last day left out is not in the book."""
    path = write_csv(_book_rows(last, last_day_amount))
    thresholds = Thresholds(lookback_days=lookback_days)
    source = LocalFileSource(LocalConfig(path=path), thresholds)
    as_of = last + timedelta(days=1)
    since = lookback_start(period_for(as_of), thresholds)  # as the book asks
    whole = await source.fetch(as_of, None, since)
    listed = await source.fetch(as_of, list(whole.revenue.keys), since)
    assert whole.period == listed.period
    assert whole.coverage == listed.coverage
    assert whole.notices == listed.notices
    assert dict(whole.customers) == dict(listed.customers)
    partial = last_day_amount == 1.0
    assert ("Hooli" in whole.revenue.keys) is not partial
    if partial:
        assert whole.period.data_through == last - timedelta(days=1)
        assert whole.notices


@pytest.mark.parametrize("threads", [2, 3, 7])
def test_a_narrow_statement_in_slices_answers_as_it_would_whole(write_csv, threads):
    """The service-line totals run once per slice of the customers, cut by name (a cut may
    fall on a name with a quote): put together, the same rows as the statement run whole."""
    names = [f"Cust{n:02d}" for n in range(20)] + ["O'Brien", "Zed's"]
    rows = [
        (f"2026-0{month}-{day:02d}", name, service, float(n + day))
        for n, name in enumerate(names)
        for service in ("SMS", "Voice")
        for month in (1, 2)
        for day in (3, 9)
    ]
    source = LocalFileSource(LocalConfig(path=write_csv(rows)))
    period = period_for(AS_OF)
    params = q.window_params(period, None)
    with source._checked() as con:
        ids = source._numbering(con)(q.NUMBERED.format(customer_filter=""), params)
        sql = q._SERVICES.format(customer_filter="", ids=ids)
        whole = source._run(con, sql, params, files._arrays)
        con.execute(f"SET threads = {threads}")
        sliced = source._in_slices(con, sql, params)

    def rows_of(columns):
        return sorted(zip(*(c.tolist() for c in columns), strict=True))

    assert len(whole[0]) == len(names) * 2
    assert rows_of(sliced) == rows_of(whole)

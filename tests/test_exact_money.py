"""Exact money (issue 19): the same data always gives the same cents, whatever order the
database or the file adds the rows in, so a re-run on unchanged data never re-posts."""

from datetime import date

import duckdb
import pytest

from spend_monitor.config import LocalConfig, parse_config
from spend_monitor.launch import embedded
from spend_monitor.render import render_json, render_text
from spend_monitor.sources.files import LocalFileSource

pytestmark = pytest.mark.anyio
AS_OF = date(2026, 3, 16)

# 10,000 customers x 2 services x 45 days, three rows each, amounts with cents of very
# different sizes, so float sums would depend on the order DuckDB's threads add them in.
BOOK = """
COPY (
    SELECT DATE '2026-01-30' + CAST(d AS INTEGER) AS date,
           'c' || lpad(CAST(c AS VARCHAR), 5, '0') AS customer,
           'svc-' || CAST(s AS VARCHAR) AS service,
           round((hash(c, s, d, r) % 1000000) / 100.0
                 * CASE WHEN r = 0 THEN 1000 ELSE 1 END, 2) AS amount
    FROM range(10000) t1(c), range(2) t2(s), range(45) t3(d), range(3) t4(r)
) TO '{path}' (FORMAT parquet)
"""


async def digest_once(path, state):
    config = parse_config({"local": {"path": str(path)}, "state_path": str(state)}, "test")
    async with embedded(config, AS_OF) as services:
        run = await services.book.run(AS_OF)
    return render_text(run.digest), render_json(run.digest)


async def test_the_same_book_gives_byte_identical_digests(tmp_path):
    path = tmp_path / "book.parquet"
    duckdb.execute(BOOK.format(path=path))
    runs = [await digest_once(path, tmp_path / f"state-{i}.db") for i in range(3)]
    texts, jsons = {t for t, _ in runs}, {j for _, j in runs}
    assert len(texts) == 1
    assert len(jsons) == 1
    assert jsons.pop().count('"name": "c') == 10_000


async def test_row_order_does_not_change_a_cent(tmp_path, write_csv):
    """0.1 + 0.2 + 0.3 is not 0.3 + 0.2 + 0.1 in floats; in money it is."""
    amounts = [0.1, 0.2, 0.3, 1e9, -1e9, 0.07]
    rows = [("2026-01-05", "Acme", "SMS", a) for a in amounts]
    rows += [("2026-02-14", "Acme", "SMS", a) for a in amounts]
    as_of = date(2026, 2, 15)
    forward = await LocalFileSource(LocalConfig(path=write_csv(rows, "a.csv"))).fetch(as_of, None)
    backward = await LocalFileSource(LocalConfig(path=write_csv(rows[::-1], "b.csv"))).fetch(
        as_of, None
    )
    one, other = forward.customers["Acme"], backward.customers["Acme"]
    assert one.daily == other.daily
    assert one.daily[date(2026, 1, 5)] == 0.67
    assert (one.current, one.prior_total) == (other.current, other.prior_total) == (0.67, 0.67)
    assert one.services == other.services

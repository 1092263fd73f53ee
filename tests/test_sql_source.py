"""The warehouse source on DuckDB and on a real PostgreSQL server: the same digest as the
local file, aggregation in the database, names that look like SQL are only names."""

import csv
import json
from datetime import date

import pytest
import sqlalchemy

from cli_helpers import invoke
from postgres import cluster, server_bin
from spend_monitor.config import parse_config
from spend_monitor.demo import demo_config, write_demo
from spend_monitor.errors import ConfigError
from spend_monitor.launch import embedded
from spend_monitor.render import digest_json

pytestmark = pytest.mark.anyio
AS_OF = date(2026, 2, 15)
EVIL = "x'); DROP TABLE revenue;--"


@pytest.fixture(scope="module")
def postgres_url():
    bin_dir = server_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries are not installed (.ci/ensure-postgres does it)")
    with cluster(bin_dir) as url:
        yield url


@pytest.fixture
def demo(tmp_path):
    files = write_demo(tmp_path, AS_OF)
    with files.revenue.open() as handle:
        rows = [
            {
                "day": r["date"],
                "account": r["customer"],
                "product": r["service"],
                "usd": float(r["amount"]),
            }
            for r in csv.DictReader(handle)
        ]
    return files, rows


def load(url, rows, table="billing_rows"):
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as db:
        db.execute(sqlalchemy.text(f"DROP TABLE IF EXISTS {table}"))
        db.execute(
            sqlalchemy.text(
                f"CREATE TABLE {table} (day DATE, account VARCHAR, product VARCHAR, usd DOUBLE "
                "PRECISION)"
            )
        )
        db.execute(
            sqlalchemy.text(f"INSERT INTO {table} VALUES (:day, :account, :product, :usd)"), rows
        )
    engine.dispose()


COLUMNS = {"date": "day", "customer": "account", "service": "product", "amount": "usd"}


def sql_config(files, **sql):
    local = demo_config(files)
    data = local.model_dump(mode="json", exclude_none=True, exclude={"local"})
    data["sql"] = {"columns": COLUMNS, **sql}
    return parse_config(data, "test")


def sql_monitor(files, url, **sql):
    return embedded(sql_config(files, **sql), AS_OF, spend_monitor_sql_url=url)


async def digest_of(services):
    async with services:
        data = digest_json((await services.book.run(AS_OF)).digest)
    for customer in data["customers"]:
        customer.pop("source")
    return data


@pytest.fixture(params=["duckdb", "postgres"])
def database(request, tmp_path):
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")


async def test_same_digest_as_the_local_file(demo, database):
    files, rows = demo
    load(database, rows)
    expected = await digest_of(embedded(demo_config(files), AS_OF))
    assert await digest_of(sql_monitor(files, database, table="billing_rows")) == expected
    query = "SELECT * FROM billing_rows WHERE usd IS NOT NULL"
    assert await digest_of(sql_monitor(files, database, query=query)) == expected


async def test_injection_shaped_names_are_just_names(demo, database):
    files, rows = demo
    load(
        database,
        [
            *rows,
            {"day": "2026-02-03", "account": EVIL, "product": "SMS", "usd": 7.0},
            {"day": "2026-01-03", "account": EVIL, "product": "SMS", "usd": 7.0},
        ],
    )
    config = sql_config(files, table="billing_rows")
    config = config.model_copy(
        update={
            "customers": [
                *config.customers,
                config.customers[0].model_copy(
                    update={"name": EVIL, "display_name": None, "aliases": ()}
                ),
            ]
        }
    )
    services = embedded(config, AS_OF, spend_monitor_sql_url=database)
    paces = {p["name"]: p for p in (await digest_of(services))["customers"]}
    assert paces[EVIL]["current"] == 7.0
    engine = sqlalchemy.create_engine(database)
    with engine.connect() as db:
        count = db.execute(sqlalchemy.text("SELECT count(*) FROM billing_rows")).scalar()
    engine.dispose()
    assert count == len(rows) + 2  # the table is still there, untouched


def test_check_reports_rows_in_the_window(capsys, demo, tmp_path, monkeypatch):
    _, rows = demo
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    load(url, rows)
    config = tmp_path / "config" / "config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"sql": {"table": "billing_rows", "columns": COLUMNS}}))
    monkeypatch.setenv("SPEND_MONITOR_SQL_URL", url)
    result = invoke(capsys, "check", "--as-of", "2026-02-15")
    assert result.code == 0, result.err
    in_window = sum(1 for r in rows if "2026-01-01" <= r["day"] <= "2026-02-14")
    assert f"source: sql — duckdb billing_rows: {in_window:,} rows" in result.out


def test_a_password_in_the_config_file_is_refused():
    with pytest.raises(ConfigError) as caught:
        parse_config({"sql": {"url": "postgresql://u:hunter2@db/x", "table": "t"}}, "c")
    assert "SPEND_MONITOR_SQL_URL" in caught.value.problems[0]
    assert "hunter2" not in caught.value.problems[0]


async def test_a_missing_dialect_names_the_package_to_install(demo):
    files, _ = demo
    services = sql_monitor(files, "snowflake://acct/db", table="t")
    with pytest.raises(ConfigError, match="pip install snowflake-sqlalchemy"):
        await digest_of(services)

"""Local CSV (optionally gzipped) or Parquet files, read and aggregated by DuckDB.

Rows are (date, customer, service, amount); many rows per day and customer are summed in the
database. A value that cannot be parsed stops the run with the file, row and column named —
it is never dropped or read as 0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from ..config import Columns, LocalConfig
from ..domain.models import SourceName
from ..errors import DataFileError
from . import aggregate_sql as q
from .base import RevenueSnapshot, SourceStatus

if TYPE_CHECKING:
    import duckdb

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
_PARAM = re.compile(r"(?<![:\w]):(\w+)")
CUSTOMER_FILTER = " AND customer IN (SELECT unnest(:customers))"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _date_expr(column: str, type_name: str) -> str:
    if type_name == "DATE":
        return column
    if type_name.startswith("TIMESTAMP"):
        return f"CAST({column} AS DATE)"
    text = f"trim(CAST({column} AS VARCHAR))"
    return (
        f"coalesce(TRY_CAST({text} AS DATE), CAST(TRY_CAST({text} AS TIMESTAMP) AS DATE), "
        f"CAST(try_strptime({text}, '%m/%d/%Y') AS DATE))"
    )


def _amount_expr(column: str, type_name: str) -> str:
    if type_name in {"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT"} or (
        type_name.startswith("DECIMAL")
    ):
        return f"CAST({column} AS DOUBLE)"
    text = f"replace(replace(trim(CAST({column} AS VARCHAR)), '$', ''), ',', '')"
    return f"TRY_CAST({text} AS DOUBLE)"


class LocalFileSource:
    """`source: local` — one file, opened afresh for each fetch so edits are seen."""

    name: SourceName = "local"

    def __init__(self, config: LocalConfig) -> None:
        self.path = config.path
        self.columns: Columns = config.columns

    # -- DuckDB work, run in a worker thread -------------------------------------------------

    def _connect(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        path = self.path
        if not path.is_file():
            raise DataFileError(
                f"data file {path} not found",
                "check local.path in the config (relative to the config file's folder)",
            )
        con = duckdb.connect()
        try:
            if path.name.lower().endswith(PARQUET_SUFFIXES):
                raw = con.read_parquet(str(path))
            elif path.name.lower().endswith(CSV_SUFFIXES):
                raw = con.read_csv(str(path), header=True, all_varchar=True)
            else:
                raise DataFileError(
                    f"{path}: unknown file type",
                    f"use one of {', '.join(CSV_SUFFIXES + PARQUET_SUFFIXES)}",
                )
        except duckdb.Error as exc:
            raise DataFileError(f"{path}: cannot read the file ({_first_line(exc)})") from None
        types = dict(zip(raw.columns, (str(t) for t in raw.types), strict=True))
        wanted = self.columns.model_dump(include={"date", "customer", "service", "amount"})
        missing = [f"{key} ({col!r})" for key, col in wanted.items() if col not in types]
        if missing:
            raise DataFileError(
                f"{path} has no column for {', '.join(missing)}; it has {', '.join(types)}",
                "rename the column or set local.columns.<field> in the config",
            )
        raw.create_view("raw")
        c = {k: _ident(v) for k, v in wanted.items()}
        con.execute(
            f"""
            CREATE VIEW parsed AS SELECT
                {c["date"]} AS raw_date, {c["amount"]} AS raw_amount,
                {_date_expr(c["date"], types[wanted["date"]])} AS date,
                nullif(trim(CAST({c["customer"]} AS VARCHAR)), '') AS customer,
                coalesce(nullif(trim(CAST({c["service"]} AS VARCHAR)), ''), '(unspecified)')
                    AS service,
                {_amount_expr(c["amount"], types[wanted["amount"]])} AS amount
            FROM raw
            """
        )
        con.execute("CREATE VIEW revenue AS SELECT date, customer, service, amount FROM parsed")
        return con

    def _check_rows(self, con: duckdb.DuckDBPyConnection) -> None:
        bad = "date IS NULL OR amount IS NULL OR customer IS NULL"
        row = con.execute(f"SELECT count(*) FROM parsed WHERE {bad}").fetchone()
        if not row or not row[0]:
            return
        first = con.execute(
            f"""SELECT n, raw_date, raw_amount, date IS NULL, amount IS NULL
                FROM (SELECT row_number() OVER () AS n, * FROM parsed) WHERE {bad} LIMIT 1"""
        ).fetchone()
        assert first is not None
        n, raw_date, raw_amount, bad_date, bad_amount = first
        if bad_date:
            field, value = self.columns.date, raw_date
            fix = "use YYYY-MM-DD dates"
        elif bad_amount:
            field, value = self.columns.amount, raw_amount
            fix = "use a plain number such as 1234.56"
        else:
            field, value = self.columns.customer, None
            fix = "every row needs a customer"
        where = f"row {n}" + (f" (line {n + 1})" if not self._is_parquet else "")
        shown = "empty" if value in (None, "") else repr(value)
        more = f"; {row[0] - 1} more bad row(s)" if row[0] > 1 else ""
        raise DataFileError(f"{self.path} {where}: {field} is {shown}{more}", fix)

    @property
    def _is_parquet(self) -> bool:
        return self.path.name.lower().endswith(PARQUET_SUFFIXES)

    def _query(self, con: duckdb.DuckDBPyConnection) -> q.Query:
        """Run a shared statement on DuckDB, whose parameters are written `$name`."""
        import duckdb

        def run(sql: str, params: dict[str, Any]) -> q.Rows:
            native = _PARAM.sub(r"$\1", sql)
            names = set(re.findall(r"\$(\w+)", native))
            try:
                return con.execute(native, {k: params[k] for k in names}).fetchall()
            except duckdb.Error as exc:
                raise DataFileError(f"{self.path}: query failed ({_first_line(exc)})") from None

        return run

    def _fetch(
        self, as_of: date, customers: Sequence[str] | None, since: date | None
    ) -> RevenueSnapshot:
        con = self._connect()
        try:
            self._check_rows(con)
            return q.fetch_aggregates(
                self._query(con),
                CUSTOMER_FILTER,
                "local",
                self.path.name,
                as_of,
                customers,
                since,
            )
        finally:
            con.close()

    def _status(self, as_of: date) -> SourceStatus:
        con = self._connect()
        try:
            self._check_rows(con)
            period, count = q.rows_in_window(self._query(con), as_of, str(self.path))
        finally:
            con.close()
        return SourceStatus(
            source="local",
            ok=True,
            detail=f"{self.path}: {count:,} rows, {period.prior_start} to {period.data_through}",
            facts={"path": str(self.path), "rows_in_window": count},
        )

    # -- the async face the monitor sees ------------------------------------------------------

    async def fetch(
        self, as_of: date, customers: Sequence[str] | None, since: date | None = None
    ) -> RevenueSnapshot:
        return await anyio.to_thread.run_sync(self._fetch, as_of, customers, since)

    async def status(self, as_of: date) -> SourceStatus:
        return await anyio.to_thread.run_sync(self._status, as_of)

    async def aclose(self) -> None:
        return None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

"""Any SQL warehouse SQLAlchemy can reach (DuckDB, PostgreSQL, Snowflake, BigQuery, Trino, …).

The database does the aggregation: the monitor sends the shared aggregate queries over a
`revenue` relation built from `sql.table` or `sql.query`, with the date window and customer
list as bound parameters, and reads back a few thousand grouped numbers. The URL with its
password comes from SPEND_MONITOR_SQL_URL (or a password-free `sql.url`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from pydantic import SecretStr

from ..config import SqlConfig
from ..domain.models import SourceName, Thresholds
from ..errors import ConfigError, WarehouseError
from . import aggregate_sql as q
from .base import RevenueSnapshot, SourceStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
CUSTOMER_FILTER = " AND customer IN :customers"
DIALECT_PACKAGES = {
    "snowflake": "snowflake-sqlalchemy",
    "bigquery": "sqlalchemy-bigquery",
    "trino": "trino[sqlalchemy]",
    "duckdb": "duckdb-engine",
    "postgresql": "psycopg[binary]",
}


class SqlSource:
    name: SourceName = "sql"

    def __init__(
        self, config: SqlConfig, url: SecretStr | None, thresholds: Thresholds | None = None
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        raw = url.get_secret_value() if url else config.url
        if not raw:
            raise ConfigError("no database URL", "set sql.url or SPEND_MONITOR_SQL_URL")
        self.config = config
        self._url = raw
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            import sqlalchemy

            try:
                self._engine = sqlalchemy.create_engine(self._url, pool_pre_ping=True)
            except (ImportError, sqlalchemy.exc.NoSuchModuleError) as exc:
                dialect = self._url.split(":", 1)[0].split("+", 1)[0]
                package = DIALECT_PACKAGES.get(dialect, f"the SQLAlchemy dialect for {dialect}")
                raise ConfigError(
                    f"cannot use a {dialect!r} database ({type(exc).__name__})",
                    f"pip install {package}",
                ) from None
            except sqlalchemy.exc.ArgumentError:
                raise ConfigError(
                    "sql.url is not a database URL",
                    "use a SQLAlchemy URL such as duckdb:///revenue.duckdb",
                ) from None
        return self._engine

    @property
    def where(self) -> str:
        """A name for the data in messages: the table or "sql.query", never the URL."""
        return self.config.table or "sql.query"

    def _relation(self) -> str:
        """`WITH revenue AS (…)`: the user's table or query, typed, column names mapped."""
        preparer = self.engine.dialect.identifier_preparer
        cols = {k: preparer.quote(v) for k, v in self.config.columns.model_dump().items()}
        if self.config.table:
            source = ".".join(preparer.quote(part) for part in self.config.table.split("."))
        else:
            source = f"({self.config.query}) AS user_query"
        return (
            "WITH revenue AS (SELECT "
            f"CAST({cols['date']} AS DATE) AS date, {cols['customer']} AS customer, "
            f"coalesce({cols['service']}, '(unspecified)') AS service, "
            f"CAST({cols['amount']} AS DOUBLE PRECISION) AS amount FROM {source}) "
        )

    def _query(self) -> q.Query:
        import sqlalchemy

        relation = self._relation()

        def run(sql: str, params: dict[str, Any]) -> q.Rows:
            statement = sqlalchemy.text(relation + sql)
            if "customers" in params:
                statement = statement.bindparams(sqlalchemy.bindparam("customers", expanding=True))
            used = {k: v for k, v in params.items() if f":{k}" in sql}
            try:
                with self.engine.connect() as connection:
                    return [tuple(row) for row in connection.execute(statement, used)]
            except sqlalchemy.exc.SQLAlchemyError as exc:
                first = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
                raise WarehouseError(
                    f"the SQL source failed on {self.where}: {first}",
                    "check sql.table / sql.query and sql.columns",
                ) from None

        return run

    def _fetch(
        self, as_of: date, customers: Sequence[str] | None, since: date | None
    ) -> RevenueSnapshot:
        return q.fetch_aggregates(
            self._query(),
            CUSTOMER_FILTER,
            "sql",
            self.where,
            as_of,
            customers,
            since,
            self.thresholds,
        )

    async def fetch(
        self, as_of: date, customers: Sequence[str] | None, since: date | None = None
    ) -> RevenueSnapshot:
        return await anyio.to_thread.run_sync(self._fetch, as_of, customers, since)

    async def status(self, as_of: date) -> SourceStatus:
        period, count = await anyio.to_thread.run_sync(
            q.rows_in_window, self._query(), as_of, self.where
        )
        return SourceStatus(
            source="sql",
            ok=True,
            detail=f"{self.engine.dialect.name} {self.where}: {count:,} rows, "
            f"{period.prior_start} to {period.data_through}",
            facts={"dialect": self.engine.dialect.name, "rows_in_window": count},
        )

    async def aclose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

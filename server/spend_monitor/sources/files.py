"""Local CSV (optionally gzipped) or Parquet files, read and aggregated by DuckDB.

Rows are (date, customer, service, amount); many rows per day and customer are summed in the
database. Parsing is explicit, never sniffed (docs/configuration.md, "Reading local files"): a
CSV is read by Python's csv module with the configured delimiter, header and decimal separator
(UTF-8 with or without BOM, LF and CR LF in any mix) and handed to DuckDB as a plain copy that
keeps each row's line number. Any failure is one DataFileError naming the file, the line or
row and column, and the fix; a value that cannot be parsed is never dropped or read as 0.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import re
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from ..config import Columns, LocalConfig
from ..domain.models import SourceName, Thresholds
from ..errors import DataFileError, SourceError
from . import aggregate_sql as q
from .base import RevenueSnapshot, SourceStatus

if TYPE_CHECKING:
    import duckdb

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
_PARAM = re.compile(r"(?<![:\w]):(\w+)")
CUSTOMER_FILTER = " AND customer IN (SELECT unnest(:customers))"
FIELDS = ("date", "customer", "service", "amount")
LINE = "__line"
# What an amount may look like, by decimal separator: digits with optional thousands groups,
# a decimal part and an exponent. Anything else (1.234,50 under ".", NaN, inf) is a bad row.
_AMOUNT_PATTERN = {
    ".": r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][-+]?\d+)?$",
    ",": r"^[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?([eE][-+]?\d+)?$",
}
_NOT_TEXT = {
    b"PK\x03\x04": "is a ZIP or Excel (.xlsx) file, not CSV",
    b"\xff\xfe": "is UTF-16 text, not UTF-8",
    b"\xfe\xff": "is UTF-16 text, not UTF-8",
    b"\xd0\xcf\x11\xe0": "is an old Excel (.xls) file, not CSV",
    b"PAR1": "is a Parquet file with a CSV name",
}
SAVE_AS_CSV = "save it as CSV UTF-8 (comma delimited) and point local.path at it"


# DuckDB's memory cap and threads for reading the file (docs/performance.md): lower caps
# make its aggregates spill at 50,000 customers without lowering the peak; a second thread
# saved 3.5 s there on this 2-core machine but added 120 MB, past the 600 MB target.
DUCKDB_MEMORY = "1GB"
DUCKDB_THREADS = 1


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


def _amount_expr(column: str, type_name: str, decimal: str) -> str:
    """A typed number as it is; text only when it matches the documented shape exactly."""
    if type_name in {"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT"} or (
        type_name.startswith("DECIMAL")
    ):
        return f"CAST({column} AS DOUBLE)"
    text = f"regexp_replace(CAST({column} AS VARCHAR), '[\\s$€£¥]', '', 'g')"
    plain = (
        f"replace({text}, ',', '')"
        if decimal == "."
        else (f"replace(replace({text}, '.', ''), ',', '.')")
    )
    pattern = _AMOUNT_PATTERN[decimal]
    return f"CASE WHEN regexp_full_match({text}, '{pattern}') THEN TRY_CAST({plain} AS DOUBLE) END"


def _missing_file(path: Path) -> DataFileError:
    siblings = [p.name for p in path.parent.glob("*")] if path.parent.is_dir() else []
    close = difflib.get_close_matches(path.name, siblings, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return DataFileError(
        f"data file {path} not found",
        f"{hint}check local.path in the config (relative to the config file's folder)",
    )


def _open_bytes(path: Path) -> io.BufferedIOBase:
    try:
        return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")
    except FileNotFoundError:
        raise _missing_file(path) from None
    except OSError as exc:
        raise DataFileError(
            f"cannot read {path}: {exc.strerror or type(exc).__name__}",
            "check the file's permissions",
        ) from None


class _NotUtf8(Exception):
    def __init__(self, line: int, byte: int) -> None:
        super().__init__(line, byte)
        self.line, self.byte = line, byte


class _DecodedLines:
    """A file's lines as UTF-8 text (a BOM dropped, CR LF or LF kept for the csv module),
    counting lines so every error can name one."""

    def __init__(self, raw: io.BufferedIOBase) -> None:
        self.raw, self.line = raw, 0

    def __iter__(self) -> Iterator[str]:
        for chunk in self.raw:
            self.line += 1
            line = chunk.removeprefix(b"\xef\xbb\xbf") if self.line == 1 else chunk
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _NotUtf8(self.line, line[exc.start]) from None


def normalize_csv(config: LocalConfig, out: Path) -> list[str]:
    """Read the user's CSV strictly — UTF-8 with or without BOM, CRLF and LF line endings in
    any mix, the configured delimiter and header — and write it as plain CSV for DuckDB, with
    each row's line number in the user's file. Returns the column names."""
    path = config.path
    delimiter = config.delimiter or ("\t" if ".tsv" in path.name.lower() else ",")
    line = rows = 0
    names: list[str] | None = None if config.header else _positional(config)
    try:
        with _open_bytes(path) as raw:
            head = raw.read(8)
        for magic, what in _NOT_TEXT.items():
            if head.startswith(magic):
                raise DataFileError(f"{path} {what}", SAVE_AS_CSV)
        with _open_bytes(path) as raw, out.open("w", encoding="utf-8", newline="") as sink:
            numbered = _DecodedLines(raw)
            reader = csv.reader(numbered, delimiter=delimiter, quotechar='"', strict=True)
            writer = csv.writer(sink, lineterminator="\n")
            if names is not None:
                writer.writerow([LINE, *names])
            for row in reader:
                line = numbered.line
                if not row or all(not cell.strip() for cell in row):
                    continue
                if any("\x00" in cell for cell in row):
                    raise DataFileError(f"{path} line {line} holds binary data", SAVE_AS_CSV)
                if names is None:
                    names = [cell.strip() for cell in row]
                    writer.writerow([LINE, *names])
                    continue
                if len(row) != len(names):
                    raise DataFileError(
                        f"{path} line {line} has {len(row)} field(s), the header has {len(names)}",
                        f"check local.delimiter (now {delimiter!r}) and the quoting of that line",
                    )
                writer.writerow([line, *row])
                rows += 1
    except _NotUtf8 as exc:
        raise DataFileError(
            f"{path} line {exc.line} is not UTF-8 text (byte 0x{exc.byte:02x})", SAVE_AS_CSV
        ) from None
    except csv.Error as exc:
        raise DataFileError(
            f"{path} line {line + 1}: {exc}", "check the quoting of that line"
        ) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFileError(f"cannot read {path}: {_first_line(exc)}", SAVE_AS_CSV) from None
    if names is None or (rows == 0 and not config.header):
        raise DataFileError(f"{path} is empty", "export the revenue data into it")
    if rows == 0:
        raise DataFileError(f"{path} has a header but no data rows", "export the data into it")
    return names


def _positional(config: LocalConfig) -> list[str]:
    """Without a header, the columns are date, customer, service, amount in that order."""
    return [getattr(config.columns, field) for field in FIELDS]


class LocalFileSource:
    """`source: local` — one file, opened afresh for each fetch so edits are seen."""

    name: SourceName = "local"

    def __init__(self, config: LocalConfig, thresholds: Thresholds | None = None) -> None:
        """`thresholds`: the config's (the partial-day rule and the look-back read them)."""
        self.config = config
        self.thresholds = thresholds or Thresholds()
        self.path = config.path
        self.columns: Columns = config.columns

    # -- DuckDB work, run in a worker thread -------------------------------------------------

    def _connect(self, scratch: Path) -> duckdb.DuckDBPyConnection:
        import duckdb

        path = self.path
        lowered = path.name.lower()
        if not path.exists():
            raise _missing_file(path)
        if path.is_dir():
            raise DataFileError(f"{path} is a directory", "point local.path at the data file")
        if lowered.endswith(PARQUET_SUFFIXES):
            source, kind = str(path), "parquet"
        elif lowered.endswith(CSV_SUFFIXES):
            source, kind = str(scratch / "normalized.csv"), "csv"
            normalize_csv(self.config, Path(source))
        else:
            fix = "export it as CSV UTF-8" if lowered.endswith((".xlsx", ".xls")) else "use"
            raise DataFileError(
                f"{path}: unknown file type",
                f"{fix} (local.path must end in {', '.join(CSV_SUFFIXES + PARQUET_SUFFIXES)})",
            )
        con = duckdb.connect()
        try:
            raw = (
                con.read_parquet(source)
                if kind == "parquet"
                else con.read_csv(
                    source,
                    header=True,
                    all_varchar=True,
                    sep=",",
                    quotechar='"',
                    escapechar='"',
                )
            )
        except duckdb.Error as exc:
            con.close()
            raise DataFileError(
                f"{path} cannot be read as {kind} ({_first_line(exc)})", SAVE_AS_CSV
            ) from None
        types = dict(zip(raw.columns, (str(t) for t in raw.types), strict=True))
        wanted = self.columns.model_dump(include=set(FIELDS))
        missing = [f"{key} ({col!r})" for key, col in wanted.items() if col not in types]
        if missing:
            con.close()
            found = [name for name in types if name != LINE]
            hint = "set local.columns.<field> in the config to the file's column name"
            if len(found) == 1:
                hint = f"check local.delimiter; or {hint}"
            raise DataFileError(
                f"{path} has no column for {', '.join(missing)}; it has "
                f"{', '.join(repr(n) for n in found)}",
                hint,
            )
        raw.create_view("raw")
        c = {k: _ident(v) for k, v in wanted.items()}
        line = _ident(LINE) if LINE in types else "row_number() OVER ()"
        con.execute(
            f"""
            CREATE VIEW parsed AS SELECT
                {line} AS line, {c["date"]} AS raw_date, {c["amount"]} AS raw_amount,
                {_date_expr(c["date"], types[wanted["date"]])} AS date,
                nullif(trim(CAST({c["customer"]} AS VARCHAR)), '') AS customer,
                coalesce(nullif(trim(CAST({c["service"]} AS VARCHAR)), ''), '(unspecified)')
                    AS service,
                {_amount_expr(c["amount"], types[wanted["amount"]], self.config.decimal)}
                    AS amount
            FROM raw
            """
        )
        con.execute("CREATE VIEW revenue AS SELECT date, customer, service, amount FROM parsed")
        return con

    def _check_rows(self, con: duckdb.DuckDBPyConnection) -> None:
        """The first unreadable row stops the run, named by row, line and column."""
        amiss = "(amount IS NULL OR NOT isfinite(amount))"
        bad = f"date IS NULL OR {amiss} OR customer IS NULL"
        row = con.execute(f"SELECT count(*) FROM parsed WHERE {bad}").fetchone()
        if not row or not row[0]:
            return
        first = con.execute(
            f"""SELECT n, line, raw_date, raw_amount, date IS NULL, {amiss}
                FROM (SELECT row_number() OVER () AS n, * FROM parsed) WHERE {bad} LIMIT 1"""
        ).fetchone()
        assert first is not None
        n, line, raw_date, raw_amount, bad_date, bad_amount = first
        if bad_date:
            field, value = self.columns.date, raw_date
            fix = "use YYYY-MM-DD dates"
        elif bad_amount:
            field, value = self.columns.amount, raw_amount
            fix = _amount_fix(str(raw_amount), self.config.decimal)
        else:
            field, value = self.columns.customer, None
            fix = "every row needs a customer"
        where = f"row {n}" + (f" (line {line})" if not self._is_parquet else "")
        shown = "empty" if value in (None, "") else repr(str(value))
        more = f"; {row[0] - 1} more bad row(s)" if row[0] > 1 else ""
        raise DataFileError(f"{self.path} {where}: {field} is {shown}{more}", fix)

    @property
    def _is_parquet(self) -> bool:
        return self.path.name.lower().endswith(PARQUET_SUFFIXES)

    @contextmanager
    def _checked(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection over the file, every row checked, in a scratch dir removed after.
        Whatever the queries find wrong (no rows before the as-of date) is the file's
        content, so the user's to fix: a DataFileError."""
        with tempfile.TemporaryDirectory(prefix="spend-monitor-") as scratch:
            con = self._connect(Path(scratch))
            try:
                # Past the cap (DuckDB's default is most of the machine), aggregates spill to
                # the scratch dir.
                con.execute(f"SET temp_directory = '{scratch}'")
                con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
                con.execute(f"SET threads = {DUCKDB_THREADS}")
                self._check_rows(con)
                if not self._is_parquet:
                    _read_once(con, Path(scratch) / "typed.parquet")
                yield con
            except DataFileError:
                raise
            except SourceError as exc:
                raise DataFileError(exc.message, exc.hint) from None
            finally:
                con.close()

    def _execute(
        self, con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
    ) -> duckdb.DuckDBPyConnection:
        """Run a shared statement on DuckDB, whose parameters are written `$name`."""
        native = _PARAM.sub(r"$\1", sql)
        names = set(re.findall(r"\$(\w+)", native))
        return con.execute(native, {k: params[k] for k in names})

    def _query(self, con: duckdb.DuckDBPyConnection) -> q.Query:
        import duckdb

        def run(sql: str, params: dict[str, Any]) -> q.Rows:
            try:
                return self._execute(con, sql, params).fetchall()
            except duckdb.Error as exc:
                raise DataFileError(f"{self.path}: query failed ({_first_line(exc)})") from None

        return run

    def _columns(self, con: duckdb.DuckDBPyConnection) -> q.ColumnQuery:
        import duckdb

        def run(sql: str, params: dict[str, Any]) -> q.Columns:
            try:
                return list(self._execute(con, sql, params).fetchnumpy().values())
            except duckdb.Error as exc:
                raise DataFileError(f"{self.path}: query failed ({_first_line(exc)})") from None

        return run

    def _fetch(
        self, as_of: date, customers: Sequence[str] | None, since: date | None
    ) -> RevenueSnapshot:
        with self._checked() as con:
            return q.fetch_aggregates(
                self._query(con),
                CUSTOMER_FILTER,
                "local",
                self.path.name,
                as_of,
                customers,
                since,
                self.thresholds,
                self._columns(con),
            )

    def _status(self, as_of: date) -> SourceStatus:
        with self._checked() as con:
            period, count = q.rows_in_window(self._query(con), as_of, str(self.path))
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


def _read_once(con: duckdb.DuckDBPyConnection, typed: Path) -> None:
    """Parse the checked CSV once into a typed Parquet file in the scratch dir and point
    `revenue` at it: every later query scans columns instead of re-parsing text (a CSV was
    parsed once per query before), and the rows stay on disk, not in memory."""
    where = str(typed).replace("'", "''")
    con.execute(f"COPY (SELECT date, customer, service, amount FROM parsed) TO '{where}'")
    con.execute(f"CREATE OR REPLACE VIEW revenue AS SELECT * FROM read_parquet('{where}')")


def _amount_fix(raw: str, decimal: str) -> str:
    """What to do about an amount that is not a finite number in the documented shape."""
    if raw.strip().lower().lstrip("+-") in {"nan", "inf", "infinity"} or (
        re.fullmatch(r"[-+]?[\d.,]+[eE][-+]?\d+", raw.strip())
    ):
        return "amounts must be finite numbers: fix or remove that row"
    other = "," if decimal == "." else "."
    if re.fullmatch(
        rf"[-+]?[\d{re.escape(other)}]*{re.escape(decimal)}\d{{3}}"
        rf"({re.escape(decimal)}\d{{3}})*{re.escape(other)}\d+",
        raw.strip(),
    ):
        return f'this looks like a decimal {other!r}: set local.decimal to "{other}"'
    return f"use a plain number such as 1234{decimal}56 (local.decimal is {decimal!r})"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

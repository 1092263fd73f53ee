"""Local CSV (optionally gzipped) or Parquet files, read and aggregated by DuckDB.

Rows are (date, customer, service, amount); many rows per day and customer are summed in the
database. Parsing is explicit, never sniffed (docs/configuration.md, "Reading local files"): a
CSV is read by DuckDB with the configured delimiter, header and decimal separator, strictly, into
a typed scratch Parquet file. Only when DuckDB or the row checks find anything amiss is the file
read again line by line by Python's csv module (UTF-8 with or without BOM, LF and CR LF in any
mix), which keeps each row's line number: that slow pass names the line, or reads a file DuckDB
would not. Any failure is one DataFileError naming the file, the line or row and column, and
the fix; a value that cannot be parsed is never dropped or read as 0.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import itertools
import re
import tempfile
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import anyio.to_thread
import numpy as np

from ..config import Columns, LocalConfig
from ..domain.columns import MAX_AMOUNT
from ..domain.models import SourceName, Thresholds
from ..errors import DataFileError, SourceError
from . import aggregate_sql as q
from .base import RevenueSnapshot, SourceStatus

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")
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
# The same shape at its barest — a sign, digits, a decimal part — read with no clean-up.
_BARE_AMOUNT = {".": r"^-?\d+(\.\d+)?$", ",": r"^-?\d+(,\d+)?$"}
_NOT_TEXT = {
    b"PK\x03\x04": "is a ZIP or Excel (.xlsx) file, not CSV",
    b"\xff\xfe": "is UTF-16 text, not UTF-8",
    b"\xfe\xff": "is UTF-16 text, not UTF-8",
    b"\xd0\xcf\x11\xe0": "is an old Excel (.xls) file, not CSV",
    b"PAR1": "is a Parquet file with a CSV name",
}
SAVE_AS_CSV = "save it as CSV UTF-8 (comma delimited) and point local.path at it"
# An amount missing, not a number, infinite or too large to sum exactly. Not to be written
# as a range (`amount < …`): DuckDB then answers it from a Parquet file's row-group ranges,
# and the ranges other writers (pyarrow) store leave NaN out, so it would miss a NaN
# (duckdb/duckdb#25521; tests/test_local_source.py has such a file).
_AMOUNT_AMISS = f"(amount IS NULL OR NOT isfinite(amount) OR abs(amount) >= {MAX_AMOUNT})"
_BAD_ROW = f"date IS NULL OR {_AMOUNT_AMISS} OR customer IS NULL"
# A raw name (`name`) that is blank or that trimming would change.
_UNTIDY = "name IS NULL OR name = '' OR name <> trim(name)"


# DuckDB's memory cap (docs/performance.md): lower caps make its aggregates spill at 50,000
# customers without lowering the peak. Its threads are all the cores; a statement the
# aggregate queries mark narrow (`q.ColumnQuery`) runs in slices instead (`_in_slices`) when
# the book has more customers than SLICED_ABOVE. Below that, every thread's share of the
# state is small and one statement is faster (measured on 2 cores: 0.15 s against 0.22 s at
# 10,000 customers); at 50,000 it was still faster (0.87 s against 1.0 s) but peaked 130 MB
# higher (653 MB against 520 MB), at 30,000 20 MB higher.
DUCKDB_MEMORY = "1GB"
SLICED_ABOVE = 20_000


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
    """A typed number as it is; text only when it matches the documented shape exactly. The
    commonest shape, a bare number such as -1234.56, is tried first: it needs no clean-up, and
    the whole check costs a CSV of millions of rows a second less."""
    if type_name in {"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT", "SMALLINT"} or (
        type_name.startswith("DECIMAL")
    ):
        return f"CAST({column} AS DOUBLE)"
    raw = f"CAST({column} AS VARCHAR)"
    bare = f"replace({raw}, ',', '.')" if decimal == "," else raw
    text = f"regexp_replace({raw}, '[\\s$€£¥]', '', 'g')"
    plain = (
        f"replace({text}, ',', '')"
        if decimal == "."
        else (f"replace(replace({text}, '.', ''), ',', '.')")
    )
    return (
        f"CASE WHEN regexp_full_match({raw}, '{_BARE_AMOUNT[decimal]}') "
        f"THEN TRY_CAST({bare} AS DOUBLE) "
        f"WHEN regexp_full_match({text}, '{_AMOUNT_PATTERN[decimal]}') "
        f"THEN TRY_CAST({plain} AS DOUBLE) END"
    )


def _name_expr(column: str, trim: bool, blank: str = "NULL") -> str:
    """A customer or service name as text: trimmed, `blank` when empty, unless `trim` is
    False (the names are known tidy)."""
    text = f"CAST({column} AS VARCHAR)"
    if not trim:
        return text
    return f"coalesce(nullif(trim({text}), ''), {blank})"


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


def _delimiter(config: LocalConfig) -> str:
    return config.delimiter or ("\t" if ".tsv" in config.path.name.lower() else ",")


def _strict_rows(config: LocalConfig) -> Generator[tuple[int, list[str]], None, None]:
    """The user's CSV read strictly — UTF-8 with or without BOM, CRLF and LF line endings in any
    mix, the configured delimiter — as (line, fields) for every row that is not blank, the line
    being where the row ends in the user's file. A file that is not text, a line that is not
    UTF-8 or holds binary data, and a quoting error stop the read naming the line."""
    path = config.path
    line = 0
    try:
        with _open_bytes(path) as raw:
            head = raw.read(8)
        for magic, what in _NOT_TEXT.items():
            if head.startswith(magic):
                raise DataFileError(f"{path} {what}", SAVE_AS_CSV)
        with _open_bytes(path) as raw:
            numbered = _DecodedLines(raw)
            delimiter = _delimiter(config)
            # A space before a quoted field is skipped, as DuckDB's reader skips it (the
            # fast path), so `, "Acme"` is Acme on both paths; values are trimmed after.
            for row in csv.reader(
                numbered,
                delimiter=delimiter,
                quotechar='"',
                strict=True,
                skipinitialspace=delimiter != " ",
            ):
                line = numbered.line
                if not row or all(not cell.strip() for cell in row):
                    continue
                if any("\x00" in cell for cell in row):
                    raise DataFileError(f"{path} line {line} holds binary data", SAVE_AS_CSV)
                yield line, row
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


def normalize_csv(config: LocalConfig, out: Path) -> list[str]:
    """Read the user's CSV strictly (`_strict_rows`), check every row has the header's number
    of fields, and write it as plain CSV for DuckDB with each row's line number in the user's
    file. Returns the column names. The slow pass: run only when DuckDB alone found a problem."""
    path = config.path
    rows = 0
    names: list[str] | None = None if config.header else _positional(config)
    with out.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        if names is not None:
            writer.writerow([LINE, *names])
        for line, row in _strict_rows(config):
            if names is None:
                names = [cell.strip() for cell in row]
                writer.writerow([LINE, *names])
                continue
            if len(row) != len(names):
                raise DataFileError(
                    f"{path} line {line} has {len(row)} field(s), the header has {len(names)}",
                    f"check local.delimiter (now {_delimiter(config)!r}) and the quoting of "
                    "that line",
                )
            writer.writerow([line, *row])
            rows += 1
    if names is None or (rows == 0 and not config.header):
        raise DataFileError(f"{path} is empty", "export the revenue data into it")
    if rows == 0:
        raise DataFileError(f"{path} has a header but no data rows", "export the data into it")
    return names


def _plain_names(config: LocalConfig) -> list[str] | None:
    """The column names when DuckDB can read the file alone: its first row on line 1 (the
    header, if there is one) and the names unique and not empty; else None. The first row is
    read strictly, so a file that is not text stops here with its own message."""
    rows = _strict_rows(config)
    try:
        first = next(rows, None)
    finally:
        rows.close()
    if first is None or first[0] != 1:
        return None
    names = [cell.strip() for cell in first[1]] if config.header else _positional(config)
    return names if all(names) and len(set(names)) == len(names) else None


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

    def _kind(self) -> str:
        """The file's kind by its suffix ("parquet" or "csv"), once the file is there."""
        path = self.path
        lowered = path.name.lower()
        if not path.exists():
            raise _missing_file(path)
        if path.is_dir():
            raise DataFileError(f"{path} is a directory", "point local.path at the data file")
        if lowered.endswith(PARQUET_SUFFIXES):
            return "parquet"
        if lowered.endswith(CSV_SUFFIXES):
            return "csv"
        fix = "export it as CSV UTF-8" if lowered.endswith((".xlsx", ".xls")) else "use"
        raise DataFileError(
            f"{path}: unknown file type",
            f"{fix} (local.path must end in {', '.join(CSV_SUFFIXES + PARQUET_SUFFIXES)})",
        )

    def _load(self, con: duckdb.DuckDBPyConnection, scratch: Path) -> None:
        """Point `revenue` at the file's rows, every row checked: a Parquet file as it is, a
        CSV as a typed Parquet copy in `scratch` — by DuckDB alone when it can, else by the
        strict pass, which names what is wrong."""
        typed = scratch / "typed.parquet"
        if self._kind() == "parquet":
            bad = self._open_parquet(con, str(self.path), self.columns)
            if bad:
                self._bad_rows(con, bad)
        elif not self._read_csv_fast(con, typed):
            normalized = scratch / "normalized.csv"
            normalize_csv(self.config, normalized)
            self._parse(con, self._scan(con, "csv", str(normalized)), _ident(LINE))
            self._check_rows(con)
            _read_once(con, typed)

    def _scan(
        self, con: duckdb.DuckDBPyConnection, kind: str, source: str
    ) -> duckdb.DuckDBPyRelation:
        """The Parquet file, or the strict pass's plain CSV, as DuckDB reads it."""
        import duckdb

        try:
            if kind == "parquet":
                return con.read_parquet(source)
            return con.read_csv(
                source, header=True, all_varchar=True, sep=",", quotechar='"', escapechar='"'
            )
        except duckdb.Error as exc:
            raise DataFileError(
                f"{self.path} cannot be read as {kind} ({_first_line(exc)})", SAVE_AS_CSV
            ) from None

    def _open_parquet(self, con: duckdb.DuckDBPyConnection, path: str, columns: Columns) -> int:
        """Point `revenue` at a Parquet file's rows (its `columns` named so); returns how
        many are unreadable. Names are read as they are when they are tidy (`_survey`)."""
        scan = self._scan(con, "parquet", path)
        self._parse(con, scan, "NULL", columns=columns)
        bad, tidy = self._survey(con)
        if tidy:
            self._parse(con, scan, "NULL", trim=False, columns=columns)
        return bad

    def _read_csv_fast(self, con: duckdb.DuckDBPyConnection, typed: Path) -> bool:
        """DuckDB alone reads the user's CSV strictly (the configured delimiter and header,
        every field text, a row of the wrong length or a bad quote refused) into `typed`, and
        every row passes the checks: True. False when DuckDB refuses the file, a field holds
        binary data, a row fails a check or there is no row: the strict pass then names the
        line, or reads what DuckDB would not (LF and CR LF mixed, blank lines before the header).
        """
        import duckdb

        names = _plain_names(self.config)
        if names is None:
            return False
        cells = [_ident(name) for name in names]
        blank = " AND ".join(f"coalesce(trim({cell}), '') = ''" for cell in cells)
        # A NUL in a date or an amount already fails that row's check.
        texts = [_ident(n) for n in names if n not in (self.columns.date, self.columns.amount)]
        binary = " OR ".join(f"contains({cell}, chr(0))" for cell in texts) or "false"
        try:
            scan = con.read_csv(
                str(self.path),
                header=self.config.header,
                sep=_delimiter(self.config),
                quotechar='"',
                escapechar='"',
                columns=dict.fromkeys(names, "VARCHAR"),
                auto_detect=False,
                strict_mode=True,
                null_padding=False,
            )
            rows = scan.filter(
                f"NOT ({blank}) AND CASE WHEN {binary} THEN error('binary data') ELSE true END"
            )
            # Names are copied as they are, then checked like a Parquet file's: trimming
            # every row on the way was a sixth of copying 9,000,000 rows (0.29 of 1.95 s).
            self._parse(con, rows, "NULL", trim=False)
            if not _read_once(con, typed):
                return False
            bad = self._open_parquet(con, str(typed), Columns())
        except duckdb.InterruptException:
            raise
        except duckdb.Error:  # refused: the strict pass says why, or reads it all the same
            return False
        return bad == 0

    def _survey(self, con: duckdb.DuckDBPyConnection) -> tuple[int, bool]:
        """How many rows are unreadable (as `_check_rows` counts them), and whether the names
        need no trimming (none blank, none with spaces around it). With tidy names every
        query reads them as they are: trimming every row in every query was a fifth of the
        time at 50,000 customers, and a file's names are almost always tidy. Each distinct
        name is asked once; with none blank, a row is unreadable only for its date or its
        amount, counted without grouping the rows."""

        def untidy(name: str, rows: str) -> bool:
            names = f"SELECT DISTINCT {name} AS name FROM {rows}"
            return _count(con, f"SELECT count(*) FROM ({names}) WHERE {_UNTIDY}") > 0

        if untidy("raw_customer", "parsed"):
            return _count(con, f"SELECT count(*) FROM parsed WHERE {_BAD_ROW}"), False
        bad = _count(con, f"SELECT count(*) FROM parsed WHERE date IS NULL OR {_AMOUNT_AMISS}")
        return bad, not untidy("raw_service", "parsed")

    def _parse(
        self,
        con: duckdb.DuckDBPyConnection,
        raw: duckdb.DuckDBPyRelation,
        line: str,
        trim: bool = True,
        columns: Columns | None = None,
    ) -> None:
        """Views over `raw`: `parsed`, every row typed beside its raw date and amount and its
        `line` in the user's file (an SQL expression, NULL when there is none), and `revenue`,
        the four columns the queries read. Names are trimmed, a blank customer is NULL and a
        blank service "(unspecified)", unless `trim` is False (the names are known tidy).
        `columns`: what `raw` calls the four, by default the configured names."""
        types = dict(zip(raw.columns, (str(t) for t in raw.types), strict=True))
        wanted = (columns or self.columns).model_dump(include=set(FIELDS))
        missing = [f"{key} ({col!r})" for key, col in wanted.items() if col not in types]
        if missing:
            found = [name for name in types if name != LINE]
            hint = "set local.columns.<field> in the config to the file's column name"
            if len(found) == 1:
                hint = f"check local.delimiter; or {hint}"
            raise DataFileError(
                f"{self.path} has no column for {', '.join(missing)}; it has "
                f"{', '.join(repr(n) for n in found)}",
                hint,
            )
        # A view of the database, not of this connection, so `_in_slices`' connections see it.
        con.execute(f"CREATE OR REPLACE VIEW raw AS {raw.sql_query()}")
        c = {k: _ident(v) for k, v in wanted.items()}
        con.execute(
            f"""
            CREATE OR REPLACE VIEW parsed AS SELECT
                {line} AS line, {c["date"]} AS raw_date, {c["amount"]} AS raw_amount,
                CAST({c["customer"]} AS VARCHAR) AS raw_customer,
                CAST({c["service"]} AS VARCHAR) AS raw_service,
                {_date_expr(c["date"], types[wanted["date"]])} AS date,
                {_name_expr(c["customer"], trim)} AS customer,
                {_name_expr(c["service"], trim, "'(unspecified)'")} AS service,
                {_amount_expr(c["amount"], types[wanted["amount"]], self.config.decimal)}
                    AS amount
            FROM raw
            """
        )
        con.execute(
            "CREATE OR REPLACE VIEW revenue AS SELECT date, customer, service, amount FROM parsed"
        )

    def _check_rows(self, con: duckdb.DuckDBPyConnection) -> None:
        """The first unreadable row stops the run, named by row, line and column."""
        bad = _count(con, f"SELECT count(*) FROM parsed WHERE {_BAD_ROW}")
        if bad:
            self._bad_rows(con, bad)

    def _bad_rows(self, con: duckdb.DuckDBPyConnection, bad: int) -> NoReturn:
        """Name the first of the `bad` unreadable rows."""
        first, *_ = con.execute(
            f"""SELECT n, line, raw_date, raw_amount, date IS NULL, {_AMOUNT_AMISS}
                FROM (SELECT row_number() OVER () AS n, * FROM parsed) WHERE {_BAD_ROW}
                LIMIT 1"""
        ).fetchall()
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
        where = f"row {n}" + (f" (line {line})" if line is not None else "")
        shown = "empty" if value in (None, "") else repr(str(value))
        more = f"; {bad - 1} more bad row(s)" if bad > 1 else ""
        raise DataFileError(f"{self.path} {where}: {field} is {shown}{more}", fix)

    @contextmanager
    def _checked(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection over the file, every row checked, in a scratch dir removed after.
        Whatever the queries find wrong (no rows before the as-of date) is the file's
        content, so the user's to fix: a DataFileError."""
        import duckdb

        with tempfile.TemporaryDirectory(prefix="spend-monitor-") as scratch:
            con = duckdb.connect()
            try:
                # Past the cap (DuckDB's default is most of the machine), aggregates spill to
                # the scratch dir.
                con.execute(f"SET temp_directory = {_literal(scratch)}")
                con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
                self._load(con, Path(scratch))
                yield con
            except DataFileError:
                raise
            except SourceError as exc:
                raise DataFileError(exc.message, exc.hint) from None
            finally:
                con.close()

    def _run(
        self,
        con: duckdb.DuckDBPyConnection,
        sql: str,
        params: dict[str, Any],
        read: Callable[[duckdb.DuckDBPyConnection], T],
    ) -> T:
        """Run a shared statement on DuckDB (its parameters are written `$name`) and read the
        answer."""
        native = _PARAM.sub(r"$\1", sql)
        names = set(re.findall(r"\$(\w+)", native))
        return self._translated(lambda: read(con.execute(native, {k: params[k] for k in names})))

    def _translated(self, action: Callable[[], T]) -> T:
        """`action`'s result; whatever DuckDB reports is the file's problem, named in one
        line."""
        import duckdb

        try:
            return action()
        except duckdb.Error as exc:
            raise DataFileError(f"{self.path}: query failed ({_first_line(exc)})") from None

    def _query(self, con: duckdb.DuckDBPyConnection) -> q.Query:
        return lambda sql, params: self._run(con, sql, params, lambda answer: answer.fetchall())

    def _numbering(self, con: duckdb.DuckDBPyConnection) -> q.Numbering:
        """The customers numbered once into a table the three queries join (each would
        otherwise read the file's customers again); a table of the database, not of this
        connection, so `_in_slices`' connections see it."""

        def run(sql: str, params: dict[str, Any]) -> str:
            self._run(con, f"CREATE OR REPLACE TABLE ids AS {sql}", params, lambda _: None)
            return "ids"

        return run

    def _columns(self, con: duckdb.DuckDBPyConnection) -> q.ColumnQuery:
        def run(sql: str, params: dict[str, Any], narrow: bool) -> q.Columns:
            if narrow and _count(con, "SELECT count(*) FROM ids") > SLICED_ABOVE:
                return self._in_slices(con, sql, params)
            return self._run(con, sql, params, _arrays)

        return run

    def _in_slices(
        self, con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
    ) -> q.Columns:
        """A narrow statement, once per slice of the customers (by name, cut at the numbered
        customers' quantiles), each slice on a connection and a thread of its own, the
        answers put together. DuckDB on all threads keeps one table of every group per thread
        (see SLICED_ABOVE); on one thread it took twice as long. Slices give nearly the time
        of all threads and the memory of one."""
        slices = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
        cuts = [
            row[0]
            for row in con.execute(
                "SELECT customer FROM ids WHERE id > 0 AND "
                "id % greatest(1, (SELECT count(*) FROM ids) // $n) = 0 ORDER BY id LIMIT $n - 1",
                {"n": slices},
            ).fetchall()
        ]
        if not cuts or any("\x00" in cut for cut in cuts):
            return self._run(con, sql, params, _arrays)
        edges = [None, *cuts, None]
        # The database's own `revenue` (a temporary view of that name stands for the slice).
        book = _ident(str(con.execute("SELECT current_database()").fetchall()[0][0]))

        def run(edge: tuple[str | None, str | None]) -> q.Columns:
            low, high = edge
            bounds = [f"customer >= {_literal(low)}" if low is not None else "true"]
            if high is not None:
                bounds.append(f"customer < {_literal(high)}")
            view = (
                f"CREATE TEMP VIEW revenue AS SELECT * FROM {book}.main.revenue "
                f"WHERE {' AND '.join(bounds)}"
            )
            part = con.cursor()
            try:
                self._translated(lambda: part.execute(view))
                return self._run(part, sql, params, _arrays)
            finally:
                part.close()

        con.execute("SET threads = 1")
        try:
            with ThreadPoolExecutor(max_workers=len(edges) - 1) as pool:
                answers = list(pool.map(run, itertools.pairwise(edges)))
        finally:
            con.execute("RESET threads")
        return [np.concatenate(columns) for columns in zip(*answers, strict=True)]

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
                self._numbering(con),
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


def _read_once(con: duckdb.DuckDBPyConnection, typed: Path) -> int:
    """Parse the CSV once into a typed Parquet file in the scratch dir and point `revenue` at
    it: every later query scans columns instead of re-parsing text, and the rows stay on disk,
    not in memory. In any row order (the sums do not depend on it): DuckDB then reads and
    writes in parallel. Returns the number of rows."""
    where = _literal(str(typed))
    con.execute("SET preserve_insertion_order = false")
    try:
        copied = _count(
            con, f"COPY (SELECT date, customer, service, amount FROM parsed) TO {where}"
        )
    finally:
        con.execute("RESET preserve_insertion_order")
    con.execute(
        "CREATE OR REPLACE VIEW revenue AS SELECT date, customer, service, amount "
        f"FROM read_parquet({where})"
    )
    return copied


def _arrays(answer: duckdb.DuckDBPyConnection) -> q.Columns:
    """An answer as one array per column (no Python object per value)."""
    return list(answer.fetchnumpy().values())


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The one number `sql` returns, its result read to the end (DuckDB refuses other work on
    a connection while a result is unfinished)."""
    ((count,),) = con.execute(sql).fetchall()
    return int(count)


def _amount_fix(raw: str, decimal: str) -> str:
    """What to do about an amount that is not a finite number in the documented shape."""
    if raw.strip().lower().lstrip("+-") in {"nan", "inf", "infinity"} or (
        re.fullmatch(r"[-+]?[\d.,]+[eE][-+]?\d+", raw.strip())
    ):
        return "amounts must be finite numbers: fix or remove that row"
    other = "," if decimal == "." else "."
    plain = re.sub(rf"[\s$€£¥{re.escape(other)}]", "", raw).replace(decimal, ".")
    if re.fullmatch(r"[-+]?\d+(\.\d+)?", plain) and abs(float(plain)) >= MAX_AMOUNT:
        return f"amounts must be under {MAX_AMOUNT:,}: fix or remove that row"
    if re.fullmatch(
        rf"[-+]?[\d{re.escape(other)}]*{re.escape(decimal)}\d{{3}}"
        rf"({re.escape(decimal)}\d{{3}})*{re.escape(other)}\d+",
        raw.strip(),
    ):
        return f'this looks like a decimal {other!r}: set local.decimal to "{other}"'
    return f"use a plain number such as 1234{decimal}56 (local.decimal is {decimal!r})"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

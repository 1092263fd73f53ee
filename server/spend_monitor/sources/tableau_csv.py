"""A Tableau view's CSV answer, read as it arrives and summed as it goes.

A whole-book view is ~100 MB of display-formatted CSV (3,000,000 rows); holding it, or its rows,
costs over a gigabyte. `CsvStream` decodes the bytes incrementally and hands blocks of complete
rows to a `ViewRows`, which adds them to one answer's `Collected` and keeps no row. Answers are
checked whole before their amounts count (`Incomplete`): the caller merges an answer's
`Collected` into the run's only once the answer is known to be complete, so a cut answer never
becomes a partial sum.

`ViewRows` reads a block column by column when every cell is plain ("$1,234.56", a date seen
before): that is the rows of a healthy view, at C speed. A block with anything else is read row
by row through the careful parsers of display_values, which decide what a cell means; the two
paths agree on every block (tests/test_tableau_stream.py).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, groupby, repeat
from typing import Literal, Protocol, TypeVar

import numpy as np

from ..config import TableauColumns
from ..domain.columns import MAX_AMOUNT
from .display_values import parse_amount, parse_day, parse_month

ViewKey = Literal["daily_revenue", "monthly_revenue", "service_breakdown"]
UNSPECIFIED = "(unspecified)"
# Deletes every character a plain amount column may hold: what is left is not plain.
_NOT_PLAIN = str.maketrans("", "", "0123456789.,-$\n")
K = TypeVar("K", str, tuple[str, str])


class Incomplete(Exception):
    """An answer visibly cut short or damaged; the message says how."""


@dataclass
class Block:
    """Complete rows of an answer, `first` numbering the first from 1 after the header; column
    by column when every row has the header's width, else as rows."""

    first: int
    count: int
    columns: Sequence[Sequence[str]] | None = None
    ragged: list[list[str]] | None = None

    def rows(self) -> list[list[str]]:
        if self.ragged is not None:
            return self.ragged
        return [list(row) for row in zip(*(self.columns or ()), strict=True)]


class RowSink(Protocol):
    def header(self, columns: list[str]) -> None: ...

    def rows(self, block: Block) -> None: ...


class Header:
    """A view's columns alone (what `check` reports)."""

    def __init__(self) -> None:
        self.columns: list[str] = []

    def header(self, columns: list[str]) -> None:
        self.columns = columns

    def rows(self, block: Block) -> None:
        pass


class CsvStream:
    """Bytes in, blocks of complete CSV rows out (`first` numbers a block's first row from 1,
    after the header). A record is only parsed once its closing newline has arrived, even
    when a quoted value holds a newline."""

    def __init__(self, sink: RowSink) -> None:
        self._sink = sink
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._pending = ""
        self._width: int | None = None
        self._last_width: int | None = None
        self._rows = 0

    def feed(self, chunk: bytes, final: bool = False) -> None:
        try:
            text = self._pending + self._decoder.decode(chunk, final)
        except UnicodeDecodeError:
            raise Incomplete("the bytes do not decode as UTF-8") from None
        end = len(text) if final else text.rfind("\n") + 1
        # A newline inside quotes does not end a record: back up to one that does.
        while end > 0 and not final and text.count('"', 0, end) % 2:
            end = text.rfind("\n", 0, end - 1) + 1
        self._pending = text[end:]
        if end:
            self._parse(text[:end])

    def _parse(self, text: str) -> None:
        width = self._width
        columns = plain_columns(text, width) if width and text.endswith("\n") else None
        if columns is not None:
            count = len(columns[0])
            self._last_width = width
            self._sink.rows(Block(self._rows + 1, count, columns=columns))
            self._rows += count
            return
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error as exc:
            raise Incomplete(f"a line the CSV reader rejects: {exc}") from None
        if [] in rows:  # blank lines hold no row
            rows = [row for row in rows if row]
        if rows and width is None:
            header = rows.pop(0)
            width = self._width = len(header)
            self._sink.header(header)
        if not rows:
            return
        self._last_width = len(rows[-1])
        if set(map(len, rows)) == {width}:
            block = Block(self._rows + 1, len(rows), columns=list(zip(*rows, strict=True)))
        else:
            block = Block(self._rows + 1, len(rows), ragged=rows)
        self._sink.rows(block)
        self._rows += len(rows)

    def close(self, expected_bytes: int | None = None, received_bytes: int = 0) -> None:
        """The end of the body: raises `Incomplete` when it is visibly short of the whole."""
        if expected_bytes is not None and expected_bytes != received_bytes:
            raise Incomplete(f"{received_bytes} of {expected_bytes} bytes")
        self.feed(b"", final=True)
        if self._width is not None and self._last_width not in (None, self._width):
            raise Incomplete(f"its last line has {self._last_width} of {self._width} fields")


@dataclass
class Series:
    """Amounts by day (or month) as they arrived: days and values side by side, compact (a
    whole book of them is kept until the snapshot is built). A day may come twice: `amounts`
    sums repeats exactly, so the order rows arrived in never changes a cent."""

    days: list[date] = field(default_factory=list)
    values: array[float] = field(default_factory=lambda: array("d"))

    def extend(self, days: Sequence[date], values: Iterable[float]) -> None:
        self.days.extend(days)
        self.values.extend(values)

    def amounts(self) -> dict[date, float]:
        found = dict(zip(self.days, self.values, strict=True))
        if len(found) == len(self.days):
            return found
        repeated: dict[date, list[float]] = {}
        for day, value in zip(self.days, self.values, strict=True):
            repeated.setdefault(day, []).append(value)
        return {day: math.fsum(values) for day, values in repeated.items()}


@dataclass
class Collected:
    """What answers came to: amounts by customer (and service line), who was seen, and the
    first unreadable row per customer in each view (kept per view, so which one is reported
    does not depend on which answer came first)."""

    daily: dict[str, Series] = field(default_factory=dict)
    monthly: dict[str, Series] = field(default_factory=dict)
    by_service: dict[tuple[str, str], Series] = field(default_factory=dict)
    service_by_day: bool = False
    seen: set[str] = field(default_factory=set)
    problems: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: int = 0

    def merge(self, other: Collected) -> None:
        _merge(self.daily, other.daily)
        _merge(self.monthly, other.monthly)
        _merge(self.by_service, other.by_service)
        self.service_by_day = self.service_by_day or other.service_by_day
        self.seen |= other.seen
        for view, found in other.problems.items():
            for who, why in found.items():
                self.problems.setdefault(view, {}).setdefault(who, why)
        self.rows += other.rows

    def problem(self, who: str) -> str | None:
        """The first unreadable row of `who`, in view order."""
        for view in ("daily_revenue", "monthly_revenue", "service_breakdown"):
            found = self.problems.get(view, {}).get(who)
            if found is not None:
                return found
        return None


def plain_columns(text: str, width: int) -> list[list[str]] | None:
    """The columns of complete CSV records (`text` ends with a newline) split by str methods
    alone, when no field needs the csv module's care: quotes only around whole fields, no
    quote, newline or carriage return inside one, no blank line, every line `width` fields.
    None otherwise (the caller then reads them with the csv module, which agrees on every
    text this accepts)."""
    if "\r" in text or '""' in text or "\x00" in text or "\x01" in text:
        return None
    parts = text.split('"')
    quoted = len(parts) > 1
    if quoted:
        inside = "\x01".join(parts[1::2])
        # Each quoted field, marked \x01 between what is outside quotes, must be a whole field.
        outside = "\n" + "\x01".join(parts[0::2])
        whole = sum(outside.count(a + "\x01" + b) for a in ",\n" for b in ",\n")
        if len(parts) % 2 == 0 or "\n" in inside or whole != outside.count("\x01"):
            return None
        # Commas inside quotes are kept as \x00 while the fields are split, then put back.
        parts[1::2] = inside.replace(",", "\x00").split("\x01")
        text = "".join(parts)
    lines = text.split("\n")
    lines.pop()
    if not lines or "" in lines or set(map(str.count, lines, repeat(","))) != {width - 1}:
        return None
    fields = ",".join(lines).split(",")
    columns = [fields[i::width] for i in range(width)]
    if quoted:
        for i, column in enumerate(columns):
            joined = "\x01".join(column)
            if "\x00" in joined:
                columns[i] = joined.replace("\x00", ",").split("\x01")
    return columns


def _merge(mine: dict[K, Series], theirs: dict[K, Series]) -> None:
    for key, series in theirs.items():
        if key in mine:
            mine[key].extend(series.days, series.values)
        else:
            mine[key] = series


def _extend(
    table: dict[K, Series], keys: Iterable[K], days: list[date], values: Sequence[float]
) -> None:
    """Rows into their series, a run of rows for the same series at a time (a view sorted by
    customer comes in runs of dozens)."""
    start = 0
    for key, run in groupby(keys):
        end = start + len(list(run))
        series = table.get(key)
        if series is None:
            series = table[key] = Series()
        series.extend(days[start:end], values[start:end])
        start = end


def plain_amounts(cells: Sequence[str]) -> array[float] | None:
    """Every cell's amount when each is plain — `1234.5`, `$1,234.56`, `-$7.00` — read in a few
    passes over the whole column; None when any cell needs `parse_amount`'s care. For a plain
    cell the two agree exactly (commas and a leading `$` dropped, `\\d+(\\.\\d+)?` left)."""
    joined = "\n" + "\n".join(cells) + "\n"
    if joined.translate(_NOT_PLAIN) or joined.count("\n") != len(cells) + 1:
        return None
    # Under 300 characters a number is finite (parse_amount refuses what is not).
    if max(map(len, cells)) >= 300:
        return None
    # A sign only first in a cell, a `$` only first or after the sign.
    if joined.count("-") != joined.count("\n-"):
        return None
    if joined.count("$") != joined.count("\n$") + joined.count("\n-$"):
        return None
    cleaned = joined.replace(",", "").replace("$", "")
    if "\n." in cleaned or ".\n" in cleaned or "-." in cleaned:
        return None
    try:
        values = array("d", map(float, cleaned[1:-1].split("\n")))
    except ValueError:
        return None
    # A number too large to sum exactly is parse_amount's to refuse.
    if np.abs(np.frombuffer(values, dtype=np.float64)).max(initial=0.0) >= MAX_AMOUNT:
        return None
    return values


class ViewRows:
    """One answer of one view, summed into `got` by customer (and service line) and day; rows
    dated `as_of` or later are ignored, and a row that cannot be read marks its customer
    (never counts as 0)."""

    def __init__(
        self,
        key: ViewKey,
        columns: TableauColumns,
        as_of: date,
        check: Callable[[str, list[str], list[str]], None],
    ) -> None:
        self.key = key
        self.names = columns
        self.as_of = as_of
        self._check = check
        self.got = Collected()
        self.columns: list[str] = []
        # Each distinct date caption read once: what it means, and the valid ones alone.
        self._when: dict[str, date | None] = {}
        self._day: dict[str, date] = {}

    def header(self, columns: list[str]) -> None:
        names = self.names
        self.columns = columns
        self.by_day = names.date in columns
        self.when_column = names.date if self.by_day else names.month
        needed = [names.customer, names.amount, self.when_column]
        if self.key == "service_breakdown":
            needed.append(names.service)
            self.got.service_by_day = self.by_day
        self._check(self.key, columns, needed)
        self._at = {name: columns.index(name) for name in needed}

    def rows(self, block: Block) -> None:
        self.got.rows += block.count
        if block.columns is None or not self._plain(block.columns):
            self._careful(block.rows(), block.first)

    def _read_when(self, caption: str) -> date | None:
        if caption not in self._when:
            found = self._when[caption] = (parse_day if self.by_day else parse_month)(caption)
            if found is not None:
                self._day[caption] = found
        return self._when[caption]

    def _plain(self, cells: Sequence[Sequence[str]]) -> bool:
        """The fast path: False (nothing added) when a row is anything but plain."""
        at = self._at
        who = list(map(str.strip, cells[at[self.names.customer]]))
        captions = cells[at[self.when_column]]
        distinct = set(captions)
        if any(self._read_when(caption) is None for caption in distinct) or "" in who:
            return False
        values = plain_amounts(cells[at[self.names.amount]])
        if values is None:
            return False
        when = list(map(self._day.__getitem__, captions))
        services: list[str] = []
        if self.key == "service_breakdown":
            services = list(map(str.strip, cells[at[self.names.service]]))
            if "" in services:
                services = [s or UNSPECIFIED for s in services]
        self.got.seen.update(who)  # seen even when every row is today's
        if any(self._day[caption] >= self.as_of for caption in distinct):
            keep = [day < self.as_of for day in when]
            who, when = list(compress(who, keep)), list(compress(when, keep))
            values = array("d", compress(values, keep))
            services = list(compress(services, keep))
        self._add(who, services, when, values)
        return True

    def _careful(self, block: list[list[str]], first: int) -> None:
        """Row by row, with the display-value parsers deciding what every cell means."""
        at, got = self._at, self.got
        for n, row in enumerate(block, start=first):
            cell = {name: (row[i] if i < len(row) else "") for name, i in at.items()}
            who = cell[self.names.customer].strip()
            if not who:
                continue
            got.seen.add(who)
            caption = cell[self.when_column]
            when = self._read_when(caption)
            value = parse_amount(cell[self.names.amount])
            if when is None or value is None:
                bad = (
                    (self.when_column, caption)
                    if when is None
                    else (
                        self.names.amount,
                        cell[self.names.amount],
                    )
                )
                what = "a date" if when is None else "an amount"
                got.problems.setdefault(self.key, {}).setdefault(
                    who, f"view {self.key} row {n}: {bad[0]} {bad[1]!r} is not {what}"
                )
                continue
            if when >= self.as_of:
                continue  # today's partial day, or later
            service = (cell.get(self.names.service) or "").strip() or UNSPECIFIED
            self._add([who], [service], [when], [value])

    def _add(
        self, who: list[str], services: list[str], when: list[date], values: Sequence[float]
    ) -> None:
        if self.key == "service_breakdown":
            _extend(self.got.by_service, zip(who, services, strict=True), when, values)
        elif self.key == "daily_revenue":
            _extend(self.got.daily, who, when, values)
        else:
            _extend(self.got.monthly, who, [day.replace(day=1) for day in when], values)

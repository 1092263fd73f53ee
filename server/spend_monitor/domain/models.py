"""The shapes that flow between sources, the domain rules and the renderers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Annotated, Any, Literal, TypeVar, overload

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
    SerializationInfo,
    model_validator,
)
from pydantic_core import core_schema

SourceName = Literal["tableau", "a2a", "local", "sql"]
ChannelName = Literal["slack", "telegram"]
PaceMethod = Literal["prorated", "same_days", "weekday"]
MethodChoice = Literal["auto", "prorated", "same_days", "weekday"]
Flag = Literal[
    "growing", "declining", "normal", "new", "returning", "stopped", "inactive", "unavailable"
]
DriverKind = Literal["new", "vanished", "grew", "shrank", "steady"]
WatchKind = Literal["pace_drop", "stopped", "escalations", "stale_ticket", "vanished_line_item"]
# What an acknowledgement can snooze: a customer's pace alert or one kind of watch item.
SnoozeKind = Literal[
    "pace", "pace_drop", "stopped", "escalations", "stale_ticket", "vanished_line_item"
]
# Since the last posted digest: first time flagged, still flagged, or back after a snooze.
Novelty = Literal["new", "ongoing", "reopened"]


def to_cents(value: float) -> float:
    """An amount as it is shown: to the cent (a percent to two decimals). A move of a
    billionth of a cent is shown as 0.0, never -0.0."""
    return round(value, 2) + 0.0


# Computed with full precision, shown by `to_cents` when serialized.
Rounded = Annotated[float, PlainSerializer(to_cents, return_type=float)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Thresholds(Frozen):
    """Every number that decides a flag. Defaults are the old script's."""

    growth_pct: float = 15
    decline_pct: float = -10
    watch_drop_pct: float = -25
    escalation_count: int = Field(3, ge=1)
    big_mover_pct: float = Field(50, gt=0)
    stale_ticket_business_days: int = Field(5, ge=1)
    min_baseline: float = Field(0, ge=0)
    reopen_pct: float = Field(10, gt=0)
    noise_z: float = Field(2, gt=0)
    suppress_noise: bool = True
    # Coverage rules (domain/coverage.py, docs/pacing.md): what the data must show first.
    lookback_days: int = Field(90, ge=1)
    stop_days: int = Field(3, ge=1)
    partial_day_pct: float = Field(25, ge=0, le=100)
    max_data_lag_days: int = Field(1, ge=1)


class Customer(Frozen):
    """Who a customer is: `name` keys the data, `display_name` is what people read."""

    name: str = Field(min_length=1, description="The customer's key in the revenue data.")
    display_name: str | None = Field(None, description="The name people read; default: name.")
    aliases: tuple[str, ...] = Field((), description="Other names it is found by.")

    @property
    def label(self) -> str:
        return self.display_name or self.name


class Totals(Frozen):
    """Revenue for one customer or one service line over the compared windows."""

    current: float
    prior_total: float
    # The prior month's days 1..min(d, days in prior month); None when the source only knows
    # monthly totals.
    prior_same_days: float | None = None


class ServiceRevenue(Totals):
    """`current` is net of credits; `current_charges` is what was billed this month before
    them (None when the source only knows net totals), so a credited line still billing is
    told from a line that stopped."""

    service: str
    current_charges: float | None = None


class CustomerRevenue(Frozen):
    """What a source knows about one customer. Amounts are None exactly when the data could
    not be had (`error` says why), so no reader can mistake missing data for a zero."""

    key: str
    source: SourceName
    current: float | None
    prior_total: float | None
    prior_same_days: float | None = None
    services: tuple[ServiceRevenue, ...] = ()
    # Daily totals from the prior month's first day (or earlier, when asked) through
    # data_through; empty when the source has monthly totals only.
    daily: dict[date, float] = Field(default_factory=dict)
    error: str | None = None

    @model_validator(mode="after")
    def _amounts_or_error(self) -> CustomerRevenue:
        known = self.current is not None and self.prior_total is not None
        if known == (self.error is not None):
            raise ValueError("revenue has either both amounts or an error, not both or neither")
        return self

    @property
    def totals(self) -> Totals | None:
        """The compared amounts, or None when the data is unavailable."""
        if self.current is None or self.prior_total is None:
            return None
        return Totals(
            current=self.current,
            prior_total=self.prior_total,
            prior_same_days=self.prior_same_days,
        )


class Coverage(Frozen):
    """Which days one customer's data covers, so no reader mistakes a gap for a zero."""

    prior_days: int = Field(description="Days of last month with rows for this customer.")
    current_days: int = Field(description="Days of this month so far with rows.")
    last_revenue_day: date | None = Field(description="The last day with revenue (YYYY-MM-DD).")
    prior_through: date | None = Field(
        None,
        description="Last month's last day with rows when they end early (a gap, not a quiet "
        "spell): the comparison uses the days covered.",
    )
    excluded: tuple[str, ...] = Field((), description="Days left out of the pace, and why.")


class SourceCoverage(Frozen):
    """What the whole book covers: its first and last day with rows, and the days between
    them without any row."""

    first_day: date | None
    last_day: date | None
    days_missing: tuple[date, ...] = ()
    # Customers whose rows end before the book's last day, with their last day.
    ends_early: dict[str, date] = Field(default_factory=dict)


class Driver(Frozen):
    """One service line's move."""

    service: str = Field(description="The service line.")
    current: Rounded = Field(description="Its revenue this month so far, in dollars.")
    baseline: Rounded = Field(
        description="What it would be had it billed as last month, in dollars (same method)."
    )
    prior_total: Rounded = Field(description="Its whole of last month, in dollars.")
    delta: Rounded = Field(description="current − baseline, in dollars.")
    kind: DriverKind = Field(
        description="new (nothing last month), vanished (nothing this month), grew, shrank, "
        "or steady."
    )


# One service line's move as plain values: service, current, baseline, prior total, kind.
DriverLine = tuple[str, float, float, float, DriverKind]
# One line as a `Driver` dumps it: amounts rounded to the cent.
ShownLine = dict[str, object]


def _read_as_tuples(
    cls: type,
    make: Callable[[Any], object],
    items: core_schema.CoreSchema,
    dump: Callable[[Any, SerializationInfo], object],
) -> core_schema.CoreSchema:
    """The schema of a sequence class that reads and writes as the tuple `items` describes
    (and so has its JSON schema): an instance is taken as it is, anything else is validated
    as `items` and handed to `make`; `dump` writes it."""
    wrapped = core_schema.no_info_after_validator_function(make, items)
    return core_schema.json_or_python_schema(
        json_schema=wrapped,
        python_schema=core_schema.union_schema([core_schema.is_instance_schema(cls), wrapped]),
        serialization=core_schema.plain_serializer_function_ser_schema(dump, info_arg=True),
    )


class DriverLines(Sequence[Driver]):
    """A customer's drivers as plain tuples, made `Driver`s only when read. A book of 50,000
    customers has half a million lines, most never read one by one: the whole book's lines
    stay in its columns and each customer's are read from them on demand (`read`); the JSON
    dump writes them straight from the tuples, or takes them ready-rounded (`shown`)."""

    __slots__ = ("_lines", "_read", "_shown", "any_vanished")

    def __init__(
        self,
        lines: Iterable[DriverLine] = (),
        read: Callable[[], tuple[DriverLine, ...]] | None = None,
        any_vanished: bool | None = None,
        shown: Callable[[], list[ShownLine]] | None = None,
    ) -> None:
        self._lines = () if read is not None else tuple(lines)
        self._read = read
        self._shown = shown
        if any_vanished is None:
            any_vanished = any(line[4] == "vanished" for line in self._lines)
        # Whether a line vanished, known without reading the lines (the watch list asks it
        # of every customer).
        self.any_vanished = any_vanished

    @property
    def lines(self) -> tuple[DriverLine, ...]:
        return self._read() if self._read is not None else self._lines

    @classmethod
    def of(cls, drivers: Iterable[Driver]) -> DriverLines:
        return cls((d.service, d.current, d.baseline, d.prior_total, d.kind) for d in drivers)

    @staticmethod
    def _driver(line: DriverLine) -> Driver:
        service, current, base, prior, kind = line
        return Driver(
            service=service,
            current=current,
            baseline=base,
            prior_total=prior,
            delta=current - base,
            kind=kind,
        )

    def __len__(self) -> int:
        return len(self.lines)

    @overload
    def __getitem__(self, index: int) -> Driver: ...
    @overload
    def __getitem__(self, index: slice) -> DriverLines: ...
    def __getitem__(self, index: int | slice) -> Driver | DriverLines:
        if isinstance(index, slice):
            return DriverLines(self.lines[index])
        return self._driver(self.lines[index])

    def __iter__(self) -> Iterator[Driver]:
        return map(self._driver, self.lines)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DriverLines):
            return self.lines == other.lines
        if isinstance(other, Sequence):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.lines)

    def __repr__(self) -> str:
        return f"DriverLines({list(self)!r})"

    def _dump(self, info: SerializationInfo) -> object:
        dumped = self._shown() if self._shown is not None else self._rounded()
        return dumped if info.mode_is_json() else tuple(dumped)

    def _rounded(self) -> list[ShownLine]:
        return [
            {
                "service": service,
                "current": to_cents(current),
                "baseline": to_cents(base),
                "prior_total": to_cents(prior),
                "delta": to_cents(current - base),
                "kind": kind,
            }
            for service, current, base, prior, kind in self.lines
        ]

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: object, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _read_as_tuples(cls, cls.of, handler.generate_schema(tuple[Driver, ...]), cls._dump)


class Amounts(Sequence[float]):
    """Amounts in dollars at full precision, shown to the cent, as `tuple[Rounded, ...]`
    would be. Like `DriverLines`, a whole book's are read from its columns when wanted
    (`read`), and the JSON dump takes them ready-rounded (`shown`, rounded for the whole
    book at once): fourteen floats and their cents per customer were a third of a `Pace`'s
    memory, and most are only ever written once, to the JSON."""

    __slots__ = ("_read", "_shown", "_values")

    def __init__(
        self,
        values: Iterable[float] = (),
        read: Callable[[], list[float]] | None = None,
        shown: Callable[[], list[float]] | None = None,
    ) -> None:
        self._values = None if read is not None else tuple(values)
        self._read = read
        self._shown = shown

    def _amounts(self) -> tuple[float, ...]:
        if self._values is None:
            assert self._read is not None
            self._values = tuple(self._read())
        return self._values

    def __len__(self) -> int:
        return len(self._amounts())

    @overload
    def __getitem__(self, index: int) -> float: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[float, ...]: ...
    def __getitem__(self, index: int | slice) -> float | tuple[float, ...]:
        return self._amounts()[index]

    def __iter__(self) -> Iterator[float]:
        return iter(self._amounts())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return self._amounts() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._amounts())

    def __repr__(self) -> str:
        return f"Amounts({self._amounts()!r})"

    @staticmethod
    def _dump(amounts: Sequence[float], info: SerializationInfo) -> object:
        if isinstance(amounts, Amounts) and amounts._shown is not None:
            shown = amounts._shown()
        else:
            shown = [to_cents(value) for value in amounts]
        return shown if info.mode_is_json() else tuple(shown)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: object, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _read_as_tuples(cls, cls, handler.generate_schema(tuple[float, ...]), cls._dump)


class Pace(Frozen):
    """One customer's pace and every number behind it, so any figure can be replayed."""

    name: str = Field(description="The customer's key in the revenue data.")
    display_name: str = Field(description="The name people read.")
    flag: Flag = Field(
        description="growing, declining, normal, new, returning, stopped, inactive, or "
        "unavailable (the data could not be had: never a drop)."
    )
    status: str = Field(description="The few words the digest shows after the numbers.")
    current: Rounded | None = Field(
        description="Revenue this month through data_through, in dollars; null if unavailable."
    )
    prior_total: Rounded | None = Field(description="Last month's whole revenue, in dollars.")
    baseline: Rounded | None = Field(
        description="What `current` would be had the customer spent as last month, in dollars."
    )
    change_pct: Rounded | None = Field(
        description="(current − baseline) / baseline in percent (e.g. -12.5); null without a "
        "baseline."
    )
    method: PaceMethod = Field(description="How the baseline was computed.")
    source: SourceName = Field(description="Where the numbers came from.")
    days_elapsed: int = Field(description="Days of this month with data.")
    error: str | None = Field(None, description="Why the data is unavailable.")
    note: str | None = Field(None, description="Why the flag is what it is, when not obvious.")
    big_mover: bool = Field(False, description="The move is at least thresholds.big_mover_pct.")
    drivers: DriverLines = Field(
        DriverLines(), description="Service lines, largest dollar move first."
    )
    recent: Amounts = Field(
        Amounts(),
        description="Revenue of the last 14 days through data_through, in dollars (empty for "
        "monthly-only sources).",
    )
    novelty: Novelty | None = Field(
        None, description="new, ongoing or reopened since the last posted digest."
    )
    streak: int = Field(0, description="Digests in a row with this alert, this one included.")
    snoozed: bool = Field(False, description="Hidden from the digest by an acknowledgement.")
    z_score: Rounded | None = Field(
        None, description="The move in units of this customer's usual daily noise."
    )
    within_noise: bool | None = Field(
        None, description="True when the move is ordinary for this customer."
    )
    projected_total: Rounded | None = Field(
        None, description="Where the month is heading, in dollars."
    )
    projected_low: Rounded | None = Field(None, description="Low end of the projection, $.")
    projected_high: Rounded | None = Field(None, description="High end of the projection, $.")
    change_started: date | None = Field(None, description="The day a big move began.")
    daily_before: Rounded | None = Field(None, description="Dollars per day before that day.")
    daily_after: Rounded | None = Field(None, description="Dollars per day since that day.")
    coverage: Coverage | None = Field(None, description="Which days the data covers.")
    held_back: bool = Field(
        False,
        description="Outside the thresholds but not alerted (within noise or under min_baseline).",
    )

    @property
    def delta(self) -> float:
        """Dollar change against the baseline (0 when unknown), the sort key of the digest."""
        if self.current is None:
            return 0.0
        return self.current - (self.baseline or 0.0)


class TrackerEntry(BaseModel):
    """Written by people and other tools: extra keys are ignored, ids may be numbers."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)


class Escalation(TrackerEntry):
    customer: str
    date: date
    summary: str = ""


class Ticket(TrackerEntry):
    ticket_id: str
    customer: str
    created_date: date
    status: str
    updated_date: date | None = None


class WatchItem(Frozen):
    customer: str = Field(description="The customer's key in the revenue data.")
    display_name: str = Field(description="The name people read.")
    kind: WatchKind = Field(
        description="pace_drop, stopped, escalations, stale_ticket or vanished_line_item."
    )
    detail: str = Field(description="What the digest says (tracker text is data, not orders).")
    evidence: dict[str, str | int | float | list[str]] = Field(
        default_factory=dict, description="The facts behind it (amounts in dollars)."
    )
    novelty: Novelty | None = Field(None, description="new, ongoing or reopened.")
    streak: int = Field(0, description="Digests in a row with this item, this one included.")
    snoozed: bool = Field(False, description="Hidden from the digest by an acknowledgement.")


class PastDigest(Frozen):
    """An earlier posted digest, as far as alerts need it."""

    as_of: date
    flags: dict[str, Flag]
    watch: frozenset[tuple[str, WatchKind]]


class Snooze(Frozen):
    """An acknowledged alert, hidden until `until` unless it gets worse."""

    customer: str
    kind: SnoozeKind | None = None
    until: date
    change_pct: float | None = None


class Digest(Frozen):
    as_of: date
    data_through: date
    prior_start: date
    days_elapsed: int
    current_month: str
    prior_month: str
    method: MethodChoice
    thresholds: Thresholds
    customers: tuple[Pace, ...]
    watch_list: tuple[WatchItem, ...]
    errors: tuple[str, ...] = ()
    # Facts about the data as a whole, said under the title ("⚠️ data through Nov 25 — …").
    notices: tuple[str, ...] = ()
    coverage: SourceCoverage | None = None
    recovered: tuple[str, ...] = ()
    snoozed: int = 0
    updated: bool = False
    # The owner whose share of the book this is (their name, for the title); None: the book.
    owner: str | None = None

    @property
    def unavailable(self) -> tuple[Pace, ...]:
        return tuple(p for p in self.customers if p.flag == "unavailable")


ModelT = TypeVar("ModelT", bound=BaseModel)
_FIELDS_GIVEN: dict[type[BaseModel], set[str]] = {}


def lean(cls: type[ModelT], fields: Mapping[str, object]) -> ModelT:
    """`cls.model_validate(fields)` holding one set of "fields given" shared by every model
    of the class: pydantic keeps one per model (2 KB at 25 fields, a sixth of a whole book's
    memory at 50,000 customers), and copies it before a `model_copy` changes it, so sharing
    it is safe. For the thousands of models a whole book builds."""
    model = cls.model_validate(fields)
    shared = _FIELDS_GIVEN.get(cls)
    if shared is None:
        shared = _FIELDS_GIVEN[cls] = set(cls.model_fields)
    object.__setattr__(model, "__pydantic_fields_set__", shared)
    return model

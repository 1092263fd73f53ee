"""Properties that must hold for any input, checked with generated data."""

import contextlib
import csv
import io
import json
import math
import re
import tempfile
from datetime import date
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spend_monitor.config import Config, LocalConfig, load_config, parse_config
from spend_monitor.domain.formatting import format_amount, format_pct
from spend_monitor.errors import ConfigError, DataFileError
from spend_monitor.render.slack import SlackStyle
from spend_monitor.render.telegram import TelegramStyle, as_plain, split_lines, utf16_len
from spend_monitor.sources.base import RevenueSnapshot
from spend_monitor.sources.display_values import parse_amount, parse_day, parse_month
from spend_monitor.sources.files import LocalFileSource
from spend_monitor.trackers import read_trackers

AMOUNT = re.compile(r"^-?\$(\d{1,3}|\d\.\dK|\d{2,3}K|[\d,]+\.\dM)$")


@given(st.floats(min_value=-5e9, max_value=5e9, allow_nan=False))
def test_amounts_always_read_as_money(value):
    text = format_amount(value)
    assert AMOUNT.match(text), text
    assert "1000K" not in text
    assert "10.0K" not in text


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_percentages_always_carry_a_sign(value):
    assert format_pct(value)[0] in "+-±"


@given(st.lists(st.text(min_size=0, max_size=300), min_size=1, max_size=60))
def test_telegram_pieces_fit_and_lose_nothing(lines):
    text = "\n".join(lines)
    pieces = split_lines(text, limit=500)
    assert all(utf16_len(p) <= 500 for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


@given(st.text())
def test_slack_escaping_leaves_no_markup(text):
    escaped = SlackStyle().escape(text)
    assert "<" not in escaped
    assert ">" not in escaped
    assert re.sub(r"&(amp|lt|gt);", "", escaped).count("&") == 0


@given(st.text())
def test_telegram_escaping_round_trips_to_the_same_words(text):
    escaped = TelegramStyle().escape(text)
    assert "<" not in escaped
    assert as_plain(escaped) == " ".join(text.split())


# -- every reader of user input either parses or raises its documented error ------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
CONFIG_KEYS = st.sampled_from(
    [
        "customers",
        "source",
        "local",
        "thresholds",
        "pace_method",
        "timezone",
        "charts",
        "closed_ticket_statuses",
        "slack",
        "telegram",
        "holidays_country",
        "mcp",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(CONFIG_KEYS, JSON, max_size=6) | JSON)
def test_the_config_loader_parses_or_raises_config_error(data):
    data = {"local": {"path": "r.csv"}, **data} if isinstance(data, dict) else data
    outcome: Config | ConfigError
    try:
        outcome = parse_config(data, "config.json")
    except ConfigError as exc:
        outcome = exc
    if isinstance(outcome, ConfigError):
        assert outcome.problems
        assert all(p.startswith("config.json: ") for p in outcome.problems)
        assert all("\n" not in p for p in outcome.problems)
    else:
        assert outcome.source_chain.primary in ("local", "sql", "tableau", "a2a")
        numbers = outcome.thresholds.model_dump().values()
        assert all(math.isfinite(n) for n in numbers if isinstance(n, float))


@settings(max_examples=100)
@given(st.binary(max_size=200))
def test_the_config_file_loader_parses_or_raises_config_error(content):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_bytes(content)
        with contextlib.suppress(ConfigError):
            load_config(path)


CELL = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=10)
AMOUNT_TEXT = st.one_of(
    st.floats().map(str),
    st.integers().map(str),
    st.from_regex(r"-?\$?[0-9.,]{1,12}(e[0-9]{1,3})?", fullmatch=True),
    CELL,
)
ROW = st.tuples(
    st.dates(min_value=date(2025, 11, 1), max_value=date(2026, 3, 1)).map(str) | CELL,
    st.sampled_from(["Acme", "Globex", ""]) | CELL,
    CELL,
    AMOUNT_TEXT,
)


def _read(name: str, content: bytes, **options: object) -> RevenueSnapshot | None:
    """Fetch from a file holding `content`: a snapshot, or None after the documented error —
    a DataFileError naming the file on one line."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        source = LocalFileSource(LocalConfig(path=path, **options))
        try:
            return anyio.run(source.fetch, date(2026, 2, 15), None)
        except DataFileError as exc:
            error = exc
    assert "\n" not in str(error)
    assert str(path) in str(error) or path.name in str(error)
    return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, max_size=6), st.sampled_from([".", ","]), st.sampled_from(["\n", "\r\n"]))
def test_the_csv_reader_parses_or_raises_data_file_error(rows, decimal, newline):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator=newline)
    writer.writerows([("date", "customer", "service", "amount"), *rows])
    snapshot = _read("revenue.csv", buffer.getvalue().encode(), delimiter=";", decimal=decimal)
    if snapshot is not None:
        for revenue in snapshot.customers.values():
            assert math.isfinite(revenue.current or 0)
            assert math.isfinite(revenue.prior_total or 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.sampled_from(["r.csv", "r.csv.gz", "r.tsv", "r.parquet"]))
def test_any_bytes_read_or_raise_data_file_error(content, name):
    _read(name, content)


@settings(max_examples=200)
@given(JSON, st.lists(JSON, max_size=3))
def test_tracker_files_never_stop_the_run(escalations, tickets):
    with tempfile.TemporaryDirectory() as tmp:
        esc = Path(tmp) / "escalations.json"
        esc.write_text(json.dumps(escalations))
        for i, ticket in enumerate(tickets):
            (Path(tmp) / f"ENGDESK-{i}.json").write_text(json.dumps(ticket))
        data = read_trackers(esc, str(Path(tmp) / "ENGDESK-*.json"))
    assert all(isinstance(w, str) and "\n" not in w for w in data.warnings)
    assert all(isinstance(t.customer, str) for t in [*data.escalations, *data.tickets])
    assert all(t.updated_date is None or t.updated_date >= t.created_date for t in data.tickets)


@given(st.text(max_size=40))
def test_display_values_parse_or_say_none(text):
    amount = parse_amount(text)
    assert amount is None or math.isfinite(amount)
    day = parse_day(text)
    assert day is None or isinstance(day, date)
    month = parse_month(text)
    assert month is None or month.day == 1


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_display_amounts_round_trip(value):
    assert parse_amount(f"${value:,.2f}") == pytest.approx(round(value, 2))
    assert parse_amount(f"({abs(value):,.2f})") == pytest.approx(-round(abs(value), 2))

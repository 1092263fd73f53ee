"""Properties that must hold for any input, checked with generated data."""

import re

from hypothesis import given
from hypothesis import strategies as st

from spend_monitor.domain.formatting import format_amount, format_pct
from spend_monitor.render.slack import SlackStyle
from spend_monitor.render.telegram import TelegramStyle, as_plain, split_lines, utf16_len

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

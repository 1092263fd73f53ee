import pytest

from spend_monitor.domain.formatting import clip, format_amount, format_delta, format_pct


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "$0"),
        (850, "$850"),
        (999.4, "$999"),
        (999.6, "$1.0K"),
        (3_749, "$3.7K"),
        (9_949, "$9.9K"),
        (9_960, "$10K"),
        (56_400, "$56K"),
        (425_000, "$425K"),
        (999_400, "$999K"),
        (999_600, "$1.0M"),
        (1_240_000, "$1.2M"),
        (-3_700, "-$3.7K"),
        (-850, "-$850"),
    ],
)
def test_amounts(amount, text):
    assert format_amount(amount) == text


@pytest.mark.parametrize(
    ("pct", "text"), [(18.2, "+18%"), (-94.4, "-94%"), (0.4, "±0%"), (-0.4, "±0%"), (50, "+50%")]
)
def test_percent_always_signed(pct, text):
    assert format_pct(pct) == text


def test_delta_signed():
    assert (format_delta(12_000), format_delta(-3_700)) == ("+$12K", "-$3.7K")


def test_clip_folds_lines_and_cuts():
    assert clip("a\nb\tc", 10) == "a b c"
    assert clip("x" * 20, 8) == "xxxxxxx…"

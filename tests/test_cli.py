import json
from pathlib import Path

import pytest

from cli_helpers import invoke

DEMO_DAY = "2026-02-15"


def write_config(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "config" / "config.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def local_config(tmp_path, write_csv) -> Path:
    revenue = write_csv(
        [
            ("2026-01-05", "Acme", "SMS", 1_400),
            ("2026-01-20", "Acme", "SMS", 1_700),
            ("2026-02-05", "Acme", "SMS", 1_400),
            ("2026-02-14", "Acme", "SMS", 0),
            ("2026-01-05", "Globex", "user", 56_000),
            ("2026-02-03", "Globex", "SMS", 10),
        ]
    )
    return write_config(
        tmp_path,
        {
            "customers": [
                {"name": "Acme", "display_name": "Acme Voice", "aliases": ["ACME Corp"]},
                {"name": "Globex"},
            ],
            "local": {"path": str(revenue)},
            "slack": {"dm_channel": "D1"},
        },
    )


def test_demo_digest_prints_the_familiar_layout(capsys):
    result = invoke(capsys, "digest", "--demo", "--as-of", DEMO_DAY)
    assert result.code == 0
    assert result.out.startswith(
        "📊 Customer Spend Monitor — Feb 15\nData through Feb 14 · pace vs"
    )
    for heading in ("📈 WHAT'S DRIVING THE CHANGES", "⚠️ CUSTOMERS TO WATCH", "Just ask."):
        assert heading in result.out


def test_json_follows_the_contract(capsys):
    result = invoke(capsys, "digest", "--demo", "--as-of", DEMO_DAY, "--format", "json")
    data = json.loads(result.out)
    assert {
        "as_of",
        "data_through",
        "days_elapsed",
        "current_month",
        "prior_month",
        "method",
        "customers",
        "watch_list",
        "errors",
    } <= set(data)
    assert (data["days_elapsed"], data["current_month"], data["prior_month"]) == (
        14,
        "2026-02",
        "2026-01",
    )
    customer = data["customers"][0]
    assert {
        "name",
        "display_name",
        "flag",
        "status",
        "current",
        "prior_total",
        "baseline",
        "change_pct",
        "method",
        "source",
        "error",
        "drivers",
    } <= set(customer)
    assert {"service", "current", "baseline", "prior_total", "delta", "kind"} <= set(
        customer["drivers"][0]
    )
    for c in data["customers"]:
        for key in ("current", "baseline", "change_pct"):
            assert c[key] is None or round(c[key], 2) == c[key]


def test_config_path_from_env_and_default_location(capsys, local_config, monkeypatch):
    result = invoke(capsys, "digest", "--as-of", DEMO_DAY, "--dry-run")
    assert result.code == 0
    assert "Globex: $10 (-100%) — cliff: $56K below Jan's pace" in result.out
    moved = local_config.rename(local_config.parent / "elsewhere.json")
    monkeypatch.setenv("CONFIG_PATH", str(moved))
    assert invoke(capsys, "digest", "--as-of", DEMO_DAY, "--dry-run").code == 0


def test_customer_filter_matches_aliases(capsys, local_config):
    result = invoke(capsys, "digest", "--as-of", DEMO_DAY, "--customer", "acme corp")
    assert result.code == 0
    assert "Acme Voice: $1.4K (±0%) — tracking normally" in result.out
    assert "Globex" not in result.out


def test_unknown_customer_is_one_line_with_suggestions(capsys, local_config):
    result = invoke(capsys, "digest", "--as-of", DEMO_DAY, "--customer", "Globx")
    assert result.code == 1
    assert result.err.splitlines()[-1] == "error: unknown customer 'Globx' — did you mean 'Globex'?"
    assert result.out == ""


def test_legacy_command_keeps_the_old_flags(capsys, local_config, tmp_path):
    out = tmp_path / "digest.txt"
    result = invoke(
        capsys,
        "--dry-run",
        "--slack-only",
        "--output",
        str(out),
        "--customer",
        "Globex",
        legacy=True,
    )
    assert result.code == 0
    assert "Globex" in out.read_text()
    assert result.out == ""
    assert "dry run: nothing posted" in result.err


def test_slack_only_and_telegram_only_exclude_each_other(capsys, local_config):
    result = invoke(capsys, "--slack-only", "--telegram-only", legacy=True)
    assert result.code == 1
    assert "not allowed with argument" in result.err


def test_dry_run_from_env(capsys, local_config, monkeypatch):
    monkeypatch.setenv("DRY_RUN", "true")
    assert "dry run: nothing posted" in invoke(capsys, "digest", "--as-of", DEMO_DAY).err


def test_an_unavailable_customer_exits_3_and_is_not_a_drop(capsys, tmp_path, write_csv):
    revenue = write_csv([("2026-02-05", "Acme", "SMS", 1), ("2026-01-05", "Acme", "SMS", 1)])
    write_config(
        tmp_path,
        {"customers": [{"name": "Acme"}, {"name": "Initech"}], "local": {"path": str(revenue)}},
    )
    result = invoke(capsys, "digest", "--as-of", DEMO_DAY, "--format", "json")
    assert result.code == 3
    initech = next(c for c in json.loads(result.out)["customers"] if c["name"] == "Initech")
    assert (initech["flag"], initech["change_pct"], initech["current"]) == (
        "unavailable",
        None,
        None,
    )
    assert "no rows for 'Initech'" in initech["error"]
    assert "warning: Initech: data unavailable" in result.err


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (None, "error: config file config/config.json not found"),
        ("{not json", "is not valid JSON (line 1, column 2"),
        ({"local": {}}, "config.json: local.path: Field required"),
        (
            {"local": {"path": "x.csv"}, "thresholds": {"growth_pct": []}},
            "thresholds.growth_pct: Input should be a valid number",
        ),
    ],
)
def test_bad_config_is_a_clear_error_without_traceback(capsys, tmp_path, config, message):
    if config is not None:
        path = tmp_path / "config" / "config.json"
        path.parent.mkdir()
        path.write_text(config if isinstance(config, str) else json.dumps(config))
    result = invoke(capsys, "digest", "--as-of", DEMO_DAY)
    assert result.code == 1
    assert message in result.err
    assert "Traceback" not in result.err
    assert all(line.startswith("error: ") for line in result.err.strip().splitlines())


def test_bad_data_row_is_one_line(capsys, tmp_path, write_csv):
    revenue = write_csv([("2026-02-05", "Acme", "SMS", "lots")])
    write_config(tmp_path, {"local": {"path": str(revenue)}})
    result = invoke(capsys, "digest", "--as-of", DEMO_DAY)
    assert result.code == 1
    assert result.err.strip().count("\n") == 0
    assert "revenue.csv row 1 (line 2): amount is 'lots'" in result.err


def test_unknown_keys_warn_and_the_run_goes_on(capsys, local_config):
    data = json.loads(local_config.read_text())
    data["thresholds"] = {"growth_pc": 20}
    local_config.write_text(json.dumps(data))
    result = invoke(capsys, "digest", "--as-of", DEMO_DAY, "--dry-run")
    assert result.code == 0
    assert "warning: unknown config key 'thresholds.growth_pc' (a typo?)" in result.err


def test_channel_section_without_token_is_a_warning(capsys, local_config):
    result = invoke(capsys, "check", "--as-of", DEMO_DAY)
    assert result.code == 0
    assert "slack: section present but SLACK_BOT_TOKEN is not set" in result.out
    assert "source: local — " in result.out
    assert "6 rows, 2026-01-01 to 2026-02-14" in result.out


def test_bad_as_of_is_a_usage_error(capsys):
    result = invoke(capsys, "digest", "--demo", "--as-of", "15/02/2026")
    assert result.code == 1
    assert "use YYYY-MM-DD" in result.err


def test_markdown_escapes_names(capsys, tmp_path, write_csv):
    revenue = write_csv(
        [("2026-02-05", "*bold*_x", "SMS", 1), ("2026-01-05", "*bold*_x", "SMS", 1)]
    )
    write_config(tmp_path, {"local": {"path": str(revenue)}})
    result = invoke(capsys, "digest", "--as-of", DEMO_DAY, "--format", "markdown")
    assert "\\*bold\\*\\_x" in result.out


def test_backtest_reports_every_method_as_fractions(capsys, tmp_path):
    from datetime import date

    from spend_monitor.demo import write_demo

    files = write_demo(tmp_path, date(2026, 6, 20), history_months=4)
    write_config(tmp_path, {"local": {"path": str(files.revenue)}})
    result = invoke(
        capsys,
        "backtest",
        "--from",
        "2026-03",
        "--to",
        "2026-05",
        "--format",
        "json",
        "--days",
        "7,14",
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["from"], data["to"], data["days"]) == ("2026-03", "2026-05", [7, 14])
    assert set(data["methods"]) == {"legacy", "prorated", "same_days", "weekday", "auto"}
    for score in data["methods"].values():
        assert set(score) == {"n", "mdape", "mape", "false_alarm_rate"}
        assert 0 <= score["false_alarm_rate"] <= 1
    assert (
        data["methods"]["legacy"]["false_alarm_rate"] > data["methods"]["auto"]["false_alarm_rate"]
    )
    bad = invoke(capsys, "backtest", "--from", "2026-05", "--to", "2026-03")
    assert bad.code == 1
    assert "--to is before --from" in bad.err


def test_charts_dir_gets_a_png_per_big_mover_and_the_summary(capsys, tmp_path):
    charts = tmp_path / "charts"
    result = invoke(capsys, "digest", "--demo", "--as-of", DEMO_DAY, "--charts", str(charts))
    assert result.code == 0
    names = sorted(p.name for p in charts.iterdir())
    assert names == [
        "pace-globex.png",
        "pace-summary.png",
        "pace-umbrella.png",
    ]  # Vandelay stopped: a stop is no big mover, so it has no pace chart
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in charts.iterdir())
    assert "3 chart(s) written to" in result.err


def test_a_chart_that_cannot_be_drawn_never_blocks_the_digest(
    capsys, tmp_path, monkeypatch, caplog
):
    """matplotlib failing to save (here its renderer, made to fail) costs the charts, not the
    digest: the run succeeds, the text is printed and the log says why there are no charts."""
    from matplotlib.figure import Figure

    def broken(*args, **kwargs):
        raise RuntimeError("the Agg renderer ran out of canvas")

    monkeypatch.setattr(Figure, "savefig", broken)
    charts = tmp_path / "charts"
    result = invoke(capsys, "digest", "--demo", "--as-of", DEMO_DAY, "--charts", str(charts))
    assert result.code == 0
    assert "Umbrella Telecom" in result.out
    assert not charts.exists() or not any(charts.iterdir())
    assert "the charts could not be drawn (RuntimeError: the Agg renderer ran out" in result.err

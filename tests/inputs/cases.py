"""The input contract as a table: every bad or borderline input a user can give, and what the
run must do with it — exit code, the one line that names what, where and the fix, and
whether anything may be posted.

`test_bad_inputs.py` runs each case through the CLI against the Slack and Telegram emulators;
`table.py` renders the same table into docs/configuration.md ("Errors and exit codes").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Area = Literal["config", "environment", "flags", "data file", "tracker"]
AS_OF = "2026-02-15"
DELETE = object()  # in a config patch: remove the key
HEADER = "date,customer,service,amount\n"
GOOD_ROWS = (
    "2026-01-05,Acme,SMS,1400\n"
    "2026-01-20,Acme,Voice,1700\n"
    "2026-02-05,Acme,SMS,1500\n"
    "2026-02-12,Acme,Voice,800\n"
    "2026-01-06,Globex,SMS,900\n"
    "2026-02-06,Globex,SMS,500\n"
)
GOOD_CSV = HEADER + GOOD_ROWS
BOTH = ("slack", "telegram")


@dataclass(frozen=True)
class Case:
    """One input and the promised outcome. `says`: fragments that must all appear on one line
    of stderr (what, where, fix). `posts`: the digest must reach both channels; when the exit
    code is 1 or 4 nothing may be posted at all."""

    id: str
    area: Area
    what: str
    code: int
    says: tuple[str, ...] = ()
    args: tuple[str, ...] = ("digest",)
    config: dict[str, Any] = field(default_factory=dict)
    data: str | bytes = GOOD_CSV
    data_name: str = "revenue.csv"
    files: dict[str, str | bytes] = field(default_factory=dict)
    env: dict[str, str | None] = field(default_factory=dict)
    as_of: str | None = AS_OF
    posts: tuple[str, ...] = ()
    out_has: tuple[str, ...] = ()
    out_lacks: tuple[str, ...] = ()
    ascii_stdout: bool = False


def _config(
    id: str, what: str, patch: dict[str, Any], *says: str, code: int = 1, **kw: Any
) -> Case:
    return Case(id, "config", what, code, says, config=patch, **kw)


def _data(
    id: str, what: str, data: str | bytes, *says: str, code: int = 1, name: str = "", **kw: Any
) -> Case:
    """`name`: the file's name, local.path pointing at it (default revenue.csv)."""
    if name:
        kw.update(data_name=name, config={"local": {"path": name}, **kw.get("config", {})})
    return Case(id, "data file", what, code, says, data=data, **kw)


def _reads(id: str, what: str, data: str | bytes, **kw: Any) -> Case:
    """A borderline file that must read as the good one does and post the digest."""
    kw.setdefault("out_has", ("Acme: $2.3K",))
    return _data(id, what, data, code=0, posts=BOTH, **kw)


def _row(id: str, what: str, row: str, *says: str, **kw: Any) -> Case:
    """A good file with one more row (line 8)."""
    return _data(id, what, GOOD_CSV + row + "\n", "revenue.csv", *says, **kw)


def _flags(id: str, what: str, args: tuple[str, ...], *says: str, code: int = 1, **kw: Any) -> Case:
    return Case(id, "flags", what, code, says, args=args, **kw)


def _env(id: str, what: str, env: dict[str, str | None], *says: str, code: int = 1, **kw: Any):
    return Case(id, "environment", what, code, says, env=env, **kw)


TRACKERS = {"escalation_tracker_path": "escalations.json", "engdesk_tracker_glob": "engdesk/*.json"}


def _tracker(
    id: str, what: str, files: dict[str, str | bytes], *says: str, config: Any = None, **kw: Any
) -> Case:
    """A malformed tracker is skipped with a warning naming it; the digest still goes out."""
    patch = {**TRACKERS, **(config or {})}
    files = {"escalations.json": "[]", **files}
    return Case(id, "tracker", what, 0, says, config=patch, files=files, posts=BOTH, **kw)


def _bad_tracker(id: str, what: str, files: dict[str, str | bytes], *says: str) -> Case:
    return _tracker(id, what, files, *says)


def _ticket(status: str = "open", **extra: Any) -> str:
    import json

    entry = {"ticket_id": "ENGDESK-7", "customer": "Acme", "created_date": "2026-01-05"}
    return json.dumps({**entry, "status": status, **extra})


def _threshold(id: str, what: str, values: dict[str, Any], *says: str) -> Case:
    return _config(id, what, {"thresholds": values}, *says)


CONFIG_CASES = [
    _config(
        "config-missing",
        "--config names a file that does not exist",
        {},
        "nope.json not found",
        "CONFIG_PATH",
        args=("digest", "--config", "nope.json"),
    ),
    Case(
        "config-not-json",
        "config",
        "config file is not JSON (a trailing comma)",
        1,
        ("config.json is not valid JSON (line 1", "fix the JSON syntax"),
        files={"config.json": '{"local": {"path": "revenue.csv"},}'},
    ),
    Case(
        "config-array",
        "config",
        "config file holds a JSON array",
        1,
        ("must hold a JSON object", "example-config.json"),
        files={"config.json": "[]"},
    ),
    Case(
        "config-empty",
        "config",
        "config file is empty",
        1,
        ("config.json is not valid JSON",),
        files={"config.json": ""},
    ),
    Case(
        "config-not-utf8",
        "config",
        "config file saved as Latin-1",
        1,
        ("config.json is not UTF-8 text (byte 0xe9", "save it as UTF-8"),
        files={"config.json": b'{"local": {"path": "caf\xe9.csv"}}'},
    ),
    _config(
        "config-no-source",
        "no tableau, local or sql section",
        {"local": DELETE},
        "no data source",
        '"path": "revenue.csv"',
    ),
    _config(
        "config-source-unknown",
        "source names an unknown source",
        {"source": "excel"},
        "source: Input should be 'tableau', 'a2a', 'local' or 'sql'",
    ),
    _config(
        "config-source-no-section",
        "source a2a without an a2a section",
        {"source": "a2a"},
        "source 'a2a' needs a 'a2a' section",
    ),
    _config(
        "config-fallback-no-section",
        "fallback sql without an sql section",
        {"source": {"primary": "local", "fallback": "sql"}},
        "source 'sql' needs a 'sql'",
    ),
    _config(
        "config-customers-object",
        "customers is an object, not a list",
        {"customers": {"name": "Acme"}},
        "customers:",
        "valid list",
    ),
    _config(
        "config-customer-string",
        "a customer given as a bare string",
        {"customers": ["Acme"]},
        "customers[0]:",
        "valid dictionary",
    ),
    _config(
        "config-customer-number",
        "customer name is a number (`name: 5`)",
        {"customers": [{"name": 5}]},
        "customers[0].name:",
        "valid string",
    ),
    _config(
        "config-customer-no-name",
        "a customer without a name",
        {"customers": [{"display_name": "Acme"}]},
        "customers[0].name:",
        "Field required",
    ),
    _config(
        "config-customer-empty-name",
        'a customer named ""',
        {"customers": [{"name": ""}]},
        "customers[0].name:",
        "at least 1 character",
    ),
    _config(
        "config-customer-twice",
        "the same customer listed twice",
        {"customers": [{"name": "Acme"}, {"name": "Acme"}]},
        "customers[1].name:",
        "'Acme' is listed twice",
    ),
    _config(
        "config-alias-is-other-name",
        "an alias equal to another customer's name",
        {"customers": [{"name": "Acme", "aliases": ["globex"]}, {"name": "Globex"}]},
        "customers[1].name:",
        "already names customer 'Acme'",
        "keep it on one",
    ),
    _config(
        "config-alias-is-other-alias",
        "two customers share an alias",
        {"customers": [{"name": "Acme", "aliases": ["AC"]}, {"name": "Globex", "aliases": ["ac"]}]},
        "customers[1].aliases[0]:",
        "'ac' already names customer 'Acme'",
    ),
    _config(
        "config-display-is-other-name",
        "a display name equal to another customer's name",
        {"customers": [{"name": "Acme"}, {"name": "Globex", "display_name": "ACME"}]},
        "customers[1].display_name:",
        "already names customer 'Acme'",
    ),
    _config(
        "config-aliases-string",
        "aliases given as a string, not a list",
        {"customers": [{"name": "Acme", "aliases": "AC"}]},
        "customers[0].aliases:",
        "valid tuple",
    ),
    _threshold(
        "config-thresholds-inverted",
        "decline_pct: 10 and growth_pct: -5",
        {"decline_pct": 10, "growth_pct": -5},
        "thresholds.decline_pct: 10",
        "must be below 0",
    ),
    _threshold(
        "config-growth-negative",
        "growth_pct below 0",
        {"growth_pct": -5},
        "thresholds.growth_pct: -5 must be above 0",
    ),
    _threshold(
        "config-growth-zero",
        "growth_pct of 0",
        {"growth_pct": 0},
        "thresholds.growth_pct: 0 must be above 0",
    ),
    _threshold(
        "config-decline-positive",
        "decline_pct above 0",
        {"decline_pct": 5},
        "thresholds.decline_pct: 5 must be below 0",
    ),
    _threshold(
        "config-watch-above-decline",
        "watch_drop_pct above decline_pct",
        {"watch_drop_pct": -5},
        "thresholds.watch_drop_pct: -5",
        "at or below decline_pct (-10)",
    ),
    _threshold(
        "config-big-mover-small",
        "big_mover_pct below growth_pct",
        {"big_mover_pct": 10},
        "thresholds.big_mover_pct: 10",
        "at least growth_pct and -decline_pct",
    ),
    _threshold(
        "config-growth-text",
        'growth_pct: "lots"',
        {"growth_pct": "lots"},
        "thresholds.growth_pct:",
        "valid number",
    ),
    _threshold(
        "config-escalation-zero",
        "escalation_count: 0",
        {"escalation_count": 0},
        "thresholds.escalation_count:",
        "greater than or equal to 1",
    ),
    _threshold(
        "config-stale-days-zero",
        "stale_ticket_business_days: 0",
        {"stale_ticket_business_days": 0},
        "thresholds.stale_ticket_business_days:",
    ),
    _threshold(
        "config-min-baseline-negative",
        "min_baseline below 0",
        {"min_baseline": -1},
        "thresholds.min_baseline:",
    ),
    _config(
        "config-method",
        "pace_method: vibes",
        {"pace_method": "vibes"},
        "pace_method:",
        "'auto', 'prorated', 'same_days' or 'weekday'",
    ),
    _config(
        "config-timezone",
        "an unknown time zone",
        {"timezone": "Mars/Olympus"},
        "timezone: unknown time zone 'Mars/Olympus'",
        "IANA",
    ),
    _config(
        "config-country",
        "a holiday country that does not exist",
        {"holidays_country": "XX"},
        "holidays_country:",
        "ISO codes",
    ),
    _config(
        "config-local-path-number", "local.path is a number", {"local": {"path": 5}}, "local.path:"
    ),
    _config(
        "config-local-no-path",
        "local section without path",
        {"local": {"path": DELETE}},
        "local.path:",
        "Field required",
    ),
    _config(
        "config-decimal",
        'local.decimal: ";"',
        {"local": {"decimal": ";"}},
        "local.decimal:",
        "'.' or ','",
    ),
    _config(
        "config-delimiter-long",
        "local.delimiter of two characters",
        {"local": {"delimiter": ";;"}},
        "local.delimiter:",
        "at most 1 character",
    ),
    _config(
        "config-delimiter-is-decimal",
        'delimiter and decimal both ","',
        {"local": {"decimal": ",", "delimiter": ","}},
        "local.delimiter: ','",
        "when it is also local.decimal",
    ),
    _config(
        "config-header-text",
        'local.header: "maybe"',
        {"local": {"header": "maybe"}},
        "local.header:",
        "valid boolean",
    ),
    _config(
        "config-columns-number",
        "a local.columns entry is a number",
        {"local": {"columns": {"amount": 3}}},
        "local.columns.amount:",
        "valid string",
    ),
    _config(
        "config-sql-both",
        "sql with both table and query",
        {"local": DELETE, "sql": {"url": "sqlite://", "table": "t", "query": "select 1"}},
        "sql:",
        "exactly one of sql.table and sql.query",
    ),
    _config(
        "config-sql-password",
        "a password inside sql.url",
        {"local": DELETE, "sql": {"url": "postgresql://u:hunter2@db/x", "table": "t"}},
        "sql.url holds a password",
        "SPEND_MONITOR_SQL_URL",
    ),
    _config(
        "config-tableau-no-views",
        "tableau without any view",
        {"local": DELETE, "tableau": {"server": "127.0.0.1", "pat_name": "p"}},
        "tableau:",
        "needs at least one of daily_revenue",
    ),
    _config(
        "config-tableau-batch",
        "tableau.batch_size: 0",
        {
            "local": DELETE,
            "tableau": {
                "server": "127.0.0.1",
                "pat_name": "p",
                "batch_size": 0,
                "views": {"daily_revenue": "v"},
            },
        },
        "tableau.batch_size:",
    ),
    _config(
        "config-a2a-question",
        "a2a.question with an unknown placeholder",
        {
            "source": {"primary": "local", "fallback": "a2a"},
            "a2a": {"billing_url": "http://127.0.0.1:9", "question": "{client}?"},
        },
        "a2a.question:",
        "only {customer} and {month}",
    ),
    _config(
        "config-slack-channel-number",
        "slack.dm_channel is a number",
        {"slack": {"dm_channel": 5}},
        "slack.dm_channel:",
        "valid string",
    ),
    _config(
        "config-telegram-chat-list",
        "telegram.chat_id is a list",
        {"telegram": {"chat_id": [1]}},
        "telegram.chat_id:",
    ),
    _config(
        "config-mcp-ttl",
        "mcp.cache_ttl_minutes below 0",
        {"mcp": {"cache_ttl_minutes": -1}},
        "mcp.cache_ttl_minutes:",
    ),
    _config(
        "config-closed-empty",
        "an empty closed ticket status",
        {"closed_ticket_statuses": ["done", " "]},
        "closed_ticket_statuses:",
        "a status cannot be empty",
    ),
    _config(
        "config-closed-string",
        "closed_ticket_statuses as a string",
        {"closed_ticket_statuses": "done"},
        "closed_ticket_statuses:",
        "valid tuple",
    ),
    _config(
        "config-charts-text", 'charts: "perhaps"', {"charts": "perhaps"}, "charts:", "valid boolean"
    ),
    _config(
        "config-many",
        "four problems at once: all reported, each with its path",
        {
            "pace_method": "x",
            "timezone": "Nowhere/Else",
            "thresholds": {"growth_pct": -1},
            "customers": [{"name": 5}],
        },
        "timezone: unknown time zone 'Nowhere/Else'",
    ),
    _config(
        "config-unknown-key",
        "a misspelt key (`thershold`) is a warning, not an error",
        {"thershold": {}},
        "warning: unknown config key 'thershold'",
        code=0,
        posts=BOTH,
    ),
    _config(
        "config-closed-custom",
        "custom closed statuses replace the default",
        {**TRACKERS, "closed_ticket_statuses": ["parked"]},
        code=0,
        posts=BOTH,
        files={"escalations.json": "[]", "engdesk/a.json": _ticket("Won't Fix")},
        out_has=("ENGDESK-7 stale",),
    ),
    _config(
        "config-owner-nowhere",
        "an owner with no slack or telegram destination",
        {"owners": {"alice": {"name": "Alice Chen"}}},
        "owners.alice: an owner needs a slack or telegram destination",
    ),
    _config(
        "config-owner-undefined",
        "a customer owned by an owner key that is not defined",
        {
            "customers": [{"name": "Acme", "owner": "nobody"}, {"name": "Globex"}],
            "owners": {"alice": {"name": "Alice Chen", "slack": "U0ALICE"}},
        },
        "customers[0].owner: 'nobody' is not a key of `owners` (defined: alice)",
    ),
]

DATA_CASES = [
    _data(
        "data-path-typo",
        "a typo in local.path",
        GOOD_CSV,
        "revenu.csv not found",
        "did you mean 'revenue.csv'?",
        "local.path",
        config={"local": {"path": "revenu.csv"}},
    ),
    _data(
        "data-path-directory",
        "local.path names a directory",
        GOOD_CSV,
        "is a directory",
        "local.path",
        config={"local": {"path": "."}},
    ),
    _data(
        "data-xlsx",
        "local.path is an Excel workbook",
        b"PK\x03\x04...",
        "revenue.xlsx: unknown file type",
        "export it as CSV UTF-8",
        name="revenue.xlsx",
    ),
    _data(
        "data-xlsx-renamed",
        "an Excel workbook renamed .csv",
        b"PK\x03\x04\x14\x00\x06\x00",
        "revenue.csv is a ZIP or Excel (.xlsx) file",
        "save it as CSV UTF-8",
    ),
    _data(
        "data-xls-renamed",
        "an old .xls workbook renamed .csv",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "old Excel (.xls) file",
        "CSV UTF-8",
    ),
    _data(
        "data-binary",
        "a binary file named .csv",
        b"\x00\x01\x02\x03garbage\x00",
        "revenue.csv line 1 holds binary data",
        "CSV UTF-8",
    ),
    _data("data-empty", "an empty file", b"", "revenue.csv is empty", "export the revenue data"),
    _data("data-blank-lines", "a file of blank lines", "\n\n\r\n", "revenue.csv is empty"),
    _data(
        "data-header-only",
        "a header and no rows",
        HEADER,
        "revenue.csv has a header but no data rows",
    ),
    _data(
        "data-latin1",
        "a Latin-1 file",
        (HEADER + "2026-02-05,Caf\xe9,SMS,1\n").encode("latin-1"),
        "revenue.csv line 2 is not UTF-8 text (byte 0xe9)",
        "CSV UTF-8",
    ),
    _data(
        "data-utf16",
        'a UTF-16 file (Excel\'s "Unicode text")',
        GOOD_CSV.encode("utf-16"),
        "revenue.csv is UTF-16 text, not UTF-8",
        "CSV UTF-8",
    ),
    _data(
        "data-parquet-named-csv",
        "a Parquet file named .csv",
        b"PAR1\x15\x04",
        "is a Parquet file with a CSV name",
    ),
    _data(
        "data-not-parquet",
        "a CSV file named .parquet",
        GOOD_CSV,
        "revenue.parquet cannot be read as parquet",
        name="revenue.parquet",
    ),
    _data(
        "data-bad-gzip",
        "a .csv.gz that is not gzip",
        GOOD_CSV,
        "cannot read ",
        "revenue.csv.gz: Not a gzipped file",
        name="revenue.csv.gz",
    ),
    _data(
        "data-unknown-suffix",
        "local.path ends in .json",
        GOOD_CSV,
        "revenue.json: unknown file type",
        "local.path must end in",
        name="revenue.json",
    ),
    _data(
        "data-column-missing",
        "the amount column is missing",
        "date,customer,service\n2026-02-05,Acme,SMS\n",
        "has no column for amount ('amount')",
        "it has 'date', 'customer', 'service'",
        "local.columns",
    ),
    _data(
        "data-column-misnamed",
        'the customer column is called "client"',
        GOOD_CSV.replace("customer", "client"),
        "has no column for customer ('customer')",
        "'client'",
        "local.columns.<field>",
    ),
    _data(
        "data-columns-config-wrong",
        "local.columns names a column the file lacks",
        GOOD_CSV,
        "has no column for amount ('usd')",
        config={"local": {"columns": {"amount": "usd"}}},
    ),
    _data(
        "data-semicolons",
        "a semicolon file without local.delimiter",
        GOOD_CSV.replace(",", ";"),
        "it has 'date;customer;service;amount'",
        "check local.delimiter",
    ),
    _data(
        "data-ragged",
        "a row with a missing field",
        GOOD_CSV + "2026-02-07,Acme,9\n",
        "revenue.csv line 8 has 3 field(s), the header has 4",
        "local.delimiter",
    ),
    _data(
        "data-extra-field",
        "a row with an extra field",
        GOOD_CSV + "2026-02-07,Acme,SMS,9,x\n",
        "revenue.csv line 8 has 5 field(s)",
    ),
    _data(
        "data-unclosed-quote",
        "an unclosed quote",
        GOOD_CSV + '2026-02-07,"Acme,SMS,9\n',
        "revenue.csv line",
        "quot",
    ),
    _row(
        "data-nan",
        "an amount of NaN",
        "2026-02-07,Acme,SMS,NaN",
        "row 7 (line 8)",
        "amount is 'NaN'",
        "finite",
    ),
    _row("data-inf", "an amount of inf", "2026-02-07,Acme,SMS,inf", "amount is 'inf'", "finite"),
    _row(
        "data-minus-inf",
        "an amount of -Infinity",
        "2026-02-07,Acme,SMS,-Infinity",
        "amount is '-Infinity'",
        "finite",
    ),
    _row(
        "data-1e309",
        "an amount of 1e309 (overflows to infinity)",
        "2026-02-07,Acme,SMS,1e309",
        "amount is '1e309'",
        "finite",
    ),
    _row(
        "data-amount-too-large",
        "an amount of 10^17 (past what sums exactly to 1/10,000)",
        "2026-02-07,Acme,SMS,100000000000000000",
        "amount is '100000000000000000'",
        "must be under 100,000,000,000,000",
    ),
    _row(
        "data-amount-too-large-formatted",
        "$100,000,000,000,000.00 written with separators",
        '2026-02-07,Acme,SMS,"$100,000,000,000,000.00"',
        "amount is '$100,000,000,000,000.00'",
        "must be under 100,000,000,000,000",
    ),
    _row(
        "data-decimal-comma",
        "1.234,50 with the default decimal point",
        '2026-02-07,Acme,SMS,"1.234,50"',
        "amount is '1.234,50'",
        'set local.decimal to ","',
    ),
    _row(
        "data-comma-no-group",
        "1,5 is neither a thousands group nor a decimal point",
        '2026-02-07,Acme,SMS,"1,5"',
        "amount is '1,5'",
        "local.decimal is '.'",
    ),
    _row(
        "data-amount-text",
        'an amount of "n/a"',
        "2026-02-07,Acme,SMS,n/a",
        "amount is 'n/a'",
        "1234.56",
    ),
    _row("data-amount-empty", "an empty amount", "2026-02-07,Acme,SMS,", "amount is empty"),
    _row(
        "data-amount-two-points",
        "an amount of 1.2.3",
        "2026-02-07,Acme,SMS,1.2.3",
        "amount is '1.2.3'",
    ),
    _row(
        "data-date-bad",
        'a date of "Feb 7th"',
        "Feb 7th,Acme,SMS,1",
        "date is 'Feb 7th'",
        "YYYY-MM-DD",
    ),
    _row(
        "data-date-impossible",
        "a date of 2026-02-30",
        "2026-02-30,Acme,SMS,1",
        "date is '2026-02-30'",
    ),
    _row(
        "data-customer-empty",
        "a row without a customer",
        "2026-02-07,,SMS,1",
        "customer is empty",
        "every row needs a customer",
    ),
    _data(
        "data-decimal-comma-configured",
        'local.decimal "," with ; delimiter reads 1.234,50',
        HEADER.replace(",", ";")
        + "2026-01-05;Acme;SMS;1.234,50\n2026-02-05;Acme;SMS;617,25\n"
        + "2026-01-05;Globex;SMS;2.000\n2026-02-05;Globex;SMS;1.000,5\n",
        code=0,
        posts=BOTH,
        config={"local": {"decimal": ",", "delimiter": ";"}},
        out_has=("Acme: $617",),
    ),
    _reads(
        "data-crlf-with-lf-row",
        "a CRLF file with one LF row",
        GOOD_CSV.replace("\n", "\r\n").replace("\r\n2026-02-05", "\n2026-02-05"),
    ),
    _reads(
        "data-lf-with-crlf-row",
        "an LF file with one CRLF row",
        GOOD_CSV.replace("\n2026-02-05", "\r\n2026-02-05"),
    ),
    _reads(
        "data-bom",
        "UTF-8 with a byte-order mark",
        "\ufeff" + GOOD_CSV,
    ),
    _reads(
        "data-tsv",
        "a .tsv file (tab-delimited by default)",
        GOOD_CSV.replace(",", "\t"),
        name="revenue.tsv",
    ),
    _reads(
        "data-no-header",
        "local.header false: columns in the documented order",
        GOOD_ROWS,
        config={"local": {"header": False}},
    ),
    _reads(
        "data-thousands-and-dollars",
        'amounts like "$1,400.00"',
        GOOD_CSV.replace("1400", '"$1,400.00"'),
    ),
    _data(
        "data-quoted-newline",
        "a quoted service name with a line break",
        GOOD_CSV + '2026-02-07,Acme,"SMS\nbulk",1\n',
        code=0,
        posts=BOTH,
    ),
    _data(
        "data-credit-netted",
        "a credit larger than this month's charges on a line",
        GOOD_CSV + "2026-02-13,Acme,Voice,-900\n",
        code=0,
        posts=BOTH,
        out_lacks=('"Voice" line item vanished',),
    ),
    _data(
        "data-no-rows-before-as-of",
        "every row is dated after --as-of",
        GOOD_CSV,
        "revenue.csv has no rows dated before 2025-01-01",
        "--as-of",
        as_of="2025-01-01",
    ),
    _data(
        "data-no-configured-customer",
        "the data has none of the configured customers",
        GOOD_CSV,
        "revenue.csv",
        "Initech",
        code=1,
        config={"customers": [{"name": "Initech"}, {"name": "Umbrella"}]},
    ),
]

ENV_CASES = [
    _env(
        "env-dry-run-bad",
        "DRY_RUN=perhaps",
        {"DRY_RUN": "perhaps"},
        "environment variable DRY_RUN:",
        "valid boolean",
    ),
    _env(
        "env-dry-run",
        "DRY_RUN=true computes and posts nothing",
        {"DRY_RUN": "true"},
        code=0,
        out_has=("Acme",),
    ),
    _env(
        "env-config-path-missing",
        "CONFIG_PATH names a missing file",
        {"CONFIG_PATH": "elsewhere.json"},
        "elsewhere.json not found",
        "CONFIG_PATH",
    ),
    _env(
        "env-config-path-dir",
        "CONFIG_PATH names a directory",
        {"CONFIG_PATH": "config"},
        "config not found",
    ),
    _env(
        "env-slack-token-unset",
        "no SLACK_BOT_TOKEN: Slack is skipped with a warning",
        {"SLACK_BOT_TOKEN": None},
        "SLACK_BOT_TOKEN",
        code=0,
        posts=("telegram",),
    ),
    _env(
        "env-slack-token-empty",
        "SLACK_BOT_TOKEN= (empty, as .env.example has it)",
        {"SLACK_BOT_TOKEN": ""},
        "SLACK_BOT_TOKEN",
        code=0,
        posts=("telegram",),
    ),
    _env(
        "env-telegram-token-empty",
        "TELEGRAM_BOT_TOKEN= (empty)",
        {"TELEGRAM_BOT_TOKEN": ""},
        "TELEGRAM_BOT_TOKEN",
        code=0,
        posts=("slack",),
    ),
    _env(
        "env-tableau-secret-empty",
        "TABLEAU_PAT_SECRET= (empty) with a tableau source",
        {"TABLEAU_PAT_SECRET": ""},
        "TABLEAU_PAT_SECRET",
        config={
            "local": DELETE,
            "tableau": {
                "server": "http://127.0.0.1:9",
                "pat_name": "p",
                "views": {"daily_revenue": "v"},
            },
        },
    ),
    _env(
        "env-ascii-stdout",
        "PYTHONIOENCODING=ascii (an emoji digest on an ASCII terminal)",
        {"PYTHONIOENCODING": "ascii"},
        code=0,
        posts=BOTH,
        ascii_stdout=True,
    ),
]

FLAG_CASES = [
    _flags(
        "flag-as-of-far-future",
        "--as-of 9999-12-31",
        ("digest", "--as-of", "9999-12-31"),
        "--as-of",
        as_of=None,
    ),
    _flags(
        "flag-as-of-year-one",
        "--as-of 0001-01-01",
        ("digest", "--as-of", "0001-01-01"),
        "argument --as-of: '0001-01-01' is out of range",
        "use a year from 1900 to 2999",
        as_of=None,
    ),
    _flags(
        "flag-as-of-impossible",
        "--as-of 2026-02-30",
        ("digest", "--as-of", "2026-02-30"),
        "argument --as-of: '2026-02-30' is not a date",
        "YYYY-MM-DD",
        as_of=None,
    ),
    _flags(
        "flag-as-of-word",
        "--as-of yesterday",
        ("digest", "--as-of", "yesterday"),
        "'yesterday' is not a date",
        as_of=None,
    ),
    _flags(
        "flag-method",
        "--method vibes",
        ("digest", "--method", "vibes"),
        "argument --method: invalid choice: 'vibes'",
    ),
    _flags(
        "flag-format",
        "--format pdf",
        ("digest", "--format", "pdf"),
        "argument --format: invalid choice: 'pdf'",
    ),
    _flags(
        "flag-typo", "--dryrun (a typo)", ("digest", "--dryrun"), "unrecognized arguments: --dryrun"
    ),
    _flags("flag-no-command", "no command at all", (), "required: command", as_of=None),
    _flags(
        "flag-unknown-command",
        "an unknown command",
        ("post",),
        "invalid choice: 'post'",
        as_of=None,
    ),
    _flags(
        "flag-both-only",
        "--slack-only with --telegram-only",
        ("digest", "--slack-only", "--telegram-only"),
        "not allowed with argument",
    ),
    _flags(
        "flag-customer-unknown",
        "--customer names nobody",
        ("digest", "--customer", "Nobody"),
        "unknown customer 'Nobody'",
    ),
    _flags(
        "flag-customer-close",
        "--customer with a near miss",
        ("digest", "--customer", "Acm"),
        "unknown customer 'Acm'",
        "did you mean 'Acme'?",
    ),
    _flags(
        "flag-customer-alias",
        "--customer by alias, any case",
        ("digest", "--customer", "acme corp"),
        code=0,
        posts=BOTH,
        out_has=("Acme",),
        config={"customers": [{"name": "Acme", "aliases": ["ACME Corp"]}, {"name": "Globex"}]},
    ),
    _flags(
        "flag-config-missing",
        "--config to a missing file",
        ("check", "--config", "x.json"),
        "x.json not found",
    ),
    _flags(
        "flag-slack-only-unset",
        "--slack-only without a slack section",
        ("digest", "--slack-only"),
        "slack",
        config={"slack": DELETE},
    ),
    _flags(
        "flag-telegram-only-no-token",
        "--telegram-only without TELEGRAM_BOT_TOKEN",
        ("digest", "--telegram-only"),
        "TELEGRAM_BOT_TOKEN",
        env={"TELEGRAM_BOT_TOKEN": None},
    ),
    _flags(
        "flag-charts-file",
        "--charts pointing at a file",
        ("digest", "--charts", "revenue.csv"),
        "--charts",
        "revenue.csv",
    ),
    _flags(
        "flag-output-under-file",
        "--output under a path that is a file",
        ("digest", "--output", "revenue.csv/digest.txt"),
        "cannot write",
        "--output",
    ),
    _flags(
        "flag-pace-limit-text",
        "pace --limit ten",
        ("pace", "--limit", "ten"),
        "argument --limit: invalid int value: 'ten'",
    ),
    _flags(
        "flag-pace-flag",
        "pace --flag vibes",
        ("pace", "--flag", "vibes"),
        "argument --flag: invalid choice: 'vibes'",
    ),
    _flags(
        "flag-breakdown-no-customer",
        "breakdown without a customer",
        ("breakdown",),
        "the following arguments are required: CUSTOMER",
    ),
    _flags(
        "flag-breakdown-unknown",
        "breakdown of an unknown customer",
        ("breakdown", "Nobody"),
        "unknown customer 'Nobody'",
    ),
    _flags(
        "flag-history-days-text",
        "history --days soon",
        ("history", "--days", "soon"),
        "invalid int value: 'soon'",
    ),
    _flags(
        "flag-backtest-month",
        "backtest --from 2026-13",
        ("backtest", "--from", "2026-13", "--to", "2026-02"),
        "'2026-13' is not a month",
        "YYYY-MM",
    ),
    _flags(
        "flag-backtest-order",
        "backtest --to before --from",
        ("backtest", "--from", "2026-02", "--to", "2025-11"),
        "--to is before --from",
    ),
    _flags(
        "flag-ack-unknown",
        "ack an unknown customer",
        ("ack", "Nobody"),
        "unknown customer 'Nobody'",
    ),
    _flags(
        "flag-serve-no-token",
        "serve over HTTP without SPEND_MONITOR_MCP_TOKEN",
        ("serve", "--transport", "http"),
        "SPEND_MONITOR_MCP_TOKEN is not set",
        "--no-auth",
    ),
    _flags(
        "flag-serve-open",
        "serve --no-auth on 0.0.0.0",
        ("serve", "--transport", "http", "--no-auth", "--host", "0.0.0.0"),
        "--no-auth is allowed only on loopback",
    ),
    _flags(
        "flag-serve-port",
        "serve --port 70000",
        ("serve", "--transport", "http", "--no-auth", "--port", "70000"),
        "--port",
        "70000",
    ),
]

TRACKER_CASES = [
    _tracker(
        "tracker-missing",
        "escalation_tracker_path names a missing file",
        {},
        "missing.json: tracker file not found; skipped",
        config={"escalation_tracker_path": "missing.json"},
    ),
    _bad_tracker(
        "tracker-not-json",
        "the escalation tracker is not JSON",
        {"escalations.json": "{oops"},
        "escalations.json: not valid JSON (line 1); skipped",
    ),
    _bad_tracker(
        "tracker-not-array",
        "the escalation tracker is an object",
        {"escalations.json": '{"customer": "Acme"}'},
        "expected a JSON array; skipped",
    ),
    _bad_tracker(
        "tracker-not-utf8",
        "the escalation tracker is Latin-1",
        {"escalations.json": b'[{"customer": "Caf\xe9"}]'},
        "not UTF-8 text; skipped",
    ),
    _bad_tracker(
        "tracker-entry-no-date",
        "an escalation without a date",
        {"escalations.json": '[{"customer": "Acme"}]'},
        "escalations.json[0]: date: Field required; entry skipped",
    ),
    _bad_tracker(
        "tracker-entry-bad-date",
        'an escalation dated "yesterday"',
        {"escalations.json": '[{"customer": "Acme", "date": "yesterday"}]'},
        "escalations.json[0]: date:",
        "entry skipped",
    ),
    _bad_tracker(
        "tracker-entry-customer-number",
        "an escalation for customer 5",
        {"escalations.json": '[{"customer": 5, "date": "2026-02-10"}]'},
        "escalations.json[0]: customer: expected text, got 5; entry skipped",
    ),
    _bad_tracker(
        "tracker-entry-string",
        "an escalation that is a bare string",
        {"escalations.json": '["Acme is angry"]'},
        "escalations.json[0]: expected an object, got str; entry skipped",
    ),
    _bad_tracker(
        "tracker-ticket-not-json",
        "an ENGDESK file that is not JSON",
        {"engdesk/a.json": "ENGDESK-7 open"},
        "engdesk/a.json: not valid JSON",
    ),
    _bad_tracker(
        "tracker-ticket-updated-first",
        "updated_date before created_date",
        {"engdesk/a.json": _ticket(updated_date="2025-12-01")},
        "engdesk/a.json (ENGDESK-7): updated_date 2025-12-01 is before created_date "
        "2026-01-05; entry skipped",
    ),
    _bad_tracker(
        "tracker-ticket-no-status",
        "a ticket without a status",
        {
            "engdesk/a.json": '{"ticket_id": "ENGDESK-8", "customer": "Acme", '
            '"created_date": "2026-01-05"}'
        },
        "engdesk/a.json (ENGDESK-8): status: Field required; entry skipped",
    ),
    _bad_tracker(
        "tracker-ticket-status-number",
        "a ticket whose status is a number",
        {"engdesk/a.json": _ticket(status=3)},
        "(ENGDESK-7): status: expected text",
    ),
    _bad_tracker(
        "tracker-ticket-customer-number",
        "a ticket for customer 5",
        {"engdesk/a.json": _ticket(customer=5)},
        "(ENGDESK-7): customer: expected text",
    ),
    *(
        _tracker(
            f"tracker-ticket-{slug}",
            f'a ticket closed as "{status}" is not stale',
            {"engdesk/a.json": _ticket(status)},
            out_lacks=("stale",),
        )
        for slug, status in (
            ("wont-fix", "Won't Fix"),
            ("cancelled", "cancelled"),
            ("duplicate", "DUPLICATE"),
        )
    ),
    _tracker(
        "tracker-ticket-open",
        "an open ticket idle for weeks is stale",
        {"engdesk/a.json": _ticket("In Progress")},
        out_has=("ENGDESK-7 stale",),
    ),
    _tracker(
        "tracker-ticket-id-number",
        "a numeric ticket id is fine",
        {"engdesk/a.json": _ticket(ticket_id=49374)},
        out_has=("49374 stale",),
    ),
    _tracker(
        "tracker-glob-nothing",
        "engdesk_tracker_glob matches no file: nothing to say",
        {},
        config={"escalation_tracker_path": DELETE},
    ),
]

CASES: list[Case] = [*CONFIG_CASES, *DATA_CASES, *ENV_CASES, *FLAG_CASES, *TRACKER_CASES]

"""The config file, parsed and validated once at start-up.

The old script's `config.json` loads unchanged; every newer key is optional. Secrets never live
here: they come from the environment (`settings.py`).
"""

from __future__ import annotations

import glob
import json
import logging
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .domain.models import Customer, MethodChoice, SourceName, Thresholds
from .domain.watch import DEFAULT_CLOSED_STATUSES, fold_status
from .errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_CONFIG_PATH = Path("config/config.json")
DEFAULT_TIMEZONE = "America/Chicago"
# A validator that finds several problems raises `_several(...)`: each is "key: message", and
# the report shows each on its own line under the validator's JSON path.
SUBPROBLEMS = "\n"


def _several(problems: list[str]) -> ValueError:
    return ValueError(SUBPROBLEMS + SUBPROBLEMS.join(problems))


class Section(BaseModel):
    """Unknown keys are kept (and reported as likely typos), never fatal."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class Columns(Section):
    date: str = "date"
    customer: str = "customer"
    service: str = "service"
    amount: str = "amount"


class LocalConfig(Section):
    """How a local file is read; every choice is explicit (docs/configuration.md, "local")."""

    path: Path
    columns: Columns = Field(default_factory=Columns)
    # None: a tab for .tsv files, else a comma.
    delimiter: str | None = Field(None, min_length=1, max_length=1)
    header: bool = True
    decimal: Literal[".", ","] = "."

    @model_validator(mode="after")
    def _delimiter_is_not_decimal(self) -> LocalConfig:
        if self.delimiter in (self.decimal, '"', "\n", "\r"):
            also = " when it is also local.decimal" if self.delimiter == self.decimal else ""
            raise _several([f"delimiter: {self.delimiter!r} cannot separate columns{also}"])
        return self


class SqlConfig(Section):
    url: str | None = None
    table: str | None = None
    query: str | None = None
    columns: Columns = Field(default_factory=Columns)

    @model_validator(mode="after")
    def _one_relation(self) -> SqlConfig:
        if (self.table is None) == (self.query is None):
            raise ValueError("set exactly one of sql.table and sql.query")
        return self

    @field_validator("url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        if value and re.search(r"://[^/@]*:[^/@]+@", value):
            raise ValueError(
                "sql.url holds a password: put the whole URL in SPEND_MONITOR_SQL_URL instead"
            )
        return value


class TableauViews(Section):
    monthly_revenue: str | None = None
    daily_revenue: str | None = None
    service_breakdown: str | None = None


class TableauColumns(Section):
    """Field captions as the views show them."""

    customer: str = "Account Name"
    date: str = "Date"
    month: str = "Month"
    service: str = "Service"
    amount: str = "Revenue"


class TableauConfig(Section):
    server: str
    site: str = ""
    pat_name: str
    api_version: str = "3.24"
    views: TableauViews = Field(default_factory=TableauViews)
    columns: TableauColumns = Field(default_factory=TableauColumns)
    filter_field: str | None = None
    batch_size: int = Field(250, ge=1, le=1000)
    max_concurrency: int = Field(8, ge=1, le=20)

    @property
    def base_url(self) -> str:
        """A bare host name means HTTPS, as the old script assumed; a URL is used as given."""
        server = self.server.rstrip("/")
        return server if "://" in server else f"https://{server}"

    @model_validator(mode="after")
    def _some_view(self) -> TableauConfig:
        views = self.views
        if not (views.daily_revenue or views.monthly_revenue or views.service_breakdown):
            raise ValueError(
                "tableau.views needs at least one of daily_revenue, "
                "monthly_revenue, service_breakdown"
            )
        return self


class A2AConfig(Section):
    billing_url: str
    protocol_version: Literal["0.3", "1.0", "auto"] = "0.3"
    question: str = "What is the total revenue for {customer} for month {month}?"
    max_concurrency: int = Field(4, ge=1, le=20)

    @field_validator("question")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        try:
            value.format(customer="x", month="2026-01")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"only {{customer}} and {{month}} may be used ({exc})") from None
        return value


class SlackConfig(Section):
    dm_channel: str
    api_base: str = "https://slack.com/api/"

    @field_validator("api_base")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"


class TelegramConfig(Section):
    chat_id: str | int
    api_base: str = "https://api.telegram.org"


class McpConfig(Section):
    cache_ttl_minutes: float = Field(15, ge=0)


class SourceChain(Section):
    primary: SourceName
    fallback: SourceName | None = None


class ThresholdsConfig(Thresholds):
    """The thresholds must order the flags sensibly (docs/configuration.md, "thresholds"):
    decline_pct < 0 < growth_pct, watch_drop_pct <= decline_pct, and a big mover is at least
    as far out as both flags."""

    model_config = ConfigDict(frozen=True, extra="allow", allow_inf_nan=False)

    @model_validator(mode="after")
    def _consistent(self) -> ThresholdsConfig:
        problems = []
        if self.growth_pct <= 0:
            problems.append(f"growth_pct: {self.growth_pct:g} must be above 0 (e.g. 15)")
        if self.decline_pct >= 0:
            problems.append(f"decline_pct: {self.decline_pct:g} must be below 0 (e.g. -10)")
        elif self.watch_drop_pct > self.decline_pct:
            problems.append(
                f"watch_drop_pct: {self.watch_drop_pct:g} must be at or below decline_pct "
                f"({self.decline_pct:g}), e.g. -25"
            )
        if self.big_mover_pct < max(self.growth_pct, -self.decline_pct):
            problems.append(
                f"big_mover_pct: {self.big_mover_pct:g} must be at least growth_pct and "
                "-decline_pct (e.g. 50)"
            )
        if problems:
            raise _several(problems)
        return self


class CustomerConfig(Customer):
    model_config = ConfigDict(frozen=True, extra="allow")

    tableau_url_name: str | None = None
    # An owner key from `owners`; it wins over a row of `owners_file` for the same customer.
    owner: str | None = Field(None, min_length=1)


class OwnerConfig(Section):
    """A customer-success manager: who they are and where their digest goes. `slack` is a
    user ID (their DM is opened for them) or a channel ID; `telegram` a chat ID."""

    name: str = Field(min_length=1)
    slack: str | None = Field(None, min_length=1)
    telegram: str | int | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> OwnerConfig:
        """An owner's customers must reach someone: never posted nowhere, silently."""
        if self.slack is None and self.telegram is None:
            raise ValueError("an owner needs a slack or telegram destination (or remove it)")
        return self


class TeamConfig(Section):
    """Where the manager's roll-up of the whole team goes."""

    slack: str | None = Field(None, min_length=1)
    telegram: str | int | None = None


class Config(Section):
    customers: list[CustomerConfig] = Field(default_factory=list)
    source: SourceName | SourceChain | None = None
    local: LocalConfig | None = None
    sql: SqlConfig | None = None
    tableau: TableauConfig | None = None
    a2a: A2AConfig | None = None
    slack: SlackConfig | None = None
    telegram: TelegramConfig | None = None
    thresholds: ThresholdsConfig = Field(default_factory=ThresholdsConfig)
    pace_method: MethodChoice = "auto"
    timezone: str = DEFAULT_TIMEZONE
    holidays_country: str = "US"
    mcp: McpConfig = Field(default_factory=McpConfig)
    charts: bool = True
    state_path: Path | None = None
    # Runs dated more than this many days before the newest are deleted from the state store.
    state_keep_days: int = Field(400, ge=1)
    escalation_tracker_path: Path | None = None
    engdesk_tracker_glob: str | None = None
    closed_ticket_statuses: tuple[str, ...] = DEFAULT_CLOSED_STATUSES
    # A whole run (fetch and post) ends within this many seconds, whatever fails.
    deadline_seconds: float = Field(300, gt=0, le=86_400)
    # A team: owner key -> owner; a CRM export of `customer,owner`; the manager's roll-up.
    owners: dict[str, OwnerConfig] = Field(default_factory=dict)
    owners_file: Path | None = None
    team: TeamConfig | None = None

    @field_validator("closed_ticket_statuses")
    @classmethod
    def _folded_statuses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        folded = tuple(dict.fromkeys(fold_status(s) for s in value))
        if "" in folded:
            raise ValueError("a status cannot be empty")
        return folded

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @field_validator("holidays_country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        import holidays

        if value.upper() not in holidays.list_supported_countries():
            raise ValueError(f"no holiday calendar for country {value!r} (use ISO codes: US, GB)")
        return value.upper()

    @field_validator("customers")
    @classmethod
    def _unique_labels(cls, customers: list[CustomerConfig]) -> list[CustomerConfig]:
        """A name, display name or alias (case-insensitive) must point at one customer."""
        owner: dict[str, int] = {}
        problems = []
        for i, customer in enumerate(customers):
            labels = [("name", customer.name), ("display_name", customer.display_name)]
            labels += [(f"aliases[{j}]", alias) for j, alias in enumerate(customer.aliases)]
            for key, label in labels:
                folded = (label or "").strip().casefold()
                other = owner.setdefault(folded, i) if folded else i
                if other == i:
                    continue
                twice = key == "name" and customers[other].name == customer.name
                problems.append(
                    f"[{i}].name: customer {label!r} is listed twice"
                    if twice
                    else f"[{i}].{key}: {label!r} already names customer "
                    f"{customers[other].name!r}; keep it on one of them"
                )
        if problems:
            raise _several(problems)
        return customers

    @model_validator(mode="after")
    def _owners_defined(self) -> Config:
        """Every owner key a customer names is defined, and no two owners share a
        destination (each destination gets one digest a day)."""
        problems = [
            f"customers[{i}].owner: {c.owner!r} is not a key of `owners` "
            f"(defined: {', '.join(sorted(self.owners)) or 'none'})"
            for i, c in enumerate(self.customers)
            if c.owner is not None and c.owner not in self.owners
        ]
        seen: dict[str, str] = {}
        for key, owner in self.owners.items():
            for channel in ("slack", "telegram"):
                address = getattr(owner, channel)
                if address is None:
                    continue
                other = seen.setdefault(f"{channel}:{address}", key)
                if other != key:
                    problems.append(
                        f"owners.{key}.{channel}: {address!r} is also {other!r}'s destination; "
                        "give each owner their own"
                    )
        if problems:
            raise _several(problems)
        return self

    @model_validator(mode="after")
    def _source_has_its_section(self) -> Config:
        if self.source is None and not (self.tableau or self.local or self.sql):
            raise ValueError(
                "no data source: add a `tableau`, `local` "
                '({"path": "revenue.csv"}) or `sql` section'
            )
        chain = self.source_chain
        for name in (chain.primary, chain.fallback):
            if name is not None and getattr(self, name, None) is None:
                raise ValueError(f"source {name!r} needs a {name!r} section")
        return self

    @property
    def source_chain(self) -> SourceChain:
        """The sources to use: explicit, or inferred as the old script did."""
        if isinstance(self.source, SourceChain):
            return self.source
        if self.source is not None:
            return SourceChain(primary=self.source)
        if self.tableau is not None:
            return SourceChain(primary="tableau", fallback="a2a" if self.a2a else None)
        if self.local is not None:
            return SourceChain(primary="local")
        return SourceChain(primary="sql")


def _json_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _problems(error: Any) -> list[str]:
    """One line per problem; a validator's joined sub-problems extend its JSON path."""
    skip = ("function-after", "tagged", "literal[")
    loc = tuple(p for p in error["loc"] if not str(p).startswith(skip))
    # Union members show up as path parts; keep the keys a user typed.
    loc = tuple(p for p in loc if p not in ("str", "SourceChain", "int"))
    path = _json_path(loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    if not message.startswith(SUBPROBLEMS):
        return [f"{path}: {message}"]
    where = "" if path == "(top level)" else path
    return [
        f"{where}{'' if sub.startswith('[') or not where else '.'}{sub}"
        for sub in message.split(SUBPROBLEMS)[1:]
    ]


def unknown_keys(model: BaseModel, path: str = "") -> list[str]:
    """JSON paths of keys the config model does not know — most likely typos."""
    found = [f"{path}{key}" for key in (model.model_extra or {})]
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, dict):
            items = {f"{name}.{key}": item for key, item in value.items()}
        elif isinstance(value, list):
            items = {f"{name}[{i}]": item for i, item in enumerate(value)}
        else:
            items = {name: value}
        for where, item in items.items():
            if isinstance(item, BaseModel):
                found += unknown_keys(item, f"{path}{where}.")
    return found


def parse_config(data: Any, origin: str) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = [f"{origin}: {p}" for e in exc.errors() for p in _problems(e)]
        raise ConfigError(
            f"{origin} has {len(problems)} problem(s)",
            "fix the listed keys (see docs/configuration.md)",
            problems=problems,
        ) from None


def load_config(path: Path) -> Config:
    if not path.is_file():
        raise ConfigError(
            f"config file {path} not found",
            "copy config/example-config.json there, pass --config PATH or set CONFIG_PATH",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            "fix the JSON syntax",
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
            "save it as UTF-8",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}: {exc.strerror or type(exc).__name__}",
            "check the file's permissions",
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a JSON object", "see config/example-config.json")
    return resolve_paths(parse_config(data, str(path)), path.parent)


def _beside(key: str, value: str, folder: Path) -> str:
    """`value` resolved against the config file's folder, unless it is absolute or exists only
    relative to the working directory (where the old script looked), which warns."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return str(path)
    beside = folder / path
    if not glob.glob(str(beside)) and glob.glob(value):
        log.warning(
            "%s: %r was found relative to the working directory, not the config file's folder "
            "%s; this still works but will stop working when run from elsewhere — write it "
            "relative to the config file or as an absolute path",
            key,
            value,
            folder,
        )
        return str(Path.cwd() / path)
    return str(beside)


def resolve_paths(config: Config, folder: Path) -> Config:
    """Relative paths in a config name files beside it, so a cron job or an agent finds them
    from any working directory."""
    folder = folder.absolute()
    update: dict[str, Any] = {}
    for key in ("escalation_tracker_path", "state_path", "owners_file"):
        if (value := getattr(config, key)) is not None:
            update[key] = Path(_beside(key, str(value), folder))
    if config.engdesk_tracker_glob is not None:
        update["engdesk_tracker_glob"] = _beside(
            "engdesk_tracker_glob", config.engdesk_tracker_glob, folder
        )
    if config.local is not None:
        local_path = Path(_beside("local.path", str(config.local.path), folder))
        update["local"] = config.local.model_copy(update={"path": local_path})
    return config.model_copy(update=update)

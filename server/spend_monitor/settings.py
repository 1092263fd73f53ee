"""The environment and the one precedence rule that combines it with the config file.

This is the one module that reads environment variables and `.env`. An empty (or blank)
variable is unset everywhere — `.env.example` ships `SLACK_BOT_TOKEN=` and that must mean "no
Slack", not "Slack with an empty token". Where a value can come from several places, the order
is: command line, then the process environment, then `.env`, then the config file, then the
default — decided here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .config import Config
from .errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/config.json")


class Environment(BaseSettings):
    """Variables the code reads, from the process environment or `.env` in the working dir."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    tableau_pat_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    telegram_bot_token: SecretStr | None = None
    config_path: Path = DEFAULT_CONFIG_PATH
    dry_run: bool = False
    spend_monitor_mcp_token: SecretStr | None = None
    spend_monitor_state: Path | None = None
    spend_monitor_sql_url: SecretStr | None = None
    xdg_state_home: Path | None = None

    @field_validator(
        "tableau_pat_secret",
        "slack_bot_token",
        "telegram_bot_token",
        "spend_monitor_mcp_token",
        "spend_monitor_sql_url",
    )
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        """`SLACK_BOT_TOKEN="  "` is as unset as `SLACK_BOT_TOKEN=`."""
        if value is None or not value.get_secret_value().strip():
            return None
        return value

    def secrets(self) -> list[str]:
        """Every secret value, for redaction from logs and errors."""
        values = (
            self.tableau_pat_secret,
            self.slack_bot_token,
            self.telegram_bot_token,
            self.spend_monitor_mcp_token,
            self.spend_monitor_sql_url,
        )
        return [v.get_secret_value() for v in values if v is not None]


def load_environment() -> Environment:
    try:
        return Environment()
    except ValidationError as exc:
        problems = [
            f"environment variable {str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors()
        ]
        raise ConfigError("bad environment variable", problems=problems) from None


def isolated_environment(**values: object) -> Environment:
    """An environment from the given values only (no process variables, no `.env`): for
    embedding the monitor in other programs and for tests."""
    return Environment.model_validate(values)


def config_path(flag: Path | None, env: Environment) -> Path:
    """--config, then $CONFIG_PATH (from the environment or `.env`), then the default."""
    return flag or env.config_path


@dataclass(frozen=True)
class Settings:
    """The config file and the environment, resolved by the one precedence rule."""

    config: Config
    env: Environment

    def dry_run(self, flag: bool) -> bool:
        return flag or self.env.dry_run

    @property
    def state_path(self) -> Path:
        """$SPEND_MONITOR_STATE, then `state_path` in config, then the user's state directory
        ($XDG_STATE_HOME, else ~/.local/state)."""
        env = self.env
        if env.spend_monitor_state is not None:
            return env.spend_monitor_state
        if self.config.state_path is not None:
            return self.config.state_path
        home = env.xdg_state_home or Path.home() / ".local" / "state"
        return home / "spend-monitor" / "state.db"

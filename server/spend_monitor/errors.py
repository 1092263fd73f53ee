"""Every error the monitor raises on purpose, each carrying a hint that tells the user what to do.

    SpendMonitorError               exit 1 unless a subclass says otherwise
    ├── ConfigError                 the config file, environment or command line is wrong (1)
    ├── UsageError                  a request's argument is out of bounds (1)
    ├── UnknownCustomerError        a name matches no monitored customer (1)
    ├── SourceError                 revenue data could not be read (4 when no customer could be)
    │   ├── DataFileError           a local CSV/Parquet file is missing or malformed (1)
    │   ├── TableauError            Tableau's REST API refused or failed (code from Tableau)
    │   ├── BillingAgentError       the A2A billing agent refused or failed
    │   └── WarehouseError          the SQL warehouse refused or failed
    ├── ChannelError                a post to Slack or Telegram failed
    │   ├── SlackError              Slack answered ok:false, an HTTP error, or garbage
    │   ├── TelegramError           Telegram answered ok:false, an HTTP error, or garbage
    │   └── PostUnconfirmed         a post may have arrived, but no answer came to say so
    └── StoreError                  the state database is unusable (the digest still goes out)

Foreign exceptions are translated into these once, in the adapter that meets them. Front ends
turn any of them into one line and `exit_code`; a channel or store error inside a run is that
channel's outcome or a warning, never a crashed run.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 1
EXIT_PARTIAL = 3
EXIT_NOTHING = 4


class SpendMonitorError(Exception):
    """Base class: `str(error)` is one line naming what is wrong; `hint` says how to fix it."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class ConfigError(SpendMonitorError):
    """Several problems may be reported at once, one per line in `problems`."""

    def __init__(self, message: str, hint: str | None = None, problems: list[str] | None = None):
        super().__init__(message, hint)
        self.problems = problems or [str(self)]


class UsageError(SpendMonitorError):
    """A request to the CLI or an MCP tool has an argument out of bounds."""


class UnknownCustomerError(SpendMonitorError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = (
            f"did you mean {', '.join(repr(s) for s in suggestions)}?"
            if suggestions
            else "run `spend-monitor customers` to list the monitored customers"
        )
        super().__init__(f"unknown customer {name!r}", hint)
        self.suggestions = suggestions


class SourceError(SpendMonitorError):
    """The source as a whole failed: no customer's revenue could be had."""

    exit_code = EXIT_NOTHING


class DataFileError(SourceError):
    """The user's own file is wrong: fixable by them, so a usage error."""

    exit_code = EXIT_USAGE


class TableauError(SourceError):
    def __init__(self, code: str, summary: str, hint: str | None = None) -> None:
        super().__init__(f"Tableau {code}: {summary}", hint)
        self.code = code


class BillingAgentError(SourceError):
    pass


class WarehouseError(SourceError):
    pass


class ChannelError(SpendMonitorError):
    exit_code = EXIT_NOTHING


class SlackError(ChannelError):
    def __init__(self, code: str, hint: str | None = None) -> None:
        super().__init__(f"Slack: {code}", hint)
        self.code = code


class TelegramError(ChannelError):
    def __init__(self, code: str, description: str, hint: str | None = None) -> None:
        super().__init__(f"Telegram: {description}", hint)
        self.code = code
        self.description = description


class PostUnconfirmed(ChannelError):
    """The request may have reached the platform (a timeout or a reset after sending): the
    ledger records the part as `unknown`, for recovery to confirm or re-send marked."""

    exit_code = EXIT_PARTIAL


class ChartError(SpendMonitorError):
    """A chart could not be drawn (matplotlib's failure, named): the text goes out alone."""


class StoreError(SpendMonitorError):
    exit_code = EXIT_PARTIAL

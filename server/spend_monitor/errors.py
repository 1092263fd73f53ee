"""Every error the monitor raises on purpose, each carrying a hint that tells the user what to do.

    SpendMonitorError
    ├── ConfigError          the config file, environment or command line is wrong
    ├── UnknownCustomerError  a name matches no monitored customer
    ├── SourceError          revenue data could not be read
    │   └── DataFileError    a local CSV/Parquet file is missing or malformed
    └── ChannelError         a post to Slack or Telegram failed

Foreign exceptions are translated into these once, in the adapter that meets them.
"""

from __future__ import annotations


class SpendMonitorError(Exception):
    """Base class: `str(error)` is one line naming what is wrong; `hint` says how to fix it."""

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


class UnknownCustomerError(SpendMonitorError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = (
            f"did you mean {', '.join(repr(s) for s in suggestions)}?"
            if suggestions
            else "run `spend-monitor check` to list the monitored customers"
        )
        super().__init__(f"unknown customer {name!r}", hint)
        self.suggestions = suggestions


class SourceError(SpendMonitorError):
    pass


class DataFileError(SourceError):
    pass


class ChannelError(SpendMonitorError):
    pass

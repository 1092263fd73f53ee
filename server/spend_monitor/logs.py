"""Logging for both front ends: stderr only, secrets masked in every line."""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import traceback
from collections.abc import Iterable
from pathlib import Path

# A Telegram bot token sits in its API URL path; mask the shape wherever it appears.
TELEGRAM_TOKEN = re.compile(r"\d{6,12}:[A-Za-z0-9_-]{20,}")
MASK = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return TELEGRAM_TOKEN.sub(MASK, text)


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        return True


def setup_logging(verbose: int, secrets: Iterable[str]) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def crash_report(error: BaseException, secrets: Iterable[str]) -> Path:
    """Write an unexpected error's full trace (secrets masked) to a file; the user sees one
    line naming it instead of a traceback."""
    trace = "".join(traceback.format_exception(error))
    handle, name = tempfile.mkstemp(prefix="spend-monitor-crash-", suffix=".log")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(redact(trace, secrets))
    return Path(name)

"""Telegram HTML: every piece of data escaped, messages split at line boundaries."""

from __future__ import annotations

import html
import re

from ..domain.models import Digest
from ..domain.ownership import Rollup
from .layout import layout, rollup_layout
from .text import join_sections

# Telegram counts message length in UTF-16 code units (an emoji counts twice).
MESSAGE_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


class TelegramStyle:
    def escape(self, text: str) -> str:
        return html.escape(" ".join(text.split()), quote=False)

    def bold(self, text: str) -> str:
        return f"<b>{text}</b>"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_lines(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of at most `limit` UTF-16 units, cut between lines (a line too long for one
    message is cut on its own). Our tags never span lines, so every piece stays valid HTML."""
    pieces: list[str] = []
    current = ""
    for whole_line in text.rstrip("\n").split("\n"):
        line = whole_line
        while utf16_len(line) > limit:
            cut = limit
            while utf16_len(line[:cut]) > limit:
                cut -= 1
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if utf16_len(candidate) > limit:
            pieces.append(current)
            candidate = line
        current = candidate
    if current.strip():
        pieces.append(current)
    return pieces


def render_telegram(digest: Digest) -> list[str]:
    return split_lines(join_sections(layout(digest, TelegramStyle()), "<b>{}</b>"))


def render_telegram_rollup(rollup: Rollup) -> list[str]:
    return split_lines(join_sections(rollup_layout(rollup, TelegramStyle()), "<b>{}</b>"))


def as_plain(message: str) -> str:
    """The same message without markup, for the one plain-text retry."""
    return html.unescape(_TAG.sub("", message))

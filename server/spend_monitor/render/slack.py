"""Slack Block Kit: a header and `mrkdwn` sections, split to stay inside Slack's limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..domain.models import Digest
from ..domain.ownership import Rollup
from .layout import Section, layout, rollup_layout, title
from .text import join_sections

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
# Slack rejects a message whose blocks hold much more than this (msg_blocks_too_long).
MESSAGE_TEXT_LIMIT = 11_000
FALLBACK_LIMIT = 39_000
_ZWSP = "\u200b"


class SlackStyle:
    """mrkdwn: `&`, `<`, `>` escaped (so `<!channel>` pings nobody); a zero-width space before
    `*`, `_`, `~` and backticks keeps a name like `*bold*` from turning into formatting."""

    def escape(self, text: str) -> str:
        text = " ".join(text.split())
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for mark in "*_~`":
            text = text.replace(mark, _ZWSP + mark)
        return text

    def bold(self, text: str) -> str:
        return f"*{text}*"


@dataclass
class SlackMessage:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _chunks(section: Section) -> list[str]:
    """A section's lines as texts of at most SECTION_LIMIT characters."""
    lines = ([f"*{section.heading}*"] if section.heading else []) + section.lines
    chunks: list[str] = []
    current = ""
    for full_line in lines:
        line = full_line[:SECTION_LIMIT]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_LIMIT:
            chunks.append(current)
            candidate = line
        current = candidate
    if current:
        chunks.append(current)
    return chunks


def render_slack(digest: Digest) -> list[SlackMessage]:
    """One message when it fits; more when the book is large, each within every limit."""
    header = title(digest.as_of, digest.updated, digest.owner)
    return slack_messages(layout(digest, SlackStyle()), header)


def render_slack_rollup(rollup: Rollup) -> list[SlackMessage]:
    return slack_messages(rollup_layout(rollup, SlackStyle()), title(rollup.as_of, False, "Team"))


def slack_messages(sections: list[Section], header: str) -> list[SlackMessage]:
    """Sections as messages; the first section's first line is the `header`, plain text."""
    title = header[:HEADER_LIMIT]
    subtitle = sections[0].lines[1]
    texts = [subtitle] + [chunk for s in sections[1:] for chunk in _chunks(s)]
    messages = [
        SlackMessage(
            text="", blocks=[{"type": "header", "text": {"type": "plain_text", "text": title}}]
        )
    ]
    size = 0
    for text in texts:
        current = messages[-1]
        if len(current.blocks) >= MAX_BLOCKS or size + len(text) > MESSAGE_TEXT_LIMIT:
            messages.append(SlackMessage(text=""))
            current, size = messages[-1], 0
        current.blocks.append(_section(text))
        size += len(text)
    # The fallback is mrkdwn too (Slack parses it for notifications): escaped like the blocks.
    fallback = join_sections(sections)
    for i, message in enumerate(messages):
        part = f" (part {i + 1} of {len(messages)})" if len(messages) > 1 else ""
        message.text = (fallback if i == 0 else f"{title}{part}")[:FALLBACK_LIMIT]
    return messages

"""Markdown, for agents and chat clients that render it."""

from __future__ import annotations

import re

from ..domain.models import Digest
from .layout import layout
from .text import join_sections

_SPECIAL = re.compile(r"([\\`*_\[\]<>~|])")


class MarkdownStyle:
    def escape(self, text: str) -> str:
        return _SPECIAL.sub(r"\\\1", " ".join(text.split()))

    def bold(self, text: str) -> str:
        return f"**{text}**"


def render_markdown(digest: Digest) -> str:
    sections = layout(digest, MarkdownStyle())
    for section in sections:
        # Bullets become a Markdown list; other lines end in a hard line break.
        section.lines = [
            "- " + line.removeprefix("• ") if line.startswith("• ") else line + "  "
            for line in section.lines
        ]
    return join_sections(sections, "**{}**")

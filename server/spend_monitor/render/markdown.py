"""Markdown (CommonMark), for agents and chat clients that render it.

Section headings are ATX headings (one line, so they never merge with the next); bullets form
lists and other lines form paragraphs, with a blank line wherever one turns into the other —
otherwise a paragraph after a list is a lazy continuation of its last item.
"""

from __future__ import annotations

import re

from ..domain.models import Digest
from .layout import layout
from .text import join_sections

_SPECIAL = re.compile(r"([\\`*_\[\]<>~|&])")
# At the start of a list item these would open a heading, a nested list or a thematic break.
_BLOCK_START = re.compile(r"^(?:([#+=-])|(\d+)([.)]))")
BULLET = "• "
HARD_BREAK = "  "


class MarkdownStyle:
    def escape(self, text: str) -> str:
        escaped = _SPECIAL.sub(r"\\\1", " ".join(text.split()))
        return _BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped)

    def bold(self, text: str) -> str:
        return f"**{text}**"


def blocks(lines: list[str]) -> list[str]:
    """Bullets as list items, other lines as paragraphs (hard line breaks inside), and a blank
    line between a list and a paragraph."""
    out: list[str] = []
    for i, line in enumerate(lines):
        bullet = line.startswith(BULLET)
        following = lines[i + 1] if i + 1 < len(lines) else None
        if bullet:
            out.append("- " + line.removeprefix(BULLET))
        else:
            more_text = following is not None and not following.startswith(BULLET)
            out.append(line + (HARD_BREAK if more_text else ""))
        if following is not None and following.startswith(BULLET) != bullet:
            out.append("")
    return out


def render_markdown(digest: Digest) -> str:
    sections = layout(digest, MarkdownStyle())
    for section in sections:
        section.lines = blocks(section.lines)
    return join_sections(sections, "### {}")

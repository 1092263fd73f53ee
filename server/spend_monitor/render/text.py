"""Plain text: the terminal, `--output`, and every channel's notification fallback."""

from __future__ import annotations

from ..domain.models import Digest
from ..domain.ownership import Rollup
from .layout import Section, layout, rollup_layout


class PlainStyle:
    def escape(self, text: str) -> str:
        return " ".join(text.split())

    def bold(self, text: str) -> str:
        return text


def join_sections(sections: list[Section], style_heading: str = "{}") -> str:
    blocks = []
    for section in sections:
        lines = [style_heading.format(section.heading)] if section.heading else []
        blocks.append("\n".join(lines + section.lines))
    return "\n\n".join(blocks) + "\n"


def render_text(digest: Digest) -> str:
    return join_sections(layout(digest, PlainStyle()))


def render_rollup_text(rollup: Rollup) -> str:
    return join_sections(rollup_layout(rollup, PlainStyle()))

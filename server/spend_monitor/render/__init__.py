"""Turn one `Digest` into text for each destination: one layout, a style per destination."""

from .json import digest_json, render_json
from .layout import Section, Style, layout
from .markdown import render_markdown
from .text import render_text

__all__ = [
    "Section",
    "Style",
    "digest_json",
    "layout",
    "render_json",
    "render_markdown",
    "render_text",
]

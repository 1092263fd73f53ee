"""Turn one `Digest` into text for each destination: one layout, a style per destination."""

from collections.abc import Callable, Iterable
from typing import Literal

from ..domain.models import Digest
from .json import digest_json, json_chunks, render_json
from .layout import Section, Style, layout
from .markdown import render_markdown
from .text import render_text

DigestFormat = Literal["text", "markdown", "json"]
RENDERERS: dict[DigestFormat, Callable[[Digest], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}


def render_chunks(format: DigestFormat, digest: Digest) -> Iterable[str]:
    """The digest in `format`, in pieces to write one after another (JSON streams a whole
    book a few hundred customers at a time)."""
    return json_chunks(digest) if format == "json" else (RENDERERS[format](digest),)


__all__ = [
    "RENDERERS",
    "DigestFormat",
    "Section",
    "Style",
    "digest_json",
    "layout",
    "render_chunks",
    "render_json",
    "render_markdown",
    "render_text",
]

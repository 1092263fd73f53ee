"""The Markdown digest (`--format markdown`, `preview_digest`, the `digest/latest` resource —
all `render_markdown`) is valid CommonMark with the structure a reader sees in the text
digest: section headings are headings, bullets are list items, nothing else."""

import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from spend_monitor.domain.models import Digest
from spend_monitor.render import render_markdown, render_text

GOLDEN = Path(__file__).parent / "golden"
HEADINGS = {"📈 WHAT'S DRIVING THE CHANGES", "⚠️ CUSTOMERS TO WATCH", "❗ DATA PROBLEMS"}
# Names a customer, a service or a ticket may really have; each would break naive Markdown.
NASTY = [
    "*Star* Corp [EU]",
    "# Hashtag Media",
    "1. First Choice",
    "- Dash Networks",
    "+ Plus Ltd",
    "AT&T_wireless | `core`",
    "<b>Bold</b> Inc",
    "Back\\slash ~~strike~~",
]


def demo_digest() -> Digest:
    data = json.loads((GOLDEN / "demo.json").read_text(encoding="utf-8"))
    return Digest.model_validate({**data, "prior_start": "2026-01-01", "thresholds": {}})


def every_section() -> Digest:
    """The demo with hostile names, an unavailable and an inactive customer, data problems,
    recoveries, snoozes and novelty marks: every line kind the layout can produce."""
    digest = demo_digest()
    customers = [
        p.model_copy(update={"display_name": NASTY[i % len(NASTY)], "novelty": "new"})
        if i < len(NASTY)
        else p
        for i, p in enumerate(digest.customers)
    ]
    customers[-1] = customers[-1].model_copy(
        update={"flag": "unavailable", "current": None, "change_pct": None, "error": "# 500 *x*"}
    )
    customers[-2] = customers[-2].model_copy(update={"flag": "inactive", "current": 0})
    watch = [
        w.model_copy(
            update={
                "display_name": NASTY[i],
                "detail": NASTY[-i - 1],
                "streak": 3,
                "novelty": "ongoing",
            }
        )
        for i, w in enumerate(digest.watch_list)
    ]
    return digest.model_copy(
        update={
            "customers": tuple(customers),
            "watch_list": tuple(watch),
            "errors": ("tableau: 401 *unauthorized*", "- a line that looks like a bullet"),
            "recovered": ("# Recovered Co",),
            "snoozed": 2,
            "updated": True,
        }
    )


def bullets(digest: Digest) -> list[str]:
    return [line for line in render_text(digest).splitlines() if line.startswith("• ")]


def structure(tokens: list[Token]) -> list[tuple[str, int, str]]:
    """(kind, list depth, text) for each heading, paragraph and list item."""
    found, depth, kind = [], 0, ""
    for token in tokens:
        if token.type == "list_item_open":
            depth += 1
        elif token.type == "list_item_close":
            depth -= 1
        elif token.type in ("heading_open", "paragraph_open"):
            kind = "heading" if token.type == "heading_open" else "paragraph"
        elif token.type == "inline":
            text = "".join(
                "\n" if c.type in ("softbreak", "hardbreak") else c.content
                for c in token.children or []
            )
            found.append((kind, depth, text))
    return found


@pytest.mark.parametrize("digest", [demo_digest(), every_section()], ids=["demo", "every"])
def test_markdown_digest_has_the_text_digests_structure(digest):
    markdown = render_markdown(digest)
    tokens = MarkdownIt("commonmark").parse(markdown)
    blocks = structure(tokens)

    headings = [text for kind, _, text in blocks if kind == "heading"]
    assert set(headings) <= HEADINGS
    assert "📈 WHAT'S DRIVING THE CHANGES" in headings
    # Each bullet of the text digest is exactly one top-level list item: no item swallowed
    # the next line ("Watch List:" after a list), no name opened a nested structure.
    items = [text for kind, depth, text in blocks if depth > 0]
    assert items == [line.removeprefix("• ") for line in bullets(digest)]
    assert all(depth <= 1 for _, depth, _ in blocks)
    assert not any(t.type in {"html_inline", "html_block"} for t in tokens)
    top = [text for kind, depth, text in blocks if kind == "paragraph" and depth == 0]
    for label in ("High Growth (>50%):", "Watch List:"):
        assert label in top, f"{label!r} is not a paragraph of its own"
    assert top[0].startswith("📊 Customer Spend Monitor — Feb 15")
    assert "\n" in top[0], "the title and the subtitle are two lines"


@pytest.mark.parametrize("digest", [demo_digest(), every_section()], ids=["demo", "every"])
def test_the_markdown_reads_word_for_word_as_the_text_digest(digest):
    """Escaping round-trips: what a Markdown viewer shows is the text digest, hostile names
    included, with no character lost to emphasis, links or HTML."""
    shown = [t for _, _, t in structure(MarkdownIt("commonmark").parse(render_markdown(digest)))]
    lines = [line.removeprefix("• ") for line in render_text(digest).splitlines() if line]
    assert "\n".join(shown).splitlines() == lines


def test_the_hostile_digest_shows_hostile_names():
    text = render_text(every_section())
    assert sum(name in text for name in NASTY) >= 6


def test_the_demo_golden_markdown_is_what_the_renderer_writes():
    assert render_markdown(demo_digest()) == (GOLDEN / "demo.md").read_text(encoding="utf-8")

"""The sample digests and `--help` texts in the README and docs are the code's own output, as
`cog --check` keeps generated docs honest: each `<!-- sample: FORMAT -->` … `<!-- /sample -->`
block holds the demo digest for a fixed day in that format, and each `<!-- help: COMMAND -->` …
`<!-- /help -->` block that command's `--help`. The test fails when one is stale;
`UPDATE_DOCS=1 pytest tests/test_doc_samples.py` rewrites them."""

import os
import re
from pathlib import Path

import pytest

from cli_helpers import invoke
from spend_monitor.cli import build_parser, legacy_parser
from spend_monitor.mcp import build_parser as mcp_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "docs" / "mcp-tools.md"]
SAMPLE = re.compile(r"(<!-- sample: (\w+) -->\n```\w*\n)(.*?)(```\n<!-- /sample -->)", re.S)
AS_OF = "2026-02-15"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_sample_digests_are_the_codes_output(capsys, doc):
    text = doc.read_text(encoding="utf-8")
    formats = [m[2] for m in SAMPLE.finditer(text)]
    assert formats, f"{doc.name} has no sample block"
    outputs = {}
    for fmt in set(formats):
        result = invoke(capsys, "digest", "--demo", "--as-of", AS_OF, "--format", fmt)
        assert result.code == 0, result.err
        outputs[fmt] = result.out
    fresh = SAMPLE.sub(lambda m: m[1] + outputs[m[2]] + m[4], text)
    if os.environ.get("UPDATE_DOCS") == "1":
        doc.write_text(fresh, encoding="utf-8")
    assert text == fresh, f"{doc.name}: a sample is stale; run UPDATE_DOCS=1 pytest {__file__}"


HELP = re.compile(r"(<!-- help: ([\w -]+) -->\n```text\n)(.*?)(```\n<!-- /help -->)", re.S)
CLI_DOC = ROOT / "docs" / "cli.md"


def help_text(command: str) -> str:
    program, *sub = command.split()
    if program == "customer-spend-monitor":
        return legacy_parser().format_help()
    if program == "spend-monitor-mcp":
        return mcp_parser().format_help()
    parser = build_parser()
    if not sub:
        return parser.format_help()
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    return commands.choices[sub[0]].format_help()  # type: ignore[union-attr]


def test_every_commands_help_in_the_docs_is_the_codes(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    text = CLI_DOC.read_text(encoding="utf-8")
    shown = [m[2] for m in HELP.finditer(text)]
    (commands,) = [a for a in build_parser()._actions if a.dest == "command"]
    every = {"spend-monitor", "customer-spend-monitor", "spend-monitor-mcp"}
    every |= {f"spend-monitor {name}" for name in commands.choices}  # type: ignore[union-attr]
    assert set(shown) == every, "docs/cli.md must show every command's --help once"
    fresh = HELP.sub(lambda m: m[1] + help_text(m[2]) + m[4], text)
    if os.environ.get("UPDATE_DOCS") == "1":
        CLI_DOC.write_text(fresh, encoding="utf-8")
    assert text == fresh, f"docs/cli.md is stale; run UPDATE_DOCS=1 pytest {__file__}"

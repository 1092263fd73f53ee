"""The sample digests in the README and docs are the code's own output, as `cog --check` keeps
generated docs honest: each `<!-- sample: FORMAT -->` … `<!-- /sample -->` block holds the
demo digest for a fixed day in that format. The test fails when one is stale;
`UPDATE_DOCS=1 pytest tests/test_doc_samples.py` rewrites them."""

import os
import re
from pathlib import Path

import pytest

from cli_helpers import invoke

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

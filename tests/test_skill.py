"""The skill folder is valid for every loader that reads it: the Agent Skills reference
validator (`agentskills validate`, from the skills-ref package), OpenClaw's frontmatter rules,
and plain relative links that resolve."""

import re
import subprocess
import sys
from pathlib import Path

import strictyaml

from spend_monitor.settings import Environment

ROOT = Path(__file__).resolve().parent.parent
SKILL_DIR = ROOT / "skill" / "customer-spend-monitor"
AGENTSKILLS = Path(sys.executable).parent / "agentskills"
# Keys both OpenClaw's and Anthropic's validators accept; OpenClaw rejects `version` and
# `compatibility`, Anthropic a top-level `homepage`.
ALLOWED_KEYS = {"name", "description", "license", "allowed-tools", "metadata"}
ENV_VARS = {name.upper() for name in Environment.model_fields}


def frontmatter(path: Path) -> tuple[dict[str, object], str]:
    """The frontmatter as strict YAML reads it (no JSON-style flow mappings), and the body."""
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", path.read_text(encoding="utf-8"), re.S)
    assert match, f"{path} must start with a --- frontmatter block"
    return strictyaml.load(match[1]).data, match[2]


def test_the_agent_skills_reference_validator_accepts_the_skill():
    result = subprocess.run(
        [str(AGENTSKILLS), "validate", str(SKILL_DIR)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid skill" in result.stdout


def test_the_validator_rejects_a_one_line_json_metadata(tmp_path):
    """The mistake this test exists for: it must not pass unnoticed."""
    broken = tmp_path / SKILL_DIR.name
    broken.mkdir()
    text = (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8")
    start, end = text.index("metadata:"), text.index("\n---\n", 4)
    (broken / "SKILL.md").write_text(
        text[:start] + 'metadata: {"openclaw": {"emoji": "x"}}' + text[end:], encoding="utf-8"
    )
    result = subprocess.run(
        [str(AGENTSKILLS), "validate", str(broken)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "JSONesque" in result.stdout + result.stderr


def test_frontmatter_follows_openclaws_rules():
    fields, body = frontmatter(SKILL_DIR / "SKILL.md")
    assert set(fields) <= ALLOWED_KEYS
    assert fields["name"] == SKILL_DIR.name
    assert re.fullmatch(r"[a-z0-9-]{1,64}", str(fields["name"]))
    description = str(fields["description"])
    assert 0 < len(description) < 160  # OpenClaw's advice; the hard limit is 1024
    assert "<" not in description
    assert ">" not in description
    openclaw = fields["metadata"]["openclaw"]
    assert openclaw["emoji"]
    assert "homepage" not in fields
    assert openclaw["requires"]["config"] == ["mcp.servers.spend-monitor"]
    assert {v["name"] for v in openclaw["envVars"]} == ENV_VARS
    assert len(body.split()) >= 80
    assert len(body.splitlines()) < 500
    assert body.count("\n## ") >= 3


def test_the_install_entry_names_something_uv_can_install():
    """The package is not on PyPI: a bare name would fail, a path or a git URL installs."""
    (install,) = frontmatter(SKILL_DIR / "SKILL.md")[0]["metadata"]["openclaw"]["install"]
    assert install["kind"] == "uv"
    package = install["package"]
    assert package.startswith(("git+https://", ".", "/")), package
    if not package.startswith("git+"):
        assert (ROOT / package / "pyproject.toml").is_file()
    assert set(install["bins"]) == {"spend-monitor", "spend-monitor-mcp", "customer-spend-monitor"}


def test_links_are_plain_relative_paths_that_resolve():
    for path in [SKILL_DIR / "SKILL.md", *sorted((SKILL_DIR / "references").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        assert "{baseDir}" not in text, f"{path.name}: {{baseDir}} is OpenClaw-only"
        for target in re.findall(r"\]\(([^)#\s]+)\)", text):
            if "://" not in target:
                assert (path.parent / target).exists(), f"{path.name}: broken link {target}"


def test_the_morning_flow_does_not_stay_silent_without_a_channel():
    """An empty outcome list means nothing was posted: NO_REPLY there would hide the digest."""
    _, body = frontmatter(SKILL_DIR / "SKILL.md")
    flow = body.split("## The morning flow", 1)[1].split("\n## ", 1)[0]
    assert "NO_REPLY" in flow
    assert "is **not empty** and every entry has `skipped: true`" in flow
    assert "is **empty**" in flow
    assert "Do not reply `NO_REPLY`" in flow

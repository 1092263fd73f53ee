"""DESIGN.md's layers, checked on the source: a wrong import fails here, not in review."""

import ast
from pathlib import Path

import pytest

import spend_monitor

PACKAGE = Path(spend_monitor.__file__).parent
IO_MODULES = {
    "aiohttp",
    "anyio",
    "asyncio",
    "duckdb",
    "glob",
    "httpx",
    "io",
    "mcp",
    "os",
    "pathlib",
    "requests",
    "shutil",
    "slack_sdk",
    "socket",
    "sqlite3",
    "subprocess",
    "tempfile",
    "urllib",
    "a2a",
    "time",
}
ADAPTERS = (
    "spend_monitor.sources",
    "spend_monitor.trackers",
    "spend_monitor.channels",
    "spend_monitor.store",
)
FRONT_ENDS = ("spend_monitor.cli", "spend_monitor.mcp_server")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of every module a file imports, at any depth (lazy imports count)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = node.module or ""
            absolute = (f"{base}.{module}" if module else base) if node.level else module
            found.add(absolute)
            found |= {f"{absolute}.{alias.name}" for alias in node.names}
    return found


MODULES = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_checker_sees_real_imports():
    assert "spend_monitor.sources" in MODULES["spend_monitor.monitor"]
    assert "spend_monitor.domain.models" in MODULES["spend_monitor.domain.pacing"]
    assert "duckdb" in MODULES["spend_monitor.sources.files"]


@pytest.mark.parametrize(
    "module",
    sorted(m for m in MODULES if within(m, ("spend_monitor.domain", "spend_monitor.render"))),
)
def test_domain_and_render_are_pure(module):
    for name in MODULES[module]:
        assert name.split(".")[0] not in IO_MODULES, f"{module} imports {name}"
        if name.startswith("spend_monitor."):
            allowed = (
                ("spend_monitor.domain",)
                if "domain" in module
                else ("spend_monitor.domain", "spend_monitor.render")
            )
            assert within(name, allowed), f"{module} imports {name}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, ADAPTERS)))
def test_adapters_do_not_reach_up(module):
    for name in MODULES[module]:
        assert not within(name, (*FRONT_ENDS, "spend_monitor.monitor")), f"{module} imports {name}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, FRONT_ENDS)))
def test_front_ends_reach_adapters_only_through_the_monitor(module):
    for name in MODULES[module]:
        assert not within(name, ADAPTERS), f"{module} imports {name}"

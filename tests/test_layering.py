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
    "spend_monitor.net",
)
APP = ("spend_monitor.app",)
CLI = ("spend_monitor.cli",)
MCP = ("spend_monitor.mcp",)
# What both front ends share to start (options, settings, the demo); it imports neither.
LAUNCH = ("spend_monitor.launch",)
FRONT_ENDS = (*CLI, *MCP, *LAUNCH)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")


def _import_nodes(tree: ast.AST, runtime_only: bool) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if runtime_only and _is_type_checking(node):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def imports_of(path: Path, runtime_only: bool = False) -> set[str]:
    """Absolute names of every module a file imports, at any depth (lazy imports count;
    with `runtime_only`, imports only a type checker runs are left out)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8")), runtime_only):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        else:
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
    assert "spend_monitor.sources" in MODULES["spend_monitor.app.services"]
    assert "spend_monitor.domain.models" in MODULES["spend_monitor.domain.pacing"]
    assert "duckdb" in MODULES["spend_monitor.sources.files"]
    assert "spend_monitor.app.services" not in runtime_graph()["spend_monitor.app.book"]


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
        assert not within(name, (*APP, *FRONT_ENDS)), f"{module} imports {name}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, APP)))
def test_the_app_layer_knows_no_front_end(module):
    for name in MODULES[module]:
        assert not within(name, FRONT_ENDS), f"{module} imports {name}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, FRONT_ENDS)))
def test_front_ends_reach_adapters_only_through_the_app_layer(module):
    for name in MODULES[module]:
        assert not within(name, ADAPTERS), f"{module} imports {name}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, (*MCP, *LAUNCH))))
def test_the_mcp_server_never_imports_the_cli(module):
    for name in MODULES[module]:
        assert not within(name, CLI), f"{module} imports {name}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, CLI)))
def test_the_cli_starts_the_server_only_through_its_transport(module):
    for name in MODULES[module]:
        if within(name, MCP):
            assert within(name, ("spend_monitor.mcp.transport",)), f"{module} imports {name}"


def runtime_graph() -> dict[str, set[str]]:
    """Module → package modules it imports when run (a name imported from a module counts
    as that module)."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        targets = set()
        for name in imports_of(path, runtime_only=True):
            module = name
            while module and module not in MODULES:
                module = module.rpartition(".")[0]
            if module.startswith("spend_monitor") and module != module_name(path):
                targets.add(module)
        graph[module_name(path)] = targets
    return graph


def test_no_import_cycle_anywhere():
    graph = runtime_graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
